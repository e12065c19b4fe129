"""Shared helpers of the compound-family NumPy oracles (oracles_compound.py,
oracles_compound_ufl.py): stable -log p / -log(1 - p), target preparation (ignored voxels,
kept channels), the per-entry sums TP, P, G, V, and the reductions of region entries and of
pixel terms.

Semantics follow the docstrings: region entries are (image, channel) (or channels pooled
over the batch), entries without valid voxels leave the mean, ``empty="skip"`` drops
entries with G = 0; pixel terms are 0 where ignored and averaged over valid elements;
probabilities are clamped to [1e-7, 1 - 1e-7] inside logarithms.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-7


def _neg_logs(x, from_logits):
    """-log p, -log(1 - p), p in float64 (stable from logits; probabilities clamped in
    the input's own precision, as the library does)."""
    dt = x.dtype if isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64) else np.float64
    if not from_logits:
        pc = np.clip(np.asarray(x, dtype=dt), dt.type(EPS), dt.type(1) - dt.type(EPS)).astype(np.float64)
        return -np.log(pc), -np.log1p(-pc), np.asarray(x, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if from_logits:
        sp = lambda t: np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))  # noqa: E731
        p = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
        return sp(-x), sp(x), p


def _prepare(input, target, o):
    x = np.asarray(input)
    x = x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)
    g = np.asarray(target, dtype=np.float64)
    ig = o.get("ignore_index")
    valid = np.ones(g.shape, bool) if ig is None else g != ig
    g = np.where(valid, g, 0.0)
    keep = np.ones(g.shape[1], bool)
    if not o.get("include_background", True):
        keep[0] = False
    return x, g, valid, keep


def _entries(p, g, valid, keep, o):
    """TP, P, G, V per entry: (N, C') or (C',) with batch."""
    n, c = p.shape[:2]
    f = lambda a: (a * valid).reshape(n, c, -1).sum(-1)[:, keep]  # noqa: E731
    tp, ps, gs, v = f(p * g), f(p), f(g), f(np.ones_like(p))
    if o.get("batch", False):
        tp, ps, gs, v = tp.sum(0), ps.sum(0), gs.sum(0), v.sum(0)
    return tp, ps, gs, v


def _reduce_entries(terms, gs, v, o, ps=None):
    terms = np.where(v > 0, terms, 0.0)
    included = v > 0
    if o.get("empty", "smooth") == "penalize_fp":  # an empty target: P/(P + 1)
        terms = np.where((gs == 0) & (v > 0), ps / (ps + 1), terms)
    if o.get("empty", "smooth") == "skip":
        terms = np.where((gs == 0) & (v > 0), np.nan, terms)
        included = included & (gs > 0)
    red = o.get("reduction", "mean")
    if red == "none":
        return terms
    total = float(np.sum(terms[included]))
    if red == "sum":
        return total
    return total / included.sum() if included.any() else 0.0


def _reduce_pixels(terms, valid, keep, o):
    terms = np.where(valid, terms, 0.0)
    terms[:, ~keep] = 0.0
    red = o.get("reduction", "mean")
    if red == "none":
        return terms
    mask = valid.copy()
    mask[:, ~keep] = False
    total = float(terms.sum())
    if red == "sum":
        return total
    return total / mask.sum() if mask.any() else 0.0


def _probs(x, o):
    return _neg_logs(x, o.get("from_logits", True))[2]


def _one_minus_tversky(tp, ps, gs, delta, sn, sd):
    w = tp + delta * (gs - tp) + (1 - delta) * (ps - tp) + sd
    return np.where(w > 0, 1 - (tp + sn) / np.where(w > 0, w, 1), 0.0)
