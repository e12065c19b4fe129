"""Plain-NumPy oracles of the compound family (combo, exp-log, unified focal and its parts).

Two kinds:

* value oracles ``<name>(input, target, **options)`` with the package's options (mode
  binary/multilabel, from_logits, reduction, ignore_index, include_background, region
  options, the loss's own parameters), computed in float64 — checked against the extension
  on random problems (test_compound_losses_oracle.py). Dice + CE, Dice + focal, combo and
  exp-log are here; the unified focal loss and its parts are in oracles_compound_ufl.py, the
  shared helpers in oracles_compound_common.py; ``ORACLES`` holds them all;
* forward + backward baselines ``BENCH[name](z, g) -> (loss, grad)`` for the speed
  benchmark (binary logits, per-image sums, mean, library defaults), written in the style
  of benchmarks/numpy_reference.py: in oracles_compound_bench.py, re-exported here.

Semantics follow the docstrings: region entries are (image, channel) (or channels pooled
over the batch), entries without valid voxels leave the mean, ``empty="skip"`` drops
entries with G = 0; pixel terms are 0 where ignored and averaged over valid elements;
probabilities are clamped to [1e-7, 1 - 1e-7] inside logarithms.
"""
from __future__ import annotations

import numpy as np

from oracles_compound_bench import (BENCH, bench_combo, bench_dice_ce, bench_dice_focal,  # noqa: F401
                                    bench_exp_log, bench_unified)
from oracles_compound_common import (EPS, _entries, _neg_logs, _one_minus_tversky, _prepare,  # noqa: F401
                                     _probs, _reduce_entries, _reduce_pixels)
from oracles_compound_ufl import (asymmetric_focal_loss, asymmetric_focal_tversky_loss,  # noqa: F401
                                  symmetric_focal_loss, symmetric_focal_tversky_loss, unified_focal_loss,
                                  yeung_focal, yeung_focal_tversky)

COMPOUND = ("dice_ce_loss", "dice_focal_loss", "combo_loss", "exp_log_loss", "unified_focal_loss")
PARTS = ("asymmetric_focal_loss", "symmetric_focal_loss", "asymmetric_focal_tversky_loss",
         "symmetric_focal_tversky_loss")
FAMILY = COMPOUND + PARTS
#: The losses with region options (smooth_nr, smooth_dr, batch, empty).
REGION = {"dice_ce_loss", "dice_focal_loss", "combo_loss", "exp_log_loss", "unified_focal_loss", "asymmetric_focal_tversky_loss",
          "symmetric_focal_tversky_loss"}


# ----------------------------------------------------------------------------- compounds

def combo_loss(input, target, *, alpha=0.5, beta=0.5, smooth_nr=1e-5, smooth_dr=1e-5, batch=False,
               empty="smooth", **o):
    x, g, valid, keep = _prepare(input, target, o)
    tp, ps, gs, v = _entries(_probs(x, o), g, valid, keep, dict(o, batch=batch))
    u = ps + gs + smooth_dr
    dice = np.where(u > 0, 1 - (2 * tp + smooth_nr) / np.where(u > 0, u, 1), 0.0)
    a, b, _ = _neg_logs(x, o.get("from_logits", True))
    ce = beta * g * a + (1 - beta) * (1 - g) * b
    return (alpha * _reduce_pixels(ce, valid, keep, o)
            + (1 - alpha) * _reduce_entries(dice, gs, v, dict(o, empty=empty), ps))


def exp_log_loss(input, target, *, w_dice=0.8, w_ce=0.2, gamma_dice=0.3, gamma_ce=0.3, floor=1e-7,
                 smooth_nr=1e-5, smooth_dr=1e-5, batch=False, empty="smooth", **o):
    x, g, valid, keep = _prepare(input, target, o)
    tp, ps, gs, v = _entries(_probs(x, o), g, valid, keep, dict(o, batch=batch))
    u = np.where(ps + gs + smooth_dr > 0, ps + gs + smooth_dr, 1.0)
    d = np.maximum((2 * tp + smooth_nr) / u, 1e-12)
    dice = np.maximum(-np.log(d), floor) ** gamma_dice
    dice = np.where(ps + gs + smooth_dr > 0, dice, 0.0)
    a, b, _ = _neg_logs(x, o.get("from_logits", True))
    ce = g * np.maximum(a, floor) ** gamma_ce + (1 - g) * np.maximum(b, floor) ** gamma_ce
    return (w_dice * _reduce_entries(dice, gs, v, dict(o, empty=empty), ps)
            + w_ce * _reduce_pixels(ce, valid, keep, o))


def _dice(x, g, valid, keep, o, smooth_nr, smooth_dr, batch, empty):
    tp, ps, gs, v = _entries(_probs(x, o), g, valid, keep, dict(o, batch=batch))
    u = ps + gs + smooth_dr
    dice = np.where(u > 0, 1 - (2 * tp + smooth_nr) / np.where(u > 0, u, 1), 0.0)
    return _reduce_entries(dice, gs, v, dict(o, empty=empty), ps)


def dice_ce_loss(input, target, *, lambda_dice=1.0, lambda_ce=1.0, smooth_nr=1e-5, smooth_dr=1e-5,
                 batch=False, empty="smooth", **o):
    """Binary/multilabel: Dice + per-element BCE."""
    x, g, valid, keep = _prepare(input, target, o)
    a, b, _ = _neg_logs(x, o.get("from_logits", True))
    return (lambda_dice * _dice(x, g, valid, keep, o, smooth_nr, smooth_dr, batch, empty)
            + lambda_ce * _reduce_pixels(g * a + (1 - g) * b, valid, keep, o))


def dice_focal_loss(input, target, *, alpha=None, gamma=2.0, lambda_dice=1.0, lambda_focal=1.0,
                    smooth_nr=1e-5, smooth_dr=1e-5, batch=False, empty="smooth", **o):
    """Binary/multilabel: Dice + sigmoid focal."""
    x, g, valid, keep = _prepare(input, target, o)
    a, b, p = _neg_logs(x, o.get("from_logits", True))
    if not o.get("from_logits", True):
        p = np.exp(-a)
    wp, wn = (1.0, 1.0) if alpha is None else (alpha, 1 - alpha)
    focal = wp * g * (1 - p) ** gamma * a + wn * (1 - g) * p ** gamma * b
    return (lambda_dice * _dice(x, g, valid, keep, o, smooth_nr, smooth_dr, batch, empty)
            + lambda_focal * _reduce_pixels(focal, valid, keep, o))


ORACLES = {name: globals()[name] for name in FAMILY}
