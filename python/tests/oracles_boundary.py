"""NumPy + SciPy oracles of the distance-map losses (Hausdorff-DT, log HD-DT, boundary,
distance-penalized CE, shape-aware) and of the Hausdorff erosion loss, central differences,
and the input builders shared by test_boundary_losses*.py (issue 4). ``oracle`` is also used,
through test_boundary_losses.py, by oracles_hybrid.py.

``RNG`` is the one generator (seed 7) those test files draw from, as the single file they were
split from did: a test's inputs depend on the tests that ran before it in the session.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from oracles_hausdorff_er import forward_backward as erosion_forward_backward

RNG = np.random.default_rng(7)


# ---------------------------------------------------------------- oracles (one row = one image-channel)

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def edt(m, spacing=None):
    """SciPy's exact EDT, in units of `spacing` (BL's `resolution`)."""
    return ndimage.distance_transform_edt(m, sampling=spacing)


def two_sided(m, spacing=None):
    if not m.any() or m.all():
        return np.zeros(m.shape)
    return edt(m, spacing) + edt(~m, spacing)


def kervadec_phi(m, spacing=None):
    if not m.any() or m.all():
        return np.zeros(m.shape)
    return edt(~m, spacing) * ~m - (edt(m, spacing) - 1) * m


def caliva_weight(m, valid, spacing=None):
    if not m.any() or m.all():
        return np.ones(m.shape)
    phi = np.zeros(m.shape)
    for side, e in ((m, edt(m, spacing)), (~m, edt(~m, spacing))):
        sel = side & valid
        if not sel.any():
            continue
        top, low = e[sel].max(), e[sel].min()
        phi[side] = (top - e[side]) / (top - low) if top > low else 1.0
    return 1 + phi


def surface(m):
    return m & ~ndimage.binary_erosion(m, border_value=0)


def shape_weight(pm, gm, w, spacing=None):
    sp, sg = surface(pm), surface(gm)
    if not sp.any() or not sg.any():
        return np.ones(pm.shape)
    return np.full(pm.shape, 1 + w * edt(~sg, spacing)[sp].mean())


def bce(x, g, from_logits):
    if from_logits:
        lp = -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))
        lq = -(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))
        return -(g * lp + (1 - g) * lq), sigmoid(x) - g
    p = np.clip(x, 1e-7, 1 - 1e-7)
    inside = (x > 1e-7) & (x < 1 - 1e-7)
    return -(g * np.log(p) + (1 - g) * np.log(1 - p)), np.where(inside, -(g / p - (1 - g) / (1 - p)), 0)


def oracle(name, x, g, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None, include_background=True,
           alpha=2.0, shape_weight_=1.0, spacing=None):
    """Per-voxel loss and d/dx, then the reduction; returns (value, grad). For the Hausdorff
    erosion loss, whose voxels are coupled, grad is d(sum of the row's losses)/dx."""
    valid = np.ones(x.shape, bool) if ignore_index is None else g != ignore_index
    if not include_background:
        valid[:, 0] = False
    gc = np.where(valid, g, 0.0)
    p = sigmoid(x) if from_logits else x
    dp = p * (1 - p) if from_logits else np.ones_like(x)
    loss = np.zeros(x.shape)
    grad = np.zeros(x.shape)
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            gm = (gc[b, c] > 0.5)
            pm = x[b, c] > (0 if from_logits else 0.5)
            pr, gr, xr = p[b, c], gc[b, c], x[b, c]
            if name == "hausdorff_er_loss":
                loss1, dl = erosion_forward_backward(pr[None], gr[None], valid=valid[b, c][None], alpha=alpha,
                                                     upstream=np.ones((1,) + pr.shape))
                loss[b, c], grad[b, c] = loss1[0], dl[0] * dp[b, c]
            elif name.endswith("hausdorff_dt_loss"):
                w = two_sided(gm, spacing) ** alpha + two_sided(pm, spacing) ** alpha
                loss[b, c] = (pr - gr) ** 2 * w
                grad[b, c] = 2 * (pr - gr) * w * dp[b, c]
            elif name == "boundary_loss":
                phi = kervadec_phi(gm, spacing)
                loss[b, c] = pr * phi
                grad[b, c] = phi * dp[b, c]
            else:
                if name == "distance_penalized_ce_loss":
                    w = caliva_weight(gm, valid[b, c], spacing)
                else:
                    w = shape_weight(pm & valid[b, c], gm, shape_weight_, spacing)
                l, d = bce(xr, gr, from_logits)
                loss[b, c], grad[b, c] = w * l, w * d
    loss[~valid] = 0
    grad[~valid] = 0
    count = valid.sum()
    if reduction == "none":
        return loss, grad
    total = loss.sum()
    if reduction == "mean":
        total, grad = (total / count, grad / count) if count else (0.0, grad * 0)
    if name == "log_hausdorff_dt_loss":
        return np.log1p(total), grad / (1 + total)
    return total, grad


def central_differences(fn, x, target, h=1e-6, **opts):
    """d fn(x, target, **opts) / dx by central differences, element by element."""
    num = np.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        num.flat[i] = (fn(xp, target, **opts) - fn(xm, target, **opts)) / (2 * h)
    return num


def data(shape, rng=RNG, probabilities=False):
    x = rng.normal(0, 2, shape)
    if probabilities:
        x = sigmoid(x)
    g = (rng.random(shape) < 0.4).astype(np.float64)
    return x, g


def blob_data(shape, rng=RNG):
    """Smooth masks (a few balls) with noisy logits: realistic distance maps."""
    grid = np.indices(shape[2:])
    g = np.zeros(shape, bool)
    for b in range(shape[0]):
        for c in range(shape[1]):
            for _ in range(2):
                centre = [rng.uniform(0, n) for n in shape[2:]]
                r = rng.uniform(2, max(3, min(shape[2:]) / 3))
                g[b, c] |= sum((q - m) ** 2 for q, m in zip(grid, centre)) <= r * r
    g = g.astype(np.float64)
    x = 3 * (2 * g - 1) + rng.normal(0, 2.5, shape)
    return x, g


# ---------------------------------------------------------------- multiclass

#: Distance losses weighting a binary cross-entropy: no multiclass mode.
CROSS_ENTROPY_LOSSES = ("distance_penalized_ce_loss", "shape_aware_loss")


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
