"""Inputs of the preset-vs-peer tests (test_presets_peers*.py) and the array helpers that
the peers' NumPy oracles (peer_oracles_*.py) share.

Every generator ``<name>(seed)`` returns ``(input, target)``, channel-first (B, C, *spatial),
drawn from ``np.random.default_rng(seed)``; its name is part of the test IDs. The data keeps
away from the peer behaviours that a preset does not reproduce (every class present, no
clipping active, ...), as each docstring says.
"""
from __future__ import annotations

import numpy as np

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
