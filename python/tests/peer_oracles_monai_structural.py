"""NumPy oracles of MONAI's structural losses for test_presets_peers.py: HausdorffDTLoss and
LogHausdorffDTLoss (scipy's EDT), SoftclDiceLoss and SoftDiceclDiceLoss (soft skeletons by
min/max pooling), SSIMLoss (SSIM itself is in peer_oracles_common.py).
"""
from __future__ import annotations

import numpy as np

from peer_inputs import _mean
from peer_oracles_common import _ssim_per_image


# ============================================================================ oracles: MONAI HausdorffDT

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


# ============================================================================ oracles: MONAI clDice

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


# ============================================================================ oracles: MONAI SSIM

def monai_ssim_loss(p, g):
    """MONAI ``SSIMLoss(spatial_dims=2)``: ``1 - SSIM`` per image (mean over channels and
    the valid map), "mean" over the batch."""
    return _mean(1 - _ssim_per_image(p, g))
