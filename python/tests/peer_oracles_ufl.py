"""NumPy oracles of the Unified Focal loss code's Keras losses (LOSSES.md §1.5) for
test_presets_peers.py: Dice, Tversky, focal Tversky, the asymmetric and symmetric focal and
focal Tversky losses, and the asymmetric unified focal loss. They take 2-channel
(background, foreground) arrays; ``_on_bg_fg`` (peer_oracles_common.py) applies them to a
one-channel problem.
"""
from __future__ import annotations

import numpy as np

from peer_inputs import _channels_last, _mean
from peer_oracles_common import CLIP


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
