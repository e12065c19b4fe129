"""Library presets (``semsegloss_swift.presets``) against independent plain-NumPy
re-implementations of the *peer* libraries' formulas, as LOSSES.md §1.1-§1.5 documents them.

Each oracle below is written the way the peer computes its loss -- its own letters (SemSegLoss's
alpha on FN, UFL's delta), its own smoothing, its own reduction domain (micro / per image and
class / batch per class), its own sign (SegLoss returns -score) -- and never reads the preset's
options. So a wrong preset value (smoothing, swapped alpha/beta, batch vs per image, ...) makes
the value comparison fail. The gradient of our loss (``return_grad=True``) is compared with
central finite differences of the same oracle, so the preset also reproduces the peer's
gradient (with respect to what the peer differentiates: probabilities or logits).

Peer behaviours that a preset does not reproduce (its ``notes``) are kept out of the data, and
each case says how:

* smp multiplies classes absent from the batch by 0: every class has target pixels in the
  batch (asserted by ``_smp_aggregate``);
* SegLoss returns -score: the comparison is against ``1 + SegLoss's value`` (same gradient);
  its FocalTversky_loss raises the *class/image mean* to gamma: one image and one class;
* SemSegLoss flattens channels too: one channel (binary mode);
* MONAI's generalized Dice: no image has all its classes empty (the one place where the
  preset documents a different value);
* MONAI's asymmetric / unified focal losses and UFL's take a 2-channel (background,
  foreground) input: the oracle builds ``[1 - p, p]`` from our one-channel p (our binary
  mode's documented convention), so our gradient with respect to p is the peer's total
  derivative through both channels;
* MONAI's DiceFocal / GeneralizedDiceFocal are checked in their sigmoid forms only (LOSSES.md
  does not say which focal form MONAI pairs with ``softmax=True``);
* SSIM (and the SemSegLoss hybrids using it): one channel, where MONAI's mean over
  (channel, space) and TF's per-channel mean coincide.

Piecewise-smooth losses (Lovász, top-k, clDice's min/max pooling, NACL's |.|) are compared
with central differences too; only if a coordinate sits on a kink may our gradient instead
equal one of the one-sided differences.

Tolerances: values rtol 1e-9 in float64 (the sums are the same up to summation order);
gradients |ours - fd| <= 1e-8 + 1e-6 |fd| with a central step h = 1e-6 (truncation ~h^2,
rounding ~1e-16 |L| / h ~ 1e-10).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close

RTOL, ATOL = 1e-9, 1e-12
FD_STEP = 1e-6
FD_RTOL, FD_ATOL = 1e-6, 1e-8
N_FD_COORDS = 10
CLIP = 1e-7  # K.epsilon() (Keras), MONAI's epsilon of the asymmetric losses

BINARY = (2, 1, 6, 7)
MULTI = (2, 3, 5, 4)


# ============================================================================ data

def _hard_target(rng, shape, rate=0.4):
    """0/1 target with at least one foreground and one background voxel in every (b, c)."""
    g = (rng.random(shape) < rate).astype(np.float64)
    for b in range(shape[0]):
        for c in range(shape[1]):
            flat = g[b, c].reshape(-1)
            i, j = rng.choice(flat.size, 2, replace=False)
            flat[i], flat[j] = 1.0, 0.0
    return g


def _probs(rng, shape):
    """Probabilities in (0.02, 0.98): no peer clipping (1e-7) is active."""
    return rng.uniform(0.02, 0.98, shape)


def _softmax_probs(rng, shape):
    """Per-voxel class probabilities (softmax of logits in [-1.5, 1.5]: every p > 0.02)."""
    return _softmax(rng.uniform(-1.5, 1.5, shape), axis=1)


def _labels(rng, n, c, spatial):
    """Label map (n, *spatial) where every image holds every class."""
    lab = rng.integers(0, c, (n,) + spatial)
    for b in range(n):
        flat = lab[b].reshape(-1)
        pos = rng.choice(flat.size, c, replace=False)
        flat[pos] = np.arange(c)
    return lab


def _onehot(labels, c):
    return np.moveaxis(np.eye(c)[labels], -1, 1)


def binary_probs(seed):
    rng = np.random.default_rng(seed)
    return _probs(rng, BINARY), _hard_target(rng, BINARY)


def binary_logits(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 2.0, BINARY), _hard_target(rng, BINARY)


def binary_logits_missed(seed):
    """Binary logits where every foreground voxel gets z = -40: smp's Dice score
    2TP/(P + G) ~ 1e-17 falls below its clamp eps = 1e-7 (value -ln(eps), no gradient)."""
    z, g = binary_logits(seed)
    return np.where(g == 1, -40.0, z), g


def binary_probs_small(seed):
    """Tiny binary images (2 x 3 voxels): a smoothing of 1e-7 changes the Tversky indices
    by ~1e-8, visible at rtol 1e-9 (on 6 x 7 images the symmetric focal Tversky loss barely
    moves when its smoothing is halved)."""
    rng = np.random.default_rng(seed)
    shape = (2, 1, 2, 3)
    return _probs(rng, shape), _hard_target(rng, shape)


def multilabel_logits(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 2.0, MULTI), _hard_target(rng, MULTI)


def multilabel_probs(seed):
    rng = np.random.default_rng(seed)
    return _probs(rng, MULTI), _hard_target(rng, MULTI)


def multilabel_probs_with_empty(seed):
    """As multilabel_probs, but (image 1, class 2) has an empty target: the peer's smoothing
    decides that entry's value (≈ 1 - s_n / P), which makes the smoothing visible."""
    p, g = multilabel_probs(seed)
    g[1, 2] = 0.0
    return p, g


def multiclass_logits_labels(seed):
    rng = np.random.default_rng(seed)
    n, c = MULTI[:2]
    return rng.normal(0.0, 2.0, MULTI), _labels(rng, n, c, MULTI[2:])


def gdl_probs_onehot(seed):
    """Softmax probabilities and a one-hot target; image 1 has no voxel of class 2, so its
    weight is MONAI's "max finite weight of the sample"."""
    rng = np.random.default_rng(seed)
    n, c = MULTI[:2]
    lab = _labels(rng, n, c, MULTI[2:])
    lab[1][lab[1] == 2] = 0
    flat = lab[1].reshape(-1)            # keep classes 0 and 1 present in image 1
    flat[0], flat[1] = 0, 1
    g = _onehot(lab, c)
    assert g[1, 2].sum() == 0 and g[1, :2].sum((1, 2)).min() > 0 and g[0].sum((1, 2)).min() > 0
    return _softmax_probs(rng, MULTI), g


def two_channel_probs(seed):
    """UFL's binary data model: softmax-like 2-channel (background, foreground) probabilities
    [1 - p, p] and the one-hot target [1 - g, g] (channel-first here)."""
    p, g = binary_probs(seed)
    return np.concatenate([1 - p, p], axis=1), np.concatenate([1 - g, g], axis=1)


def multiclass_logits_labels_large(seed):
    """(2, 3, 10, 10): 200 voxels, so SegLoss's top 10 % keeps 20 of them."""
    rng = np.random.default_rng(seed)
    shape = (2, 3, 10, 10)
    return rng.normal(0.0, 2.0, shape), _labels(rng, 2, 3, shape[2:])


def _labels_without_last_class(rng, n, c, spatial):
    """Label map where classes 0 .. c-2 occur in every image and class c-1 nowhere."""
    lab = _labels(rng, n, c - 1, spatial)
    assert not (lab == c - 1).any()
    return lab


def multiclass_logits_labels_absent(seed):
    """Logits and labels where class 2 is absent from the whole batch (Lovász "present")."""
    rng = np.random.default_rng(seed)
    n, c = MULTI[:2]
    return rng.normal(0.0, 2.0, MULTI), _labels_without_last_class(rng, n, c, MULTI[2:])


def multiclass_probs_labels_absent(seed):
    """Softmax probabilities and labels where class 2 is absent from the whole batch
    (SegLoss's LovaszSoftmax keeps "all" classes: the absent one costs its largest error)."""
    rng = np.random.default_rng(seed)
    n, c = MULTI[:2]
    return _softmax_probs(rng, MULTI), _labels_without_last_class(rng, n, c, MULTI[2:])


def multilabel_probs_maps(seed):
    """(2, 3, 8, 9) probabilities and targets for the distance / skeleton losses: every
    thresholded mask (p > 0.5 and g) of every (image, channel) is neither empty nor full,
    and no p lies within 1e-3 of the 0.5 threshold (finite differences never flip a mask)."""
    rng = np.random.default_rng(seed)
    shape = (2, 3, 8, 9)
    p = _probs(rng, shape)
    p = np.where(np.abs(p - 0.5) < 1e-3, p + 0.01, p)
    g = _hard_target(rng, shape)
    m = p > 0.5
    assert m.any(axis=(2, 3)).all() and (~m).any(axis=(2, 3)).all()
    return p, g


def binary_probs_ssim(seed):
    """(2, 1, 13, 14) binary probabilities: SSIM's 11 x 11 window fits (3 x 4 valid map)."""
    rng = np.random.default_rng(seed)
    shape = (2, 1, 13, 14)
    return _probs(rng, shape), _hard_target(rng, shape)


def one_image_one_class(seed):
    rng = np.random.default_rng(seed)
    shape = (1, 1, 6, 7)
    return _probs(rng, shape), _hard_target(rng, shape)


# ============================================================================ helpers

def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def _logsigmoid(z):
    return -np.logaddexp(0.0, -z)


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z, axis):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def _spatial(a):
    """Spatial axes of a channel-first (B, C, *spatial) array."""
    return tuple(range(2, a.ndim))


def _channels_last(a):
    """Keras layout (B, *spatial, C) of a channel-first array."""
    return np.moveaxis(a, 1, -1)


def _mean(a):
    return float(np.mean(a))


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


# ============================================================================ oracles: SemSegLoss (§1.1)
# Keras, channels-last, probabilities; every region term flattens the whole tensor (micro:
# batch x space x channels); smooth = 1; the tests use one channel (the presets' note).

def _ssl_flat(p, g):
    return _channels_last(p).reshape(-1), _channels_last(g).reshape(-1)


def ssl_dice_loss(p, g, smooth=1.0):
    """SemSegLoss ``dice_loss``: ``1 - (2TP + 1)/(G + P + 1)``, micro."""
    yp, yt = _ssl_flat(p, g)
    inter = (yt * yp).sum()
    return float(1 - (2 * inter + smooth) / (yt.sum() + yp.sum() + smooth))


def ssl_jacard_loss(p, g):
    """SemSegLoss ``jacard_loss``: ``1 - TP / sum(g + p - g p)``, micro, no smoothing."""
    yp, yt = _ssl_flat(p, g)
    inter = (yt * yp).sum()
    return float(1 - inter / (yt + yp - yt * yp).sum())


def ssl_tversky_index(p, g, smooth=1.0, alpha=0.7):
    """SemSegLoss ``tversky_index``: ``(TP + 1)/(TP + 0.7 FN + 0.3 FP + 1)``, micro; its
    local alpha = 0.7 weighs the false NEGATIVES (1 - alpha the false positives)."""
    yp, yt = _ssl_flat(p, g)
    tp = (yt * yp).sum()
    fn = (yt * (1 - yp)).sum()
    fp = ((1 - yt) * yp).sum()
    return (tp + smooth) / (tp + alpha * fn + (1 - alpha) * fp + smooth)


def ssl_tversky_loss(p, g):
    """SemSegLoss ``tversky_loss``: ``1 - tversky_index``."""
    return float(1 - ssl_tversky_index(p, g))


def ssl_focal_tversky(p, g, gamma=0.75):
    """SemSegLoss ``focal_tversky``: ``(1 - TI)^0.75`` of the micro Tversky index."""
    return float((1 - ssl_tversky_index(p, g)) ** gamma)


def ssl_log_cosh_dice_loss(p, g):
    """SemSegLoss ``log_cosh_dice_loss``: x = dice_loss (smooth 1);
    ``log((e^x + e^-x)/2)``."""
    x = ssl_dice_loss(p, g)
    return float(np.log((np.exp(x) + np.exp(-x)) / 2.0))


def _ssl_convert_to_logits(p):
    """SemSegLoss ``convert_to_logits``: clip to [1e-7, 1 - 1e-7], ``log(p/(1 - p))``."""
    p = np.clip(p, CLIP, 1 - CLIP)
    return np.log(p / (1 - p)), p


def ssl_focal_loss(p, g, alpha=0.25, gamma=2.0):
    """SemSegLoss ``focal_loss``: z = logit(clip p); ``w_a = alpha (1-p)^gamma g``,
    ``w_b = (1-alpha) p^gamma (1-g)``; ``(log1p(e^-|z|) + relu(-z))(w_a + w_b) + z w_b``
    (``focal_loss_with_logits``); ``tf.reduce_mean``."""
    z, pc = _ssl_convert_to_logits(_channels_last(p))
    t = _channels_last(g)
    w_a = alpha * (1 - pc) ** gamma * t
    w_b = (1 - alpha) * pc ** gamma * (1 - t)
    loss = (np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0)) * (w_a + w_b) + z * w_b
    return _mean(loss)


def ssl_weighted_cross_entropyloss(p, g, beta=0.25):
    """SemSegLoss ``weighted_cross_entropyloss``: z = logit(clip p), q = beta/(1 - beta) = 1/3,
    ``tf.nn.weighted_cross_entropy_with_logits`` =
    ``(1 - g) z + (1 + (q - 1) g)(log1p(e^-|z|) + max(-z, 0))``, i.e.
    ``-q g log sigmoid(z) - (1 - g) log(1 - sigmoid(z))``; mean."""
    z, _ = _ssl_convert_to_logits(_channels_last(p))
    t = _channels_last(g)
    q = beta / (1 - beta)
    loss = (1 - t) * z + (1 + (q - 1) * t) * (np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0))
    return _mean(loss)


def ssl_bce_dice_loss(p, g):
    """SemSegLoss ``bce_dice_loss``: ``(binary_crossentropy(g, p) + dice_loss(g, p)) / 2``;
    Keras BCE clips p to [1e-7, 1 - 1e-7], ``-[g log p + (1-g) log(1-p)]`` averaged over the
    last (channel) axis, the scalar Dice broadcast, and Keras averages the per-pixel loss.

    (tf.keras >= 2.x also adds 1e-7 inside the logs, ``log(p + 1e-7)``; LOSSES.md documents
    the clip only, which is what this oracle and the preset implement: with p >= 0.02 the
    two differ by ~1e-6 relative.)"""
    yp = np.clip(_channels_last(p), CLIP, 1 - CLIP)
    t = _channels_last(g)
    bce = -(t * np.log(yp) + (1 - t) * np.log(1 - yp)).mean(axis=-1)
    return _mean((bce + ssl_dice_loss(p, g)) / 2.0)


# ============================================================================ oracles: SegLoss (§1.2)
# nnU-Net style: probabilities (apply_nonlin=None), one-hot target of the input's shape used
# as is, tp/fp/fn per (b, c) over the spatial axes (batch_dice=False), do_bg=True,
# smooth = 1, and the region losses return -score.

def _sl_tp_fp_fn(p, g):
    ax = _spatial(p)
    return (p * g).sum(ax), (p * (1 - g)).sum(ax), ((1 - p) * g).sum(ax)


def sl_soft_dice_loss(p, g, smooth=1.0):
    """SegLoss ``SoftDiceLoss()``: ``-mean_{b,c} (2TP + s)/(2TP + FP + FN + s)``, s = 1."""
    tp, fp, fn = _sl_tp_fp_fn(p, g)
    return -_mean((2 * tp + smooth) / (2 * tp + fp + fn + smooth))


def sl_iou_loss(p, g, smooth=1.0):
    """SegLoss ``IoULoss()``: ``-mean_{b,c} (TP + s)/(TP + FP + FN + s)``, s = 1."""
    tp, fp, fn = _sl_tp_fp_fn(p, g)
    return -_mean((tp + smooth) / (tp + fp + fn + smooth))


def sl_tversky_loss(p, g, smooth=1.0, alpha=0.3, beta=0.7):
    """SegLoss ``TverskyLoss()``: ``-mean_{b,c} (TP + s)/(TP + 0.3 FP + 0.7 FN + s)``
    (alpha = 0.3 on FP, beta = 0.7 on FN, hard-coded), s = 1."""
    tp, fp, fn = _sl_tp_fp_fn(p, g)
    return -_mean((tp + smooth) / (tp + alpha * fp + beta * fn + smooth))


def sl_focal_tversky_loss(p, g, gamma=0.75):
    """SegLoss ``FocalTversky_loss()``: ``(1 + TverskyLoss)^0.75 = (1 - mean_c T)^0.75``
    (gamma after the mean over images and classes)."""
    return float((1 + sl_tversky_loss(p, g)) ** gamma)


def sl_asym_loss(p, g, smooth=1.0, beta=1.5):
    """SegLoss ``AsymLoss()``: ``-mean_{b,c} (TP + s)/(TP + w FN + (1 - w) FP + s)``,
    ``w = beta^2/(1 + beta^2)``, beta = 1.5 (w = 0.692), s = 1."""
    tp, fp, fn = _sl_tp_fp_fn(p, g)
    w = beta ** 2 / (1 + beta ** 2)
    return -_mean((tp + smooth) / (tp + w * fn + (1 - w) * fp + smooth))


def sl_ss_loss(p, g, smooth=1.0, r=0.1):
    """SegLoss ``SSLoss()``: ``mean_{b,c}[r sum (g-p)^2 g/(G + s) +
    (1 - r) sum (g-p)^2 (1-g)/(sum(1-g) + s)]``, r = 0.1, s = 1 (positive, no sign flip)."""
    ax = _spatial(p)
    sq = (g - p) ** 2
    fg_part = (sq * g).sum(ax) / (g.sum(ax) + smooth)
    bg_part = (sq * (1 - g)).sum(ax) / ((1 - g).sum(ax) + smooth)
    return _mean(r * fg_part + (1 - r) * bg_part)


# ============================================================================ oracles: Unified Focal (§1.5)
# Keras, channels-last, probabilities, one-hot targets; identify_axis: 4-D -> axes [1, 2]
# (per sample and class); delta weighs FN (1 - delta FP); asymmetric/symmetric variants:
# channel 0 = background, 1 = foreground. The oracles take channel-first 2-channel arrays
# and move them to Keras's layout.

def _ufl_tp_fn_fp(y_true, y_pred):
    yt, yp = _channels_last(y_true), _channels_last(y_pred)
    axis = (1, 2)
    return (yt * yp).sum(axis), (yt * (1 - yp)).sum(axis), ((1 - yt) * yp).sum(axis)


def ufl_dice_loss(y_pred, y_true, delta=0.5, smooth=1e-6):
    """UFL ``dice_loss(delta=0.5, smooth=1e-6)``:
    ``mean_{b,c}[1 - (TP + s)/(TP + delta FN + (1 - delta) FP + s)]``."""
    tp, fn, fp = _ufl_tp_fn_fp(y_true, y_pred)
    return _mean(1 - (tp + smooth) / (tp + delta * fn + (1 - delta) * fp + smooth))


def ufl_tversky_loss(y_pred, y_true, delta=0.7, smooth=1e-6):
    """UFL ``tversky_loss(delta=0.7, smooth=1e-6)``: the same with delta = 0.7 (on FN)."""
    return ufl_dice_loss(y_pred, y_true, delta=delta, smooth=smooth)


def ufl_focal_tversky_loss(y_pred, y_true, delta=0.7, gamma=0.75, smooth=1e-6):
    """UFL ``focal_tversky_loss(delta=0.7, gamma=0.75, smooth=1e-6)``:
    ``mean_{b,c}(1 - TI_c)^gamma`` (gamma per class)."""
    tp, fn, fp = _ufl_tp_fn_fp(y_true, y_pred)
    ti = (tp + smooth) / (tp + delta * fn + (1 - delta) * fp + smooth)
    return _mean((1 - ti) ** gamma)


def _ufl_clipped_ce(y_pred, y_true):
    yp = np.clip(_channels_last(y_pred), CLIP, 1 - CLIP)
    return yp, -_channels_last(y_true) * np.log(yp)


def ufl_asymmetric_focal_loss(y_pred, y_true, delta=0.7, gamma=2.0):
    """UFL ``asymmetric_focal_loss(delta=0.7, gamma=2)``: p clipped at K.epsilon,
    ``mean[(1 - delta)(1 - p_0)^gamma CE_0 + delta CE_1]`` (sum over the 2 channels, mean
    over voxels)."""
    yp, ce = _ufl_clipped_ce(y_pred, y_true)
    back = (1 - delta) * (1 - yp[..., 0]) ** gamma * ce[..., 0]
    fore = delta * ce[..., 1]
    return _mean(np.stack([back, fore], axis=-1).sum(axis=-1))


def ufl_symmetric_focal_loss(y_pred, y_true, delta=0.7, gamma=2.0):
    """UFL ``symmetric_focal_loss(delta=0.7, gamma=2)``:
    ``mean[(1 - delta)(1 - p_0)^gamma CE_0 + delta (1 - p_1)^gamma CE_1]``."""
    yp, ce = _ufl_clipped_ce(y_pred, y_true)
    back = (1 - delta) * (1 - yp[..., 0]) ** gamma * ce[..., 0]
    fore = delta * (1 - yp[..., 1]) ** gamma * ce[..., 1]
    return _mean(np.stack([back, fore], axis=-1).sum(axis=-1))


def _ufl_mti(y_pred, y_true, delta):
    """mTI per (b, c) with p clipped at K.epsilon and epsilon = 1e-7 as smoothing."""
    yp = np.clip(y_pred, CLIP, 1 - CLIP)
    tp, fn, fp = _ufl_tp_fn_fp(y_true, yp)
    return (tp + CLIP) / (tp + delta * fn + (1 - delta) * fp + CLIP)


def ufl_asymmetric_focal_tversky_loss(y_pred, y_true, delta=0.7, gamma=0.75):
    """UFL ``asymmetric_focal_tversky_loss(delta=0.7, gamma=0.75)``:
    ``mean_b mean[(1 - mTI_0), (1 - mTI_1)^(1 - gamma)]`` (foreground written
    ``(1 - mTI_1) * (1 - mTI_1)^(-gamma)``)."""
    dc = _ufl_mti(y_pred, y_true, delta)
    back = 1 - dc[:, 0]
    fore = (1 - dc[:, 1]) * (1 - dc[:, 1]) ** (-gamma)
    return _mean(np.stack([back, fore], axis=-1))


def ufl_symmetric_focal_tversky_loss(y_pred, y_true, delta=0.7, gamma=0.75):
    """UFL ``symmetric_focal_tversky_loss(delta=0.7, gamma=0.75)``:
    ``mean_b mean_{c in {0,1}} (1 - mTI_c)^(1 - gamma)``."""
    dc = _ufl_mti(y_pred, y_true, delta)
    back = (1 - dc[:, 0]) * (1 - dc[:, 0]) ** (-gamma)
    fore = (1 - dc[:, 1]) * (1 - dc[:, 1]) ** (-gamma)
    return _mean(np.stack([back, fore], axis=-1))


def ufl_asym_unified_focal_loss(y_pred, y_true, weight=0.5, delta=0.6, gamma=0.5):
    """UFL ``asym_unified_focal_loss(weight=0.5, delta=0.6, gamma=0.5)``:
    ``weight * aFTL(delta, gamma) + (1 - weight) * aFL(delta, gamma)`` (the formula the
    unparsable file states)."""
    aftl = ufl_asymmetric_focal_tversky_loss(y_pred, y_true, delta=delta, gamma=gamma)
    afl = ufl_asymmetric_focal_loss(y_pred, y_true, delta=delta, gamma=gamma)
    return weight * aftl + (1 - weight) * afl


def _bg_fg(p, g):
    """UFL / MONAI-asymmetric 2-channel arrays (background, foreground) from our one-channel
    foreground probability p and target g: our binary mode's documented convention (the
    channel holds p, the background is 1 - p with target 1 - g)."""
    return np.concatenate([1 - p, p], axis=1), np.concatenate([1 - g, g], axis=1)


def _on_bg_fg(fn, **kw):
    """An oracle of our one-channel (p, g) through the peer's 2-channel function."""
    def oracle(p, g):
        y_pred, y_true = _bg_fg(p, g)
        return fn(y_pred, y_true, **kw)
    return oracle



# ============================================================================ oracles: compound / CE / structural
# MONAI's compound losses with the activation flags set, smp's and SegLoss's cross-entropies,
# Lovász (§1.6, as smp and SegLoss call it), GWDL, NACL, HausdorffDT, clDice, SSIM and the
# SemSegLoss hybrids.

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


def sl_crossentropy_nd(z, labels):
    """SegLoss ``CrossentropyND()``: ``nn.CrossEntropyLoss`` (mean) on the flattened logits."""
    c = z.shape[1]
    flat = np.moveaxis(z, 1, -1).reshape(-1, c)
    t = labels.reshape(-1)
    return _mean(-_log_softmax(flat, 1)[np.arange(t.size), t])


def sl_topk_loss(z, labels, k=10):
    """SegLoss ``TopKLoss(k=10)``: per-voxel CE (no reduction), the ``int(n k / 100)``
    largest values (torch.topk), their mean."""
    res = -np.take_along_axis(_log_softmax(z, 1), labels[:, None], axis=1).reshape(-1)
    kk = int(res.size * k / 100)
    return _mean(np.sort(res)[::-1][:kk])


def _lovasz_grad(gt_sorted):
    """LovaszSoftmax ``lovasz_grad``: J_k = 1 - (G - cumsum g)/(G + cumsum(1 - g)),
    Delta_1 = J_1, Delta_k = J_k - J_(k-1)."""
    gts = gt_sorted.sum()
    inter = gts - np.cumsum(gt_sorted)
    union = gts + np.cumsum(1 - gt_sorted)
    j = 1.0 - inter / union
    j[1:] = j[1:] - j[:-1]
    return j


def smp_lovasz_hinge(z, g):
    """smp ``LovaszLoss("binary")`` (per_image=False): everything flattened,
    ``m_i = 1 - z_i(2g_i - 1)`` sorted descending, ``sum_k relu(m_(k)) Delta_k``."""
    logits, labels = z.reshape(-1), g.reshape(-1)
    errors = 1.0 - logits * (2 * labels - 1)
    perm = np.argsort(-errors, kind="stable")
    return float(np.dot(np.maximum(errors[perm], 0), _lovasz_grad(labels[perm])))


def _lovasz_softmax_flat(probas, labels, classes):
    losses = []
    for c in range(probas.shape[1]):
        fg = (labels == c).astype(np.float64)
        if classes == "present" and fg.sum() == 0:
            continue
        errors = np.abs(fg - probas[:, c])
        perm = np.argsort(-errors, kind="stable")
        losses.append(np.dot(errors[perm], _lovasz_grad(fg[perm])))
    return _mean(losses)


def _flatten_probas(p, labels):
    c = p.shape[1]
    return np.moveaxis(p, 1, -1).reshape(-1, c), labels.reshape(-1)


def smp_lovasz_softmax(z, labels):
    """smp ``LovaszLoss("multiclass")``: softmax, batch flattened (per_image=False),
    per class ``e_i = |g_ic - p_ic|`` sorted descending, ``sum_k e_(k) Delta^c_k``; mean over
    the classes present in the batch (classes="present")."""
    return _lovasz_softmax_flat(*_flatten_probas(_softmax(z, 1), labels), classes="present")


def sl_lovasz_softmax(p, labels):
    """SegLoss ``LovaszSoftmax()``: probabilities in, batch flattened, Lovász-softmax over
    ALL classes (no "present" filter)."""
    return _lovasz_softmax_flat(*_flatten_probas(p, labels), classes="all")


def _monai_distance_field(img):
    """MONAI ``HausdorffDTLoss.distance_field`` of a (B, 1, *spatial) channel: per batch
    item, fg = img > 0.5; ``EDT(fg) + EDT(~fg)`` unless fg is empty or full (then 0)."""
    from scipy.ndimage import distance_transform_edt
    field = np.zeros_like(img)
    for b in range(img.shape[0]):
        fg = img[b] > 0.5
        if fg.any() and not fg.all():
            field[b] = distance_transform_edt(fg) + distance_transform_edt(~fg)
    return field


def monai_hausdorff_dt_loss(p, g, alpha=2.0, include_background=False):
    """MONAI ``HausdorffDTLoss()`` (probabilities, include_background=False): per channel
    ``(p - g)^2 (d_p^alpha + d_g^alpha)`` with the distance fields above (constants), channel
    0 dropped, "mean" over batch, kept channels and space."""
    start = 0 if include_background else 1
    parts = []
    for c in range(start, p.shape[1]):
        cp, cg = p[:, [c]], g[:, [c]]
        dist = _monai_distance_field(cp) ** alpha + _monai_distance_field(cg) ** alpha
        parts.append((cp - cg) ** 2 * dist)
    return _mean(np.concatenate(parts, axis=1))


def monai_log_hausdorff_dt_loss(p, g):
    """MONAI ``LogHausdorffDTLoss()``: ``log(HausdorffDTLoss + 1)``."""
    return float(np.log(monai_hausdorff_dt_loss(p, g) + 1))


def _max_pool2d(img, kh, kw):
    """F.max_pool2d(img, (kh, kw), stride 1, padding (kh//2, kw//2)): -inf padding, i.e.
    the window clipped at the border."""
    ph, pw = kh // 2, kw // 2
    pad = np.pad(img, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=-np.inf)
    h, w = img.shape[2:]
    return np.max([pad[:, :, i:i + h, j:j + w] for i in range(kh) for j in range(kw)], axis=0)


def _soft_erode(img):
    p1 = -_max_pool2d(-img, 3, 1)
    p2 = -_max_pool2d(-img, 1, 3)
    return np.minimum(p1, p2)


def _soft_dilate(img):
    return _max_pool2d(img, 3, 3)


def _soft_skel(img, iter_):
    """clDice / MONAI ``soft_skel``: skel = relu(img - open(img)); iter_ times: img =
    erode(img), delta = relu(img - open(img)), skel += relu(delta - skel delta)."""
    img1 = _soft_dilate(_soft_erode(img))
    skel = np.maximum(img - img1, 0)
    for _ in range(iter_):
        img = _soft_erode(img)
        img1 = _soft_dilate(_soft_erode(img))
        delta = np.maximum(img - img1, 0)
        skel = skel + np.maximum(delta - skel * delta, 0)
    return skel


def monai_soft_cldice_loss(p, g, iter_=3, smooth=1.0):
    """MONAI ``SoftclDiceLoss()`` (forward(y_true, y_pred)): S = soft skeletons,
    ``Tprec = (sum (S_p g)[:, 1:] + s)/(sum S_p[:, 1:] + s)``,
    ``Tsens = (sum (S_g p)[:, 1:] + s)/(sum S_g[:, 1:] + s)`` (whole batch, channels 1:),
    ``1 - 2 Tprec Tsens/(Tprec + Tsens)``."""
    skel_pred, skel_true = _soft_skel(p, iter_), _soft_skel(g, iter_)
    tprec = ((skel_pred * g)[:, 1:].sum() + smooth) / (skel_pred[:, 1:].sum() + smooth)
    tsens = ((skel_true * p)[:, 1:].sum() + smooth) / (skel_true[:, 1:].sum() + smooth)
    return float(1.0 - 2.0 * (tprec * tsens) / (tprec + tsens))


def monai_soft_dice_cldice_loss(p, g, iter_=3, alpha=0.5, smooth=1.0):
    """MONAI ``SoftDiceclDiceLoss()``: ``(1 - alpha) soft_dice + alpha clDice`` with
    ``soft_dice = 1 - (2 sum (g p)[:, 1:] + s)/(sum g[:, 1:] + sum p[:, 1:] + s)``."""
    inter = (g * p)[:, 1:].sum()
    dice = 1.0 - (2.0 * inter + smooth) / (g[:, 1:].sum() + p[:, 1:].sum() + smooth)
    return float((1.0 - alpha) * dice + alpha * monai_soft_cldice_loss(p, g, iter_, smooth))


def _gaussian_1d(size=11, sigma=1.5):
    dist = np.arange((1 - size) / 2, (1 + size) / 2, 1.0)
    gauss = np.exp(-((dist / sigma) ** 2) / 2)
    return gauss / gauss.sum()


def _ssim_per_image(x, y, size=11, sigma=1.5, k1=0.01, k2=0.03, data_range=1.0):
    """SSIM of each (b, c) plane, MONAI ``compute_ssim_and_cs`` / ``tf.image.ssim``:
    Gaussian window (11, sigma 1.5, normalised), 'valid' filtering, biased moments,
    ``(2 mu_x mu_y + c1)(2 s_xy + c2)/((mu_x^2 + mu_y^2 + c1)(s_x + s_y + c2))`` averaged over
    the valid map (and the channels: one channel here)."""
    k = _gaussian_1d(size, sigma)
    kern = np.outer(k, k)
    h, w = x.shape[2] - size + 1, x.shape[3] - size + 1

    def filt(a):
        return sum(kern[i, j] * a[:, :, i:i + h, j:j + w] for i in range(size) for j in range(size))

    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    mx, my = filt(x), filt(y)
    sx, sy, sxy = filt(x * x) - mx * mx, filt(y * y) - my * my, filt(x * y) - mx * my
    ssim_map = (2 * mx * my + c1) / (mx ** 2 + my ** 2 + c1) * (2 * sxy + c2) / (sx + sy + c2)
    return ssim_map.reshape(x.shape[0], -1).mean(1)


def monai_ssim_loss(p, g):
    """MONAI ``SSIMLoss(spatial_dims=2)``: ``1 - SSIM`` per image (mean over channels and
    the valid map), "mean" over the batch."""
    return _mean(1 - _ssim_per_image(p, g))


def ssl_ssim_loss(p, g):
    """SemSegLoss ``ssim_loss``: ``1 - tf.image.ssim(g, p, max_val=1)`` per image (TF
    defaults: Gaussian 11, sigma 1.5, k1 0.01, k2 0.03, 'valid'); Keras averages."""
    return _mean(1 - _ssim_per_image(g, p))


def ssl_unet3p_hybrid_loss(p, g):
    """SemSegLoss ``unet3p_hybrid_loss``: ``focal_loss + ssim_loss + jacard_loss``
    (single-scale SSIM)."""
    return ssl_focal_loss(p, g) + ssl_ssim_loss(p, g) + ssl_jacard_loss(p, g)


def ssl_basnet_hybrid_loss(p, g):
    """SemSegLoss ``basnet_hybrid_loss``: ``BCE(from_logits=False) + ssim_loss +
    jacard_loss``; Keras BCE clips p to [1e-7, 1 - 1e-7] (see ``ssl_bce_dice_loss`` about
    tf.keras's extra +1e-7 in the log), mean."""
    yp = np.clip(p, CLIP, 1 - CLIP)
    bce = _mean(-(g * np.log(yp) + (1 - g) * np.log(1 - yp)))
    return bce + ssl_ssim_loss(p, g) + ssl_jacard_loss(p, g)


# ============================================================================ cases

@dataclass(frozen=True)
class Case:
    library: str
    loss: str
    data: Callable[[int], tuple]
    oracle: Callable[[np.ndarray, np.ndarray], float]
    overrides: Dict = field(default_factory=dict)
    #: piecewise-smooth loss (sorts, min/max pooling, |.|): at a kink our gradient may be
    #: either one-sided derivative (checked with one-sided differences there)
    piecewise: bool = False

    @property
    def id(self):
        mode = self.overrides.get("mode", "binary")
        return f"{self.library}-{self.loss}-{mode}-{self.data.__name__}"


def _sign_flipped(fn):
    """SegLoss returns -score; the preset's loss is 1 - score = 1 + SegLoss's value."""
    def oracle(p, g):
        return 1.0 + fn(p, g)
    oracle.__name__ = fn.__name__
    return oracle


ML = {"mode": "multilabel"}
MC = {"mode": "multiclass"}
#: a class distance matrix with largest entry 2 (MONAI rescales it to 1)
GWDL_M = [[0.0, 2.0, 2.0], [2.0, 0.0, 1.0], [2.0, 1.0, 0.0]]

CASES = [
    # -- MONAI: probabilities, per (image, class), s = 1e-5 -------------------------
    Case("monai", "dice_loss", multilabel_probs_with_empty, monai_dice_loss, ML),
    Case("monai", "dice_loss", binary_probs, monai_dice_loss),
    Case("monai", "jaccard_loss", multilabel_probs_with_empty,
         lambda p, g: monai_dice_loss(p, g, jaccard=True), ML),
    Case("monai", "tversky_loss", multilabel_probs_with_empty, monai_tversky_loss, ML),
    Case("monai", "generalized_dice_loss", gdl_probs_onehot, monai_generalized_dice_loss, MC),
    Case("monai", "focal_loss", binary_logits, monai_focal_loss),
    Case("monai", "focal_loss", multilabel_logits, monai_focal_loss, ML),
    Case("monai", "dice_ce_loss", multiclass_logits_labels, monai_dice_ce_loss_softmax, MC),
    Case("monai", "dice_ce_loss", binary_logits, monai_dice_ce_loss_sigmoid),
    # The sigmoid forms of the focal compounds (the multiclass forms are not checked here).
    Case("monai", "dice_focal_loss", binary_logits, monai_dice_focal_loss_sigmoid),
    Case("monai", "generalized_dice_focal_loss", multilabel_logits, monai_generalized_dice_focal_loss_sigmoid, ML),
    Case("monai", "generalized_wasserstein_dice_loss", multiclass_logits_labels,
         lambda z, t: monai_generalized_wasserstein_dice_loss(z, t, GWDL_M), {**MC, "dist_matrix": GWDL_M}),
    Case("monai", "nacl_loss", multiclass_logits_labels, monai_nacl_loss, MC, piecewise=True),
    Case("monai", "hausdorff_dt_loss", multilabel_probs_maps, monai_hausdorff_dt_loss, ML),
    Case("monai", "log_hausdorff_dt_loss", multilabel_probs_maps, monai_log_hausdorff_dt_loss, ML),
    Case("monai", "soft_cldice_loss", multilabel_probs_maps, monai_soft_cldice_loss, ML, piecewise=True),
    Case("monai", "soft_dice_cldice_loss", multilabel_probs_maps, monai_soft_dice_cldice_loss, ML, piecewise=True),
    Case("monai", "ssim_loss", binary_probs_ssim, monai_ssim_loss),
    # MONAI's asymmetric losses take the 2-channel (bg, fg) input: our binary mode on p.
    Case("monai", "asymmetric_focal_loss", binary_probs, _on_bg_fg(monai_asymmetric_focal_loss)),
    Case("monai", "asymmetric_focal_tversky_loss", binary_probs, _on_bg_fg(monai_asymmetric_focal_tversky_loss)),
    Case("monai", "unified_focal_loss", binary_probs, _on_bg_fg(monai_unified_focal_loss)),
    Case("monai", "asymmetric_focal_tversky_loss", binary_probs_small,
         _on_bg_fg(monai_asymmetric_focal_tversky_loss)),
    Case("monai", "unified_focal_loss", binary_probs_small, _on_bg_fg(monai_unified_focal_loss)),
    # -- smp: logits, batch-pooled per class, no smoothing (every class present) ---
    Case("smp", "dice_loss", binary_logits, lambda z, g: smp_dice_loss(z, g, "binary")),
    Case("smp", "dice_loss", multiclass_logits_labels, lambda z, t: smp_dice_loss(z, t, "multiclass"), MC),
    Case("smp", "jaccard_loss", binary_logits, lambda z, g: smp_jaccard_loss(z, g, "binary")),
    Case("smp", "jaccard_loss", multiclass_logits_labels, lambda z, t: smp_jaccard_loss(z, t, "multiclass"), MC),
    Case("smp", "tversky_loss", binary_logits, lambda z, g: smp_tversky_loss(z, g, "binary")),
    Case("smp", "tversky_loss", multiclass_logits_labels, lambda z, t: smp_tversky_loss(z, t, "multiclass"), MC),
    Case("smp", "log_dice_loss", binary_logits, lambda z, g: smp_dice_loss(z, g, "binary", log_loss=True)),
    Case("smp", "log_dice_loss", multiclass_logits_labels,
         lambda z, t: smp_dice_loss(z, t, "multiclass", log_loss=True), MC),
    # A missed object: the score is below smp's eps clamp (checks the preset's eps).
    Case("smp", "log_dice_loss", binary_logits_missed, lambda z, g: smp_dice_loss(z, g, "binary", log_loss=True)),
    Case("smp", "focal_loss", binary_logits, smp_focal_loss),
    Case("smp", "mcc_loss", binary_probs, smp_mcc_loss),
    Case("smp", "bce_loss", binary_logits, smp_soft_bce_with_logits_loss),
    Case("smp", "cross_entropy_loss", multiclass_logits_labels, smp_soft_cross_entropy_loss, MC),
    Case("smp", "lovasz_hinge_loss", binary_logits, smp_lovasz_hinge, piecewise=True),
    # Class 2 absent from the batch: smp's classes="present" leaves it out.
    Case("smp", "lovasz_softmax_loss", multiclass_logits_labels_absent, smp_lovasz_softmax, MC, piecewise=True),
    # -- SemSegLoss: probabilities, micro (one channel), smooth 1 ------------------
    Case("semsegloss", "dice_loss", binary_probs, ssl_dice_loss),
    Case("semsegloss", "jaccard_loss", binary_probs, ssl_jacard_loss),
    Case("semsegloss", "tversky_loss", binary_probs, ssl_tversky_loss),
    Case("semsegloss", "focal_tversky_loss", binary_probs, ssl_focal_tversky),
    Case("semsegloss", "log_cosh_dice_loss", binary_probs, ssl_log_cosh_dice_loss),
    Case("semsegloss", "focal_loss", binary_probs, ssl_focal_loss),
    Case("semsegloss", "weighted_bce_loss", binary_probs, ssl_weighted_cross_entropyloss),
    Case("semsegloss", "dice_bce_loss", binary_probs, ssl_bce_dice_loss),
    Case("semsegloss", "ssim_loss", binary_probs_ssim, ssl_ssim_loss),
    Case("semsegloss", "unet3p_hybrid_loss", binary_probs_ssim, ssl_unet3p_hybrid_loss),
    Case("semsegloss", "basnet_hybrid_loss", binary_probs_ssim, ssl_basnet_hybrid_loss),
    # -- SegLoss: probabilities, per (image, class), smooth 1, compared as 1 + value --
    Case("segloss", "dice_loss", multilabel_probs, _sign_flipped(sl_soft_dice_loss), ML),
    Case("segloss", "dice_loss", binary_probs, _sign_flipped(sl_soft_dice_loss)),
    Case("segloss", "jaccard_loss", multilabel_probs, _sign_flipped(sl_iou_loss), ML),
    Case("segloss", "tversky_loss", multilabel_probs, _sign_flipped(sl_tversky_loss), ML),
    Case("segloss", "asymmetric_similarity_loss", multilabel_probs, _sign_flipped(sl_asym_loss), ML),
    Case("segloss", "sensitivity_specificity_loss", multilabel_probs, sl_ss_loss, ML),
    # gamma after the mean over (image, class) in SegLoss: one image, one class.
    Case("segloss", "focal_tversky_loss", one_image_one_class, sl_focal_tversky_loss),
    Case("segloss", "cross_entropy_loss", multiclass_logits_labels, sl_crossentropy_nd, MC),
    Case("segloss", "top_k_ce_loss", multiclass_logits_labels_large, sl_topk_loss, MC, piecewise=True),
    # Class 2 absent from the batch: SegLoss's LovaszSoftmax still averages it in.
    Case("segloss", "lovasz_softmax_loss", multiclass_probs_labels_absent, sl_lovasz_softmax, MC, piecewise=True),
    # -- Unified Focal: probabilities, 2 channels (bg, fg), per (image, class) ---------
    # The generic region losses see UFL's own 2-channel input in multiclass mode (both
    # channels are classes of the mean, as in UFL).
    Case("unified_focal", "dice_loss", two_channel_probs, ufl_dice_loss, MC),
    Case("unified_focal", "tversky_loss", two_channel_probs, ufl_tversky_loss, MC),
    Case("unified_focal", "focal_tversky_loss", two_channel_probs, ufl_focal_tversky_loss, MC),
    # The asymmetric/symmetric losses: our binary mode on p against UFL on [1 - p, p].
    Case("unified_focal", "asymmetric_focal_loss", binary_probs, _on_bg_fg(ufl_asymmetric_focal_loss)),
    Case("unified_focal", "symmetric_focal_loss", binary_probs, _on_bg_fg(ufl_symmetric_focal_loss)),
    Case("unified_focal", "asymmetric_focal_tversky_loss", binary_probs,
         _on_bg_fg(ufl_asymmetric_focal_tversky_loss)),
    Case("unified_focal", "symmetric_focal_tversky_loss", binary_probs,
         _on_bg_fg(ufl_symmetric_focal_tversky_loss)),
    Case("unified_focal", "unified_focal_loss", binary_probs, _on_bg_fg(ufl_asym_unified_focal_loss)),
    # Epsilon-smoothed (1e-7) losses again on tiny images, where the smoothing shows.
    Case("unified_focal", "asymmetric_focal_tversky_loss", binary_probs_small,
         _on_bg_fg(ufl_asymmetric_focal_tversky_loss)),
    Case("unified_focal", "symmetric_focal_tversky_loss", binary_probs_small,
         _on_bg_fg(ufl_symmetric_focal_tversky_loss)),
    Case("unified_focal", "unified_focal_loss", binary_probs_small, _on_bg_fg(ufl_asym_unified_focal_loss)),
]


def _fd(oracle, x, g, index, h=FD_STEP):
    xp, xm = x.copy(), x.copy()
    xp[index] += h
    xm[index] -= h
    return (oracle(xp, g) - oracle(xm, g)) / (2 * h)


def _fd_one_sided(oracle, x, g, index, h=FD_STEP):
    """Forward and backward differences (for a coordinate sitting on a kink)."""
    xp, xm = x.copy(), x.copy()
    xp[index] += h
    xm[index] -= h
    f0 = oracle(x, g)
    return (oracle(xp, g) - f0) / h, (f0 - oracle(xm, g)) / h


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_preset_matches_peer(case, seed):
    x, g = case.data(seed)
    x = np.ascontiguousarray(x, dtype=np.float64)
    loss = ss.presets.preset(case.library, case.loss, **case.overrides)
    what = f"{case.id} seed={seed} {loss!r}"

    want = case.oracle(x, g)
    got, grad = loss(x, g, return_grad=True)
    assert_close(got, want, RTOL, ATOL, what=what)
    assert grad.shape == x.shape and np.isfinite(grad).all(), what

    rng = np.random.default_rng(100 + seed)
    for flat in rng.choice(x.size, N_FD_COORDS, replace=False):
        i = np.unravel_index(flat, x.shape)
        num = _fd(case.oracle, x, g, i)
        if abs(grad[i] - num) <= FD_ATOL + FD_RTOL * abs(num):
            continue
        msg = f"{what} (gradient at {i}): ours {grad[i]!r}, peer finite difference {num!r}"
        assert case.piecewise, msg
        one_sided = _fd_one_sided(case.oracle, x, g, i)
        assert any(abs(grad[i] - d) <= 1e-7 + 1e-5 * abs(d) for d in one_sided), f"{msg}, one-sided {one_sided}"


def test_cases_cover_requested_presets():
    """Every case names an existing preset; the requested ones all have a case."""
    have = {(c.library, c.loss) for c in CASES}
    for lib, name in have:
        assert name in ss.presets.PRESETS[lib], (lib, name)
    required = {
        "monai": ["dice_loss", "jaccard_loss", "tversky_loss", "generalized_dice_loss", "focal_loss",
                  "dice_ce_loss"],
        "smp": ["dice_loss", "jaccard_loss", "tversky_loss", "log_dice_loss", "focal_loss", "mcc_loss"],
        "semsegloss": ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "log_cosh_dice_loss",
                       "focal_loss", "weighted_bce_loss", "dice_bce_loss"],
        "segloss": ["dice_loss", "jaccard_loss", "tversky_loss", "asymmetric_similarity_loss",
                    "sensitivity_specificity_loss", "focal_tversky_loss"],
        "unified_focal": ["dice_loss", "tversky_loss", "focal_tversky_loss", "asymmetric_focal_loss",
                          "asymmetric_focal_tversky_loss"],
    }
    missing = [(lib, n) for lib, names in required.items() for n in names if (lib, n) not in have]
    assert not missing, missing


# ============================================================================ the oracles themselves
# A few hand-checkable anchors, so that an oracle that drifted towards the preset would show.

P4 = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
G4 = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)


def test_oracle_anchors():
    # LOSSES.md §6.13 (no smoothing) against the oracles' formulas with smoothing removed.
    assert abs(monai_dice_loss(P4, G4, smooth_nr=0, smooth_dr=0) - 0.179487) < 1e-6
    assert abs(smp_mcc_loss(P4, G4, eps=0.0) - 0.349186) < 1e-6
    # SemSegLoss's alpha 0.7 is on FN: TP = 1.6, FN = 0.4, FP = 0.3 -> (2.6)/(1.6 + 0.28 + 0.09 + 1).
    assert abs(ssl_tversky_loss(P4, G4) - (1 - 2.6 / 2.97)) < 1e-12
    # smp Dice: batch-pooled, s = 0 -> 1 - 3.2 / 3.9 on the §6.13 vector.
    z4 = np.log(P4 / (1 - P4))
    assert abs(smp_dice_loss(z4, G4, "binary") - (1 - 3.2 / 3.9)) < 1e-12
    # SegLoss returns the negative Dice: -(3.2 + 1)/(3.9 + 1).
    assert abs(sl_soft_dice_loss(P4, G4) + 4.2 / 4.9) < 1e-12
    # UFL dice with delta = 0.5 is the Dice with twice its smoothing.
    yp, yt = _bg_fg(P4, G4)
    d0 = (2 * 1.6 + 2e-6) / (3.9 + 2e-6)
    d1 = (2 * 1.7 + 2e-6) / (4.1 + 2e-6)   # background: p = (0.1, 0.8, 0.3, 0.9), g = (0, 1, 0, 1)
    assert abs(ufl_dice_loss(yp, yt) - (1 - (d0 + d1) / 2)) < 1e-12


# ============================================================================ known disagreements

def test_monai_unified_focal_weight_has_the_opposite_meaning():
    """MONAI's AsymmetricUnifiedFocalLoss weighs weight * AFL + (1 - weight) * AFTL (LOSSES.md
    §1.3); unified_focal_loss weighs weight * FTL + (1 - weight) * FL (the Unified Focal code's
    order), as the preset's notes say: MONAI's weight = w is weight = 1 - w here."""
    p, g = binary_probs(0)
    y_pred, y_true = _bg_fg(p, g)
    peer = monai_unified_focal_loss(y_pred, y_true, weight=0.3)
    assert_close(ss.presets.preset("monai", "unified_focal_loss", weight=0.7)(p, g), peer, RTOL, ATOL,
                 what="monai unified_focal_loss, MONAI weight=0.3")
    assert abs(ss.presets.preset("monai", "unified_focal_loss", weight=0.3)(p, g) - peer) > 1e-3
    assert "1 - w" in ss.presets.PRESETS["monai"]["unified_focal_loss"].notes


# ============================================================================ every preset runs

MULTICLASS = {"lovasz_softmax_loss", "generalized_wasserstein_dice_loss", "nacl_loss", "generalized_dice_loss",
              "generalized_dice_focal_loss", "cross_entropy_loss", "top_k_ce_loss"}
MULTILABEL_NO_BG = {"hausdorff_dt_loss", "log_hausdorff_dt_loss", "soft_cldice_loss", "soft_dice_cldice_loss"}
ALL_PRESETS = [(lib, name) for lib, table in ss.presets.PRESETS.items() for name in table]


@pytest.mark.parametrize("library,name", ALL_PRESETS, ids=[f"{lib}-{n}" for lib, n in ALL_PRESETS])
def test_every_preset_runs(library, name):
    """Every preset builds a loss that gives a finite value and gradient in its natural mode
    (12 x 13 images: SSIM's 11 x 11 window fits)."""
    rng = np.random.default_rng(7)
    opts = ss.presets.preset_options(library, name)
    extra = {}
    if name in MULTICLASS:
        extra["mode"] = "multiclass"
        shape = (2, 3, 12, 13)
        target = _labels(rng, 2, 3, shape[2:])
        x = rng.normal(0, 2, shape) if opts.get("from_logits", True) else _softmax_probs(rng, shape)
        if name == "generalized_wasserstein_dice_loss":
            extra["dist_matrix"] = np.ones((3, 3)) - np.eye(3)
    else:
        shape = (2, 3, 12, 13) if name in MULTILABEL_NO_BG else (2, 1, 12, 13)
        if name in MULTILABEL_NO_BG:
            extra.update(mode="multilabel", include_background=False)
        target = _hard_target(rng, shape)
        x = rng.normal(0, 2, shape) if opts.get("from_logits", True) else _probs(rng, shape)
    loss = ss.presets.preset(library, name, **extra)
    value, grad = loss(x, target, return_grad=True)
    assert np.isfinite(value), (library, name, value)
    assert grad.shape == x.shape and np.isfinite(grad).all(), (library, name)
    assert np.abs(grad).max() > 0, (library, name)
    assert ss.presets.PRESETS[library][name].peer
