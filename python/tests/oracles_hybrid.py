"""Plain-NumPy oracles of the sums of whole losses: generalized_dice_focal_loss,
dice_top_k_loss, unet3p_hybrid_loss, basnet_hybrid_loss.

Each is the weighted sum of the independent NumPy oracles of its parts (oracles.py,
oracles_region.py, oracles_distribution.py) and of an SSIM value oracle written here
(Gaussian window applied separably without padding, per (image, channel), as documented
in ``ssim_loss``). Options follow the package's names; values are float64.
"""
from __future__ import annotations

import numpy as np

import oracles as core
import oracles_distribution as od
import oracles_region as orr
from oracles_lovasz import _ssim_taps, _valid
from oracles_boundary import oracle as distance_oracle

HYBRIDS = ("generalized_dice_focal_loss", "dice_top_k_loss", "unet3p_hybrid_loss", "basnet_hybrid_loss")
#: Compounds with a distance-map part (binary/multilabel oracles; scipy's EDT).
DISTANCE_HYBRIDS = ("dice_boundary_loss", "dice_hausdorff_dt_loss")
SSIM_HYBRIDS = ("unet3p_hybrid_loss", "basnet_hybrid_loss")
REGION_OPTIONS = ("smooth_nr", "smooth_dr", "batch", "empty")
SSIM_OPTIONS = ("win_size", "kernel_sigma", "k1", "k2", "data_range")


def _value(result):
    """The oracles of the distribution family return (value, grad)."""
    return result[0] if isinstance(result, tuple) else result


def ssim_loss(input, target, *, mode="binary", from_logits=True, reduction="mean", include_background=True,
              win_size=11, kernel_sigma=1.5, k1=0.01, k2=0.03, data_range=1.0):
    """1 - SSIM(p, g) per (image, channel): sigmoid per channel, or softmax over C against the
    one-hot target in multiclass mode (label maps accepted); mean or sum over the kept entries."""
    x = np.asarray(input, dtype=np.float64)
    if mode == "multiclass":
        _, g, _ = core.multiclass_targets(input, target)
        p = core.softmax(x) if from_logits else x
    else:
        g = np.asarray(target, dtype=np.float64)
        p = core.sigmoid(x) if from_logits else x
    w = _ssim_taps(win_size, kernel_sigma)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    mp, mg = _valid(p, w), _valid(g, w)
    sp, sg = _valid(p * p, w) - mp ** 2, _valid(g * g, w) - mg ** 2
    spg = _valid(p * g, w) - mp * mg
    s = (2 * mp * mg + c1) * (2 * spg + c2) / ((mp ** 2 + mg ** 2 + c1) * (sp + sg + c2))
    losses = 1 - s.mean(axis=tuple(range(2, s.ndim)))
    losses = losses[:, 0 if include_background else 1:]
    return float(losses.sum()) if reduction == "sum" else float(losses.mean())


def _focal(x, g, common, alpha, gamma):
    if common.get("mode") == "multiclass":
        return _value(od.softmax_focal_loss(x, g, alpha=alpha, gamma=gamma, **common))
    return core.focal_loss(x, g, alpha=alpha, gamma=gamma, **common)


def _split(o):
    region = {k: o.pop(k) for k in REGION_OPTIONS if k in o}
    ssim = {k: o.pop(k) for k in SSIM_OPTIONS if k in o}
    return region, ssim


def generalized_dice_focal_loss(input, target, *, weight_type="square", alpha=None, gamma=2.0,
                                lambda_gdl=1.0, lambda_focal=1.0, **o):
    region, _ = _split(o)
    gdl = orr.generalized_dice_loss(input, target, weight_type=weight_type, **region, **o)
    return lambda_gdl * gdl + lambda_focal * _focal(input, target, o, alpha, gamma)


def dice_top_k_loss(input, target, *, squared_pred=False, k=10.0, weight=None, label_smoothing=0.0,
                    lambda_dice=1.0, lambda_top_k=1.0, **o):
    region, _ = _split(o)
    dice = core.dice_loss(input, target, squared_pred=squared_pred, **region, **o)
    top_k = _value(od.top_k_ce_loss(input, target, k=k, weight=weight, label_smoothing=label_smoothing, **o))
    return lambda_dice * dice + lambda_top_k * top_k


def _hybrid(first, input, target, lambda_ssim, lambda_jaccard, o):
    region, ssim = _split(o)
    o.pop("ignore_index", None)
    s = ssim_loss(input, target, **ssim, **o)
    j = core.jaccard_loss(input, target, **region, **o)
    return first + lambda_ssim * s + lambda_jaccard * j


def unet3p_hybrid_loss(input, target, *, alpha=0.25, gamma=2.0, lambda_focal=1.0, lambda_ssim=1.0,
                       lambda_jaccard=1.0, **o):
    common = {k: v for k, v in o.items() if k not in REGION_OPTIONS + SSIM_OPTIONS}
    return _hybrid(lambda_focal * _focal(input, target, common, alpha, gamma), input, target,
                   lambda_ssim, lambda_jaccard, o)


def basnet_hybrid_loss(input, target, *, lambda_ce=1.0, lambda_ssim=1.0, lambda_jaccard=1.0, **o):
    common = {k: v for k, v in o.items() if k not in REGION_OPTIONS + SSIM_OPTIONS}
    ce = _value(od.cross_entropy_loss(input, target, **common))
    return _hybrid(lambda_ce * ce, input, target, lambda_ssim, lambda_jaccard, o)


def _distance(name, input, target, o, **params):
    common = {k: o[k] for k in ("mode", "from_logits", "reduction", "ignore_index", "include_background") if k in o}
    return distance_oracle(name, np.asarray(input, np.float64), np.asarray(target, np.float64), **common, **params)[0]


def dice_boundary_loss(input, target, *, generalized=True, weight_type=None, lambda_dice=1.0,
                       lambda_boundary=0.01, **o):
    region, _ = _split(o)
    if generalized:
        r = orr.generalized_dice_loss(input, target, weight_type=weight_type or "square", **region, **o)
    else:
        r = core.dice_loss(input, target, **region, **o)
    return lambda_dice * r + lambda_boundary * _distance("boundary_loss", input, target, o)


def dice_hausdorff_dt_loss(input, target, *, alpha=2.0, **o):
    """lambda * Dice + HD with lambda = HD / Dice: the value is 2 HD (HD when Dice = 0)."""
    region, _ = _split(o)
    dice = core.dice_loss(input, target, **region, **o)
    hd = _distance("hausdorff_dt_loss", input, target, o, alpha=alpha)
    return (hd / dice if dice else 0.0) * dice + hd


ORACLES = {name: globals()[name] for name in HYBRIDS + DISTANCE_HYBRIDS}
