"""Plain-NumPy value oracles of the unified focal loss and its parts (asymmetric/symmetric
focal and focal Tversky losses, Yeung et al.), with the package's options, in float64.
Re-exported by oracles_compound.py (``ORACLES``)."""
from __future__ import annotations

import numpy as np

from oracles_compound_common import (_entries, _neg_logs, _one_minus_tversky, _prepare, _probs, _reduce_entries,
                                     _reduce_pixels)


# ----------------------------------------------------------------------------- parts

def yeung_focal_tversky(input, target, *, symmetric, delta=0.7, gamma=0.75, floor=1e-7,
                        smooth_nr=1e-5, smooth_dr=1e-5, **o):
    x, g, valid, keep = _prepare(input, target, o)
    tp, ps, gs, v = _entries(_probs(x, o), g, valid, keep, o)
    fg = np.maximum(_one_minus_tversky(tp, ps, gs, delta, smooth_nr, smooth_dr), floor) ** (1 - gamma)
    bg = _one_minus_tversky(v - ps - gs + tp, v - ps, v - gs, delta, smooth_nr, smooth_dr)
    if symmetric:
        bg = np.maximum(bg, floor) ** (1 - gamma)
    return _reduce_entries((fg + bg) / 2, gs, v, o, ps)


def asymmetric_focal_tversky_loss(input, target, **o):
    return yeung_focal_tversky(input, target, symmetric=False, **o)


def symmetric_focal_tversky_loss(input, target, **o):
    return yeung_focal_tversky(input, target, symmetric=True, **o)


def _yeung_focal_terms(x, g, symmetric, delta, gamma, from_logits):
    a, b, p = _neg_logs(x, from_logits)
    if not from_logits:
        p = np.exp(-a)
    fg = delta * g * a * ((1 - p) ** gamma if symmetric else 1.0)
    return fg + (1 - delta) * (1 - g) * p ** gamma * b


def yeung_focal(input, target, *, symmetric, delta=0.7, gamma=2.0, **o):
    x, g, valid, keep = _prepare(input, target, o)
    terms = _yeung_focal_terms(x, g, symmetric, delta, gamma, o.get("from_logits", True))
    return _reduce_pixels(terms, valid, keep, o)


def asymmetric_focal_loss(input, target, **o):
    return yeung_focal(input, target, symmetric=False, **o)


def symmetric_focal_loss(input, target, **o):
    return yeung_focal(input, target, symmetric=True, **o)


# ----------------------------------------------------------------------------- the compound

def unified_focal_loss(input, target, *, variant="asymmetric", weight=0.5, delta=0.6, gamma=0.5,
                       floor=1e-7, smooth_nr=1e-5, smooth_dr=1e-5, batch=False, empty="smooth", **o):
    sym = variant == "symmetric"
    ftl = yeung_focal_tversky(input, target, symmetric=sym, delta=delta, gamma=gamma, floor=floor,
                              smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch, empty=empty, **o)
    fl = yeung_focal(input, target, symmetric=sym, delta=delta, gamma=gamma, **o)
    return weight * ftl + (1 - weight) * fl
