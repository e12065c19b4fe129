"""NumPy oracles of MONAI's losses (LOSSES.md §1.3) for test_presets_peers.py: Dice, Jaccard,
Tversky, generalized Dice, focal, DiceCE, the asymmetric and unified focal losses, and the
compounds with the activation flags set (DiceFocal, GeneralizedDiceFocal, generalized
Wasserstein Dice, NACL). The distance, skeleton and SSIM losses are in
peer_oracles_monai_structural.py.
"""
from __future__ import annotations

import numpy as np

from peer_inputs import _log_softmax, _logsigmoid, _mean, _onehot, _sigmoid, _softmax, _spatial
from peer_oracles_common import CLIP


# ============================================================================ oracles: MONAI (§1.3)
# Input B N H W, probabilities (no activation flag), region terms per (b, c) over the spatial
# axes, reduction "mean" over (b, c).

def monai_dice_loss(p, g, jaccard=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """MONAI ``DiceLoss()``: ``1 - (2TP + s_n)/(2TP + FP + FN + s_d)`` per (b, c);
    ``jaccard=True``: ``1 - (2TP + s_n)/(2(TP + FP + FN) + s_d)``; s_n = s_d = 1e-5; mean."""
    ax = _spatial(p)
    tp = (p * g).sum(ax)
    fp = (p * (1 - g)).sum(ax)
    fn = ((1 - p) * g).sum(ax)
    den = 2 * (tp + fp + fn) if jaccard else 2 * tp + fp + fn
    return _mean(1 - (2 * tp + smooth_nr) / (den + smooth_dr))


def monai_tversky_loss(p, g, alpha=0.5, beta=0.5, smooth_nr=1e-5, smooth_dr=1e-5):
    """MONAI ``TverskyLoss()``: ``1 - (TP + s_n)/(TP + alpha FP + beta FN + s_d)`` per (b, c),
    alpha = 0.5 on FP = sum p(1-g), beta = 0.5 on FN = sum (1-p)g, s = 1e-5; mean."""
    ax = _spatial(p)
    tp = (p * g).sum(ax)
    fp = (p * (1 - g)).sum(ax)
    fn = ((1 - p) * g).sum(ax)
    return _mean(1 - (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr))


def monai_generalized_dice_loss(p, g, smooth_nr=1e-5, smooth_dr=1e-5):
    """MONAI ``GeneralizedDiceLoss(w_type="square")``: w_c = 1/G_c^2 per sample, infinite
    weights (empty class) replaced by the max finite weight of that sample;
    ``L = 1 - (2 sum_c w_c TP_c + s_n)/(sum_c w_c (2TP_c + FP_c + FN_c) + s_d)`` per sample
    (sum over classes), mean over the batch."""
    ax = _spatial(p)
    tp = (p * g).sum(ax)
    fp = (p * (1 - g)).sum(ax)
    fn = ((1 - p) * g).sum(ax)
    gsum = g.sum(ax)
    with np.errstate(divide="ignore"):
        w = 1.0 / (gsum * gsum)
    inf = np.isinf(w)
    w[inf] = 0.0
    w = w + inf * w.max(axis=1, keepdims=True)
    num = 2 * (w * tp).sum(1) + smooth_nr
    den = (w * (2 * tp + fp + fn)).sum(1) + smooth_dr
    return _mean(1 - num / den)


def monai_focal_loss(z, g, gamma=2.0):
    """MONAI ``FocalLoss()`` (sigmoid form, logits, alpha None):
    ``l = [z - z g - log sigmoid(z)] * exp(gamma * log sigmoid(-z (2g - 1)))``; "mean" over
    all elements."""
    loss = z - z * g - _logsigmoid(z)
    invprobs = _logsigmoid(-z * (g * 2 - 1))
    return _mean(np.exp(invprobs * gamma) * loss)


def monai_dice_ce_loss_softmax(z, labels, smooth_nr=1e-5, smooth_dr=1e-5):
    """MONAI ``DiceCELoss(softmax=True, to_onehot_y=True)``: Dice of softmax(z) against the
    one-hot target (per (b, c), s = 1e-5, mean) + ``nn.CrossEntropyLoss`` on the logits and
    the class indices (mean over voxels); lambda_dice = lambda_ce = 1."""
    c = z.shape[1]
    dice = monai_dice_loss(_softmax(z, 1), _onehot(labels, c), smooth_nr=smooth_nr, smooth_dr=smooth_dr)
    logp = _log_softmax(z, 1)
    ce = -np.take_along_axis(logp, labels[:, None], axis=1)
    return dice + _mean(ce)


def monai_dice_ce_loss_sigmoid(z, g, smooth_nr=1e-5, smooth_dr=1e-5):
    """MONAI ``DiceCELoss(sigmoid=True)`` with one channel: Dice of sigmoid(z) (per (b, c),
    s = 1e-5, mean) + ``nn.BCEWithLogitsLoss`` (mean over elements)."""
    dice = monai_dice_loss(_sigmoid(z), g, smooth_nr=smooth_nr, smooth_dr=smooth_dr)
    bce = np.maximum(z, 0) - z * g + np.log1p(np.exp(-np.abs(z)))
    return dice + _mean(bce)


def monai_asymmetric_focal_loss(y_pred, y_true, delta=0.7, gamma=2.0, epsilon=CLIP):
    """MONAI ``AsymmetricFocalLoss()`` (and UFL ``asymmetric_focal_loss``; §1.3/§1.5), binary,
    channel 0 = background, 1 = foreground: p clamped to [eps, 1 - eps], CE_c = -g_c log p_c,
    ``L = mean_voxels[(1 - delta)(1 - p_0)^gamma CE_0 + delta CE_1]``."""
    y_pred = np.clip(y_pred, epsilon, 1 - epsilon)
    ce = -y_true * np.log(y_pred)
    back = (1 - delta) * (1 - y_pred[:, 0]) ** gamma * ce[:, 0]
    fore = delta * ce[:, 1]
    return _mean(np.stack([back, fore], axis=1).sum(axis=1))


def monai_asymmetric_focal_tversky_loss(y_pred, y_true, delta=0.7, gamma=0.75, epsilon=CLIP):
    """MONAI ``AsymmetricFocalTverskyLoss()``: p clamped to [eps, 1 - eps];
    ``mTI_c = (TP + eps)/(TP + delta FN + (1 - delta) FP + eps)`` per (b, c);
    ``L = mean_b[(1 - mTI_0), (1 - mTI_1)^(1 - gamma)]`` (the code writes the foreground
    term as ``(1 - mTI_1) * (1 - mTI_1)^(-gamma)``)."""
    y_pred = np.clip(y_pred, epsilon, 1 - epsilon)
    ax = _spatial(y_pred)
    tp = (y_true * y_pred).sum(ax)
    fn = (y_true * (1 - y_pred)).sum(ax)
    fp = ((1 - y_true) * y_pred).sum(ax)
    dc = (tp + epsilon) / (tp + delta * fn + (1 - delta) * fp + epsilon)
    back = 1 - dc[:, 0]
    fore = (1 - dc[:, 1]) * (1 - dc[:, 1]) ** (-gamma)
    return _mean(np.stack([back, fore], axis=-1))


def monai_unified_focal_loss(y_pred, y_true, weight=0.5, delta=0.7, gamma=0.5):
    """MONAI ``AsymmetricUnifiedFocalLoss()`` on a 2-channel input:
    ``weight * AFL + (1 - weight) * AFTL`` (both with the same delta = 0.7, gamma = 0.5).
    Note the weight sits on the focal part in MONAI (on the Tversky part in UFL)."""
    afl = monai_asymmetric_focal_loss(y_pred, y_true, delta=delta, gamma=gamma)
    aftl = monai_asymmetric_focal_tversky_loss(y_pred, y_true, delta=delta, gamma=gamma)
    return weight * afl + (1 - weight) * aftl


# ============================================================================ oracles: MONAI compounds
# MONAI's compound losses with the activation flags set, GWDL, NACL.

def monai_dice_focal_loss_sigmoid(z, g):
    """MONAI ``DiceFocalLoss(sigmoid=True)``: ``lambda_dice Dice(sigmoid z) + lambda_focal
    FocalLoss(z)`` (both 1; the focal part takes the logits, sigmoid form, alpha None)."""
    return monai_dice_loss(_sigmoid(z), g) + monai_focal_loss(z, g)


def monai_generalized_dice_focal_loss_sigmoid(z, g):
    """MONAI ``GeneralizedDiceFocalLoss(sigmoid=True)``: ``GDL(sigmoid z) + FocalLoss(z)``
    (lambdas 1, w_type "square", gamma 2)."""
    return monai_generalized_dice_loss(_sigmoid(z), g) + monai_focal_loss(z, g)


def monai_generalized_wasserstein_dice_loss(z, labels, dist_matrix):
    """MONAI ``GeneralizedWassersteinDiceLoss(dist_matrix)`` ("default" weighting), logits
    and a label map: M rescaled to max 1, p = softmax(z), ``W_i = sum_c M[g_i, c] p_ic``,
    alpha_c = 0 for c = 0 and 1 otherwise, ``TP* = sum_i alpha_{g_i}(1 - W_i)``,
    ``L = 1 - (2TP* + s_n)/(2TP* + sum_i W_i + s_d)`` per sample, s = 1e-5; mean."""
    m = np.asarray(dist_matrix, dtype=np.float64)
    m = m / m.max()
    p = _softmax(z, 1)
    c = z.shape[1]
    w = (np.moveaxis(m[labels], -1, 1) * p).sum(1)               # (B, *spatial)
    alpha = np.ones(c)
    alpha[0] = 0.0
    ax = tuple(range(1, w.ndim))
    tp = (alpha[labels] * (1 - w)).sum(ax)
    return _mean(1 - (2 * tp + 1e-5) / (2 * tp + w.sum(ax) + 1e-5))


def _box3_same(a):
    """3 x 3 mean filter of every (b, c) plane with zero padding, output of the same size."""
    pad = np.pad(a, [(0, 0), (0, 0), (1, 1), (1, 1)])
    h, w = a.shape[2:]
    return sum(pad[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)) / 9.0


def monai_nacl_loss(z, labels, alpha=0.1):
    """MONAI ``NACLLoss(classes, dim=2)`` (kernel_ops "mean", kernel 3, "l1"):
    ``CE(z, labels) + alpha mean|K * onehot(labels) - z|`` with K the 3 x 3 mean filter
    (MONAI's ``MeanFilter``, zero-padded 'same' convolution); means over all elements.
    (An older MONAI built K * onehot with ``nn.Unfold`` and counted the zero padding as
    class 0; LOSSES.md states only "mean filter", this oracle uses the zero-padded one.)"""
    c = z.shape[1]
    ce = -np.take_along_axis(_log_softmax(z, 1), labels[:, None], axis=1)
    u = _box3_same(_onehot(labels, c))
    return _mean(ce) + alpha * _mean(np.abs(u - z))
