"""NumPy oracles of segmentation_models_pytorch's losses (LOSSES.md §1.4) for
test_presets_peers.py: Dice and log-Dice, Jaccard, Tversky, focal, MCC, SoftBCEWithLogits,
SoftCrossEntropy and Lovász (hinge and softmax, §1.6).
"""
from __future__ import annotations

import numpy as np

from peer_inputs import _log_softmax, _logsigmoid, _mean, _onehot, _softmax
from peer_oracles_common import _flatten_probas, _lovasz_grad, _lovasz_softmax_flat


# ============================================================================ oracles: smp (§1.4)
# Logits by default; y_pred and y_true viewed (bs, C, -1), sums over dims (0, 2) (batch +
# space per class); classes with no target pixel in the batch multiplied by 0 (still counted
# in the mean); loss = mean over classes.


def _smp_prepare(z, target, mode):
    bs = z.shape[0]
    if mode == "binary":
        y_pred = np.exp(_logsigmoid(z)).reshape(bs, 1, -1)
        y_true = target.reshape(bs, 1, -1)
    else:  # multiclass: log_softmax(dim=1).exp(), one_hot of the index map
        c = z.shape[1]
        y_pred = np.exp(_log_softmax(z, 1)).reshape(bs, c, -1)
        y_true = _onehot(target, c).reshape(bs, c, -1)
    return y_pred, y_true


def _smp_aggregate(loss, y_true):
    mask = y_true.sum((0, 2)) > 0
    # The data of these tests keeps every class present in the batch: smp's masking of
    # absent classes is not reproduced by the presets (notes), so it must not fire here.
    assert mask.all()
    return _mean(loss * mask)


def smp_dice_loss(z, target, mode, log_loss=False, smooth=0.0, eps=1e-7):
    """smp ``DiceLoss(mode)``: ``score = (2TP + s)/max(P + G + s, eps)`` per class over dims
    (0, 2), s = 0, eps = 1e-7; ``1 - score`` (or ``-log(max(score, eps))`` with
    ``log_loss=True``); empty classes masked; mean over classes."""
    y_pred, y_true = _smp_prepare(z, target, mode)
    dims = (0, 2)
    inter = (y_pred * y_true).sum(dims)
    card = (y_pred + y_true).sum(dims)
    score = (2 * inter + smooth) / np.maximum(card + smooth, eps)
    loss = -np.log(np.maximum(score, eps)) if log_loss else 1 - score
    return _smp_aggregate(loss, y_true)


def smp_jaccard_loss(z, target, mode, smooth=0.0, eps=1e-7):
    """smp ``JaccardLoss(mode)``: ``(TP + s)/max(P + G - TP + s, eps)`` per class over dims
    (0, 2), s = 0; ``1 - score``; masked; mean over classes."""
    y_pred, y_true = _smp_prepare(z, target, mode)
    dims = (0, 2)
    inter = (y_pred * y_true).sum(dims)
    union = (y_pred + y_true).sum(dims) - inter
    score = (inter + smooth) / np.maximum(union + smooth, eps)
    return _smp_aggregate(1 - score, y_true)


def smp_tversky_loss(z, target, mode, alpha=0.5, beta=0.5, gamma=1.0, smooth=0.0, eps=1e-7):
    """smp ``TverskyLoss(mode)``: ``(TP + s)/max(TP + alpha FP + beta FN + s, eps)``,
    alpha = 0.5 on FP = sum p(1-g), beta = 0.5 on FN = sum (1-p)g, per class over dims (0, 2);
    aggregate ``(mean_c loss)^gamma`` with gamma = 1."""
    y_pred, y_true = _smp_prepare(z, target, mode)
    dims = (0, 2)
    tp = (y_pred * y_true).sum(dims)
    fp = (y_pred * (1 - y_true)).sum(dims)
    fn = ((1 - y_pred) * y_true).sum(dims)
    score = (tp + smooth) / np.maximum(tp + alpha * fp + beta * fn + smooth, eps)
    return _smp_aggregate(1 - score, y_true) ** gamma


def smp_focal_loss(z, g, gamma=2.0):
    """smp ``FocalLoss("binary")`` (alpha None): ``logpt = BCEWithLogits(z, g)``,
    ``pt = exp(-logpt)``, ``l = (1 - pt)^gamma logpt``; mean over all elements."""
    logpt = np.maximum(z, 0) - z * g + np.log1p(np.exp(-np.abs(z)))
    pt = np.exp(-logpt)
    return _mean((1 - pt) ** gamma * logpt)


def smp_mcc_loss(p, g, eps=1e-5):
    """smp ``MCCLoss()`` (probabilities, binary, whole batch): TP, TN, FP, FN each + eps,
    ``1 - (TP TN - FP FN)/sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))``."""
    bs = g.shape[0]
    y_true = g.reshape(bs, 1, -1)
    y_pred = p.reshape(bs, 1, -1)
    tp = (y_pred * y_true).sum() + eps
    tn = ((1 - y_pred) * (1 - y_true)).sum() + eps
    fp = (y_pred * (1 - y_true)).sum() + eps
    fn = ((1 - y_pred) * y_true).sum() + eps
    num = tp * tn - fp * fn
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float(1.0 - num / den)


# ============================================================================ oracles: smp CE and Lovász

def smp_soft_bce_with_logits_loss(z, g):
    """smp ``SoftBCEWithLogitsLoss()``: BCE with logits on the (unsmoothed) targets,
    ``max(z, 0) - z g + log(1 + e^-|z|)``; mean."""
    return _mean(np.maximum(z, 0) - z * g + np.log1p(np.exp(-np.abs(z))))


def smp_soft_cross_entropy_loss(z, labels, smooth_factor=0.0):
    """smp ``SoftCrossEntropyLoss(smooth_factor=0.0)``: log_softmax over dim 1,
    ``(1 - eps) NLL + eps / C sum_c -log p_c`` with means over voxels, eps = 0."""
    logp = _log_softmax(z, 1)
    nll = -np.take_along_axis(logp, labels[:, None], axis=1)
    smooth = -logp.sum(1, keepdims=True)
    eps = smooth_factor
    return (1 - eps) * _mean(nll) + eps / z.shape[1] * _mean(smooth)


def smp_lovasz_hinge(z, g):
    """smp ``LovaszLoss("binary")`` (per_image=False): everything flattened,
    ``m_i = 1 - z_i(2g_i - 1)`` sorted descending, ``sum_k relu(m_(k)) Delta_k``."""
    logits, labels = z.reshape(-1), g.reshape(-1)
    errors = 1.0 - logits * (2 * labels - 1)
    perm = np.argsort(-errors, kind="stable")
    return float(np.dot(np.maximum(errors[perm], 0), _lovasz_grad(labels[perm])))


def smp_lovasz_softmax(z, labels):
    """smp ``LovaszLoss("multiclass")``: softmax, batch flattened (per_image=False),
    per class ``e_i = |g_ic - p_ic|`` sorted descending, ``sum_k e_(k) Delta^c_k``; mean over
    the classes present in the batch (classes="present")."""
    return _lovasz_softmax_flat(*_flatten_probas(_softmax(z, 1), labels), classes="present")
