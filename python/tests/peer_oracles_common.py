"""Pieces of the peers' NumPy oracles that several peers share (test_presets_peers.py):
Keras's / MONAI's clipping epsilon, the 2-channel (background, foreground) view of a
one-channel problem (MONAI's asymmetric losses, Unified Focal), the Lovász extension (smp,
SegLoss; LOSSES.md §1.6) and SSIM (MONAI, SemSegLoss).
"""
from __future__ import annotations

import numpy as np

from peer_inputs import _mean

CLIP = 1e-7  # K.epsilon() (Keras), MONAI's epsilon of the asymmetric losses


# ============================================================================ 2-channel (bg, fg) inputs

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


# ============================================================================ Lovász extension

def _lovasz_grad(gt_sorted):
    """LovaszSoftmax ``lovasz_grad``: J_k = 1 - (G - cumsum g)/(G + cumsum(1 - g)),
    Delta_1 = J_1, Delta_k = J_k - J_(k-1)."""
    gts = gt_sorted.sum()
    inter = gts - np.cumsum(gt_sorted)
    union = gts + np.cumsum(1 - gt_sorted)
    j = 1.0 - inter / union
    j[1:] = j[1:] - j[:-1]
    return j


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


# ============================================================================ SSIM

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
