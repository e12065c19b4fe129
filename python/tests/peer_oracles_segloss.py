"""NumPy oracles of SegLoss's losses (LOSSES.md §1.2) for test_presets_peers.py: soft Dice,
IoU, Tversky, focal Tversky, asymmetric, sensitivity-specificity, CrossentropyND, TopK and
LovaszSoftmax. As in SegLoss, the region losses return -score (the cases compare the preset
with 1 + value).
"""
from __future__ import annotations

import numpy as np

from peer_inputs import _log_softmax, _mean, _spatial
from peer_oracles_common import _flatten_probas, _lovasz_softmax_flat


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


# ============================================================================ oracles: SegLoss CE and Lovász

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


def sl_lovasz_softmax(p, labels):
    """SegLoss ``LovaszSoftmax()``: probabilities in, batch flattened, Lovász-softmax over
    ALL classes (no "present" filter)."""
    return _lovasz_softmax_flat(*_flatten_probas(p, labels), classes="all")
