"""Plain-NumPy forward + backward oracles of the distribution family: weighted/balanced BCE,
cross-entropy, softmax focal (``focal_loss`` in multiclass mode) and top-k cross-entropy.

Each oracle returns ``(value, grad)`` computed in float64 from the given arrays, with the
semantics of the package docstrings: per-voxel terms (multiclass: summed over classes),
ignored voxels out of every sum with zero gradient, mean over valid voxels (or PyTorch's
weighted mean ``sum_i w[y_i]`` when class weights are given), probabilities clamped to
[1e-7, 1 - 1e-7] in the input's precision. The benchmark imports these functions.
"""
from __future__ import annotations

import numpy as np

from oracles import EPS, _clamped, sigmoid, softplus


# ----------------------------------------------------------------------------- binary

def _binary(x, target, q, r, *, from_logits=True, reduction="mean", ignore_index=None,
            include_background=True, grad_output=None):
    x = np.asarray(x)
    g = np.asarray(target).astype(np.float64)
    valid = np.ones(g.shape, bool) if ignore_index is None else g != ignore_index
    if not include_background:
        valid[:, 0] = False
    g = np.where(valid, g, 0.0)
    if from_logits:
        z = x.astype(np.float64)
        lp, lq, p = -softplus(-z), -softplus(z), sigmoid(z)
        d = p * (q * g + r * (1 - g)) - q * g
    else:
        p = _clamped(x)
        lp, lq = np.log(p), np.log1p(-p)
        dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
        inside = (x > dt.type(EPS)) & (x < dt.type(1) - dt.type(EPS))
        d = np.where(inside, -(q * g / p - r * (1 - g) / (1 - p)), 0.0)
    terms = np.where(valid, -(q * g * lp + r * (1 - g) * lq), 0.0)
    return _reduce(terms, d, valid, reduction, valid.sum(), grad_output, channels=False)


def _reduce(terms, d, valid, reduction, denominator, grad_output, channels):
    """(value, grad) from per-voxel terms and unscaled per-element derivatives d."""
    if reduction == "none":
        f = np.ones(terms.shape) if grad_output is None else np.asarray(grad_output, np.float64)
        value = terms
    elif reduction == "sum":
        f, value = np.ones(terms.shape), float(terms.sum())
    else:
        scale = 1.0 / denominator if denominator else 0.0
        f, value = np.full(terms.shape, scale), float(terms.sum() * scale)
    f = np.where(valid, f, 0.0)
    return value, d * (f[:, None] if channels else f)


def weighted_bce_loss(input, target, *, mode="binary", beta=None, pos_weight=None, grad_output=None, **o):
    b = 0.75 if beta is None else beta
    q = pos_weight if pos_weight is not None else b / (1 - b)
    return _binary(input, target, q, 1.0, grad_output=grad_output, **o)


def balanced_bce_loss(input, target, *, mode="binary", beta=0.5, grad_output=None, **o):
    return _binary(input, target, beta, 1 - beta, grad_output=grad_output, **o)


# ----------------------------------------------------------------------------- categorical

def dense_target(target, shape, ignore_index):
    """(g float64 (N, C, *S), valid (N, *S)) from a label map or a dense target."""
    t = np.asarray(target)
    c = shape[1]
    if t.ndim == len(shape) - 1:
        valid = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
        lab = np.where(valid, t, 0)
        classes = np.arange(c).reshape((1, c) + (1,) * (len(shape) - 2))
        return (lab[:, None] == classes).astype(np.float64), valid
    t = t.astype(np.float64)
    valid = np.ones(t.shape[:1] + t.shape[2:], bool)
    if ignore_index is not None:
        valid = ~(t == ignore_index).any(axis=1)
    return np.where(valid[:, None], t, 0.0), valid


def _log_softmax(x, from_logits):
    """(l = log p, p, inside) in float64; inside marks unclamped probabilities."""
    if from_logits:
        z = np.asarray(x).astype(np.float64)
        m = z.max(axis=1, keepdims=True)
        l = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return l, np.exp(l), None
    x = np.asarray(x)
    p = _clamped(x)
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    inside = (x > dt.type(EPS)) & (x < dt.type(1) - dt.type(EPS))
    return np.log(p), p, inside


def _class_weights(c, weight, alpha, include_background, ndim):
    w = np.ones(c) if weight is None else np.asarray(weight, np.float64)
    if alpha is not None:
        w = w * np.array([1 - alpha] + [alpha] * (c - 1))
    if not include_background:
        w = w.copy()
        w[0] = 0.0
    return w.reshape((1, c) + (1,) * (ndim - 2))


def categorical_terms(term, input, target, *, from_logits=True, ignore_index=None,
                      include_background=True, weight=None, alpha=None):
    """Per-voxel losses (N, *S), unscaled gradient (input shape), valid mask, g, w."""
    x = np.asarray(input)
    g, valid = dense_target(target, x.shape, ignore_index)
    l, p, inside = _log_softmax(x, from_logits)
    w = _class_weights(x.shape[1], weight, alpha, include_background, x.ndim)
    t, u = term(l, p, g, w)
    terms = np.where(valid, t.sum(axis=1), 0.0)
    if from_logits:
        d = u - p * u.sum(axis=1, keepdims=True)
    else:
        d = np.where(inside, u / p, 0.0)
    return terms, d, valid, g, w


def _ce_term(smoothing):
    def term(l, p, g, w):
        gs = (1 - smoothing) * g + smoothing / g.shape[1]
        return -w * gs * l, -w * gs
    return term


def _focal_term(gamma):
    def term(l, p, g, w):
        q = np.maximum(1 - p, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(q > 0, l / np.where(q > 0, q, 1.0), -1.0)
        a = -w * g * q ** gamma
        return a * l, a * (1 - gamma * p * ratio)
    return term


def cross_entropy_loss(input, target, *, mode="multiclass", from_logits=True, reduction="mean",
                       ignore_index=None, include_background=True, weight=None, label_smoothing=0.0,
                       grad_output=None):
    if mode != "multiclass":
        return _binary(input, target, 1.0, 1.0, from_logits=from_logits, reduction=reduction,
                       ignore_index=ignore_index, include_background=include_background,
                       grad_output=grad_output)
    terms, d, valid, g, w = categorical_terms(
        _ce_term(label_smoothing), input, target, from_logits=from_logits, ignore_index=ignore_index,
        include_background=include_background, weight=weight)
    # The mean's denominator keeps the background voxels with the caller's w[0], also
    # with include_background=False (so all-ones weights give the unweighted mean).
    raw = _class_weights(np.shape(input)[1], weight, None, True, np.ndim(input))
    den = (raw * g).sum(axis=1)[valid].sum() if weight is not None else valid.sum()
    return _reduce(terms, d, valid, reduction, den, grad_output, channels=True)


def softmax_focal_loss(input, target, *, mode="multiclass", from_logits=True, reduction="mean",
                       ignore_index=None, include_background=True, alpha=0.25, gamma=2.0,
                       grad_output=None):
    terms, d, valid, _, _ = categorical_terms(
        _focal_term(gamma), input, target, from_logits=from_logits, ignore_index=ignore_index,
        include_background=include_background, alpha=alpha)
    return _reduce(terms, d, valid, reduction, valid.sum(), grad_output, channels=True)


def top_k_selection(terms, valid, k):
    """Boolean mask of the K = max(1, floor(k n / 100)) largest valid terms (n valid), ties
    broken by the lower flat index; and K."""
    flat, ok = terms.ravel(), valid.ravel()
    n = int(ok.sum())
    sel = np.zeros(flat.shape, bool)
    if n == 0:
        return sel.reshape(terms.shape), 0
    count = max(1, int((k * n) // 100))
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((idx, -flat[idx]))]
    sel[order[:count]] = True
    return sel.reshape(terms.shape), count


def top_k_ce_loss(input, target, *, mode="multiclass", from_logits=True, reduction="mean",
                  ignore_index=None, include_background=True, k=10.0, weight=None,
                  label_smoothing=0.0, grad_output=None):
    x = np.asarray(input)
    if mode == "multiclass":
        terms, d, valid, _, _ = categorical_terms(
            _ce_term(label_smoothing), x, target, from_logits=from_logits, ignore_index=ignore_index,
            include_background=include_background, weight=weight)
    else:
        terms, d = _binary(x, target, 1.0, 1.0, from_logits=from_logits, reduction="none",
                           ignore_index=ignore_index, include_background=include_background)
        g = np.asarray(target).astype(np.float64)
        valid = np.ones(g.shape, bool) if ignore_index is None else g != ignore_index
        if not include_background:
            valid[:, 0] = False
    sel, count = top_k_selection(terms, valid, k)
    terms = np.where(sel, terms, 0.0)
    return _reduce(terms, d, sel, reduction, count, grad_output, channels=mode == "multiclass")


ORACLES = {"weighted_bce_loss": weighted_bce_loss, "balanced_bce_loss": balanced_bce_loss,
           "cross_entropy_loss": cross_entropy_loss, "top_k_ce_loss": top_k_ce_loss,
           "focal_loss": softmax_focal_loss}
