"""Plain-NumPy forward + backward oracles of the region family (log-cosh Dice,
sensitivity-specificity, generalized Dice, MCC, asymmetric similarity, log Dice).

Every oracle has the library's keyword signature and returns the loss, or ``(loss, grad)``
with ``return_grad=True`` (grad with respect to the input, float64; with
``reduction="none"`` weighted by ``grad_output``). Semantics follow the docstrings:

* activation: sigmoid per channel (binary/multilabel) or softmax over channels
  (multiclass), or probabilities with ``from_logits=False``;
* targets: dense, or an integer label map (N, *spatial) in multiclass mode; ignored
  voxels (``ignore_index``; in multiclass dense targets a voxel is ignored when any channel
  holds the value) leave every sum and get zero gradient (before the softmax chain rule);
* entries (image, kept class), or classes pooled over the batch with ``batch=True``; an
  entry without valid voxels has loss 0 and leaves the mean; ``empty="skip"`` leaves out
  entries with G = 0 (NaN under ``reduction="none"``). Generalized Dice: one entry per
  image (or the batch), classes combined inside it.

Used by test_region_losses.py and the benchmark (benchmarks/bench_losses.py).
"""
from __future__ import annotations

import numpy as np

REGION_FAMILY = ("log_cosh_dice_loss", "sensitivity_specificity_loss", "generalized_dice_loss",
                 "penalty_generalized_dice_loss", "mcc_loss", "asymmetric_similarity_loss", "log_dice_loss")


# ----------------------------------------------------------------------------- activation

def _prepare(input, target, mode, from_logits, ignore_index):
    """p, g (0 where ignored), valid (bool, input shape), and the chain rule dp -> dx."""
    x = np.asarray(input, dtype=np.float64)
    t = np.asarray(target)
    if mode == "multiclass":
        c = x.shape[1]
        if np.issubdtype(t.dtype, np.integer) and t.ndim == x.ndim - 1:
            ok = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
            g = (t[:, None] == np.arange(c).reshape((1, c) + (1,) * (x.ndim - 2))).astype(np.float64)
            valid = np.broadcast_to(ok[:, None], x.shape)
        else:
            g = t.astype(np.float64)
            ok = np.ones(x.shape, bool) if ignore_index is None else g != ignore_index
            valid = np.broadcast_to(ok.all(axis=1, keepdims=True), x.shape)
        if from_logits:
            e = np.exp(x - x.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)

            def chain(dp):
                return p * (dp - (p * dp).sum(axis=1, keepdims=True))
        else:
            p, chain = x, (lambda dp: dp)
    else:
        g = t.astype(np.float64)
        valid = np.ones(x.shape, bool) if ignore_index is None else g != ignore_index
        if from_logits:
            p = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))

            def chain(dp):
                return dp * p * (1 - p)
        else:
            p, chain = x, (lambda dp: dp)
    valid = np.array(valid)
    return np.where(valid, p, 0.0), np.where(valid, g, 0.0), valid, chain


def _sums(a, include_background, batch):
    """Per-entry sums over the spatial axes of (N, C, *spatial): (N, C') or (1, C')."""
    s = a.reshape(a.shape[0], a.shape[1], -1).sum(axis=2)[:, 0 if include_background else 1:]
    return s.sum(axis=0, keepdims=True) if batch else s


def _reduce(values, included, reduction, grad_output):
    """Reduced value and per-entry gradient weights."""
    if reduction == "none":
        w = np.ones(values.shape) if grad_output is None else np.asarray(grad_output, np.float64).reshape(values.shape)
        return values.copy(), np.where(included, w, 0.0)
    total = values[included].sum()
    if reduction == "sum":
        return float(total), included.astype(np.float64)
    k = included.sum()
    return (float(total / k) if k else 0.0), (included / k if k else np.zeros(values.shape))


def _spread(coef, shape, include_background, batch):
    """Per-entry coefficients (N, C') or (1, C') back to (N, C, 1, ...) for broadcasting."""
    full = np.zeros(shape[:2])
    full[:, 0 if include_background else 1:] = coef
    return full.reshape(shape[:2] + (1,) * (len(shape) - 2))


def _finish(value, dp, chain, valid, reduction, batch, return_grad):
    if reduction == "none" and batch and np.ndim(value) == 2:
        value = value[0]
    if not return_grad:
        return value
    return value, chain(np.where(valid, dp, 0.0))


# ----------------------------------------------------------------------------- (TP, P, G, V) losses

def _entry_loss(term, input, target, *, mode="binary", from_logits=True, reduction="mean",
                ignore_index=None, include_background=True, squared_pred=False, batch=False,
                empty="smooth", soft_label=False, return_grad=False, grad_output=None):
    """A loss of one entry's (TP, P, G, V): term(tp, ps, gs, v) -> (loss, dL/dTP, dL/dP).
    soft_label: TP = sum min(p, g), dTP/dp = 1[p < g] (1/2 at ties)."""
    p, g, valid, chain = _prepare(input, target, mode, from_logits, ignore_index)
    sq = squared_pred
    tp = _sums(np.minimum(p, g) if soft_label else p * g, include_background, batch)
    ps = _sums(p * p if sq else p, include_background, batch)
    gs = _sums(g * g if sq else g, include_background, batch)
    v = _sums(valid.astype(np.float64), include_background, batch)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        loss, dtp, dps = term(tp, ps, gs, v)
    if empty == "penalize_fp":  # an empty target: P/(P + 1), d/dP = 1/(P + 1)^2
        penalized = gs == 0
        loss = np.where(penalized, ps / (ps + 1), loss)
        dtp = np.where(penalized, 0.0, dtp)
        dps = np.where(penalized, 1 / (ps + 1) ** 2, dps)
    included = (v > 0) & ~((empty == "skip") & (gs == 0))
    values = np.where(included, loss, np.where(v > 0, np.nan, 0.0))
    value, w = _reduce(values, included, reduction, grad_output)
    a = np.where(included, w * dtp, 0.0)
    b = np.where(included, w * dps, 0.0)
    if batch:
        a, b = np.repeat(a, p.shape[0], axis=0), np.repeat(b, p.shape[0], axis=0)
    a, b = _spread(a, p.shape, include_background, False), _spread(b, p.shape, include_background, False)
    dtp_dp = (p < g) + 0.5 * (p == g) if soft_label else g
    dp = a * dtp_dp + b * (2 * p if sq else 1.0)
    return _finish(value, dp, chain, valid, reduction, batch, return_grad)


def _dice(tp, ps, gs, sn, sd):
    u = ps + gs + sd
    d = np.where(u > 0, (2 * tp + sn) / u, 1.0)
    return d, np.where(u > 0, 2 / u, 0.0), np.where(u > 0, -(2 * tp + sn) / u ** 2, 0.0)


def log_cosh_dice_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, **o):
    def term(tp, ps, gs, v):
        d, ddt, ddp = _dice(tp, ps, gs, smooth_nr, smooth_dr)
        x = 1 - d
        return np.log(np.cosh(x)), -np.tanh(x) * ddt, -np.tanh(x) * ddp
    return _entry_loss(term, input, target, **o)


def log_dice_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, eps=1e-7, **o):
    def term(tp, ps, gs, v):
        d, ddt, ddp = _dice(tp, ps, gs, smooth_nr, smooth_dr)
        live = d > eps
        return (np.where(ps + gs + smooth_dr > 0, -np.log(np.maximum(d, eps)), 0.0),
                np.where(live, -ddt / d, 0.0), np.where(live, -ddp / d, 0.0))
    return _entry_loss(term, input, target, **o)


def asymmetric_similarity_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, beta=1.5, **o):
    w = beta ** 2 / (1 + beta ** 2)

    def term(tp, ps, gs, v):
        num = tp + smooth_nr
        den = tp + w * (gs - tp) + (1 - w) * (ps - tp) + smooth_dr
        ok = den > 0
        # den = w G + (1 - w) P + s_d: d den/dTP = 0, d den/dP = 1 - w
        return (np.where(ok, 1 - num / den, 0.0), np.where(ok, -1 / den, 0.0),
                np.where(ok, num * (1 - w) / den ** 2, 0.0))
    return _entry_loss(term, input, target, **o)


def mcc_loss(input, target, *, eps=1e-5, **o):
    def term(tp, ps, gs, v):
        TP, FP, FN, TN = tp + eps, ps - tp + eps, gs - tp + eps, v - ps - gs + tp + eps
        A, B, C, E = TP + FP, TP + FN, TN + FP, TN + FN
        D = np.sqrt(A * B * C * E)
        ok = D > 0
        M = np.where(ok, (TP * TN - FP * FN) / D, 0.0)
        dmt = np.where(ok, (v + 4 * eps) / D, 0.0)
        dmp = np.where(ok, -(gs + 2 * eps) / D - M / 2 * (1 / A - 1 / E), 0.0)
        return 1 - M, -dmt, -dmp
    return _entry_loss(term, input, target, **o)


# ----------------------------------------------------------------------------- other sums

def sensitivity_specificity_loss(input, target, *, mode="binary", from_logits=True, reduction="mean",
                                 ignore_index=None, include_background=True, r=0.05, smooth_dr=1.0,
                                 batch=False, empty="smooth", return_grad=False, grad_output=None):
    p, g, valid, chain = _prepare(input, target, mode, from_logits, ignore_index)
    e2 = (g - p) ** 2
    fg = _sums(e2 * g, include_background, batch)
    bg = _sums(e2 * (1 - g), include_background, batch)
    gs = _sums(g, include_background, batch)
    v = _sums(valid.astype(np.float64), include_background, batch)
    with np.errstate(divide="ignore", invalid="ignore"):
        cf = np.where(gs + smooth_dr > 0, r / (gs + smooth_dr), 0.0)
        cb = np.where(v - gs + smooth_dr > 0, (1 - r) / (v - gs + smooth_dr), 0.0)
    included = (v > 0) & ~((empty == "skip") & (gs == 0))
    values = np.where(included, cf * fg + cb * bg, np.where(v > 0, np.nan, 0.0))
    value, w = _reduce(values, included, reduction, grad_output)
    a, b = 2 * w * cf, 2 * w * cb
    if batch:
        a, b = np.repeat(a, p.shape[0], axis=0), np.repeat(b, p.shape[0], axis=0)
    a, b = _spread(a, p.shape, include_background, False), _spread(b, p.shape, include_background, False)
    dp = (p - g) * (a * g + b * (1 - g))
    return _finish(value, dp, chain, valid, reduction, batch, return_grad)


def penalty_generalized_dice_loss(input, target, *, k=2.5, **o):
    """L / (1 + k (1 - L)) of the generalized Dice loss L of each entry (Yang, MIDL 2019)."""
    return generalized_dice_loss(input, target, penalty=k, **o)


def generalized_dice_loss(input, target, *, mode="binary", from_logits=True, reduction="mean",
                          ignore_index=None, include_background=True, smooth_nr=1e-5, smooth_dr=1e-5,
                          weight_type="square", batch=False, empty="smooth", return_grad=False,
                          grad_output=None, penalty=0.0):
    p, g, valid, chain = _prepare(input, target, mode, from_logits, ignore_index)
    tp = _sums(p * g, include_background, batch)
    ps = _sums(p, include_background, batch)
    gs = _sums(g, include_background, batch)
    v = _sums(valid.astype(np.float64), include_background, batch)
    with np.errstate(divide="ignore", over="ignore"):
        w = {"square": 1 / gs ** 2, "simple": 1 / gs, "uniform": np.ones_like(gs)}[weight_type]
    finite = np.isfinite(w) & (w > 0)
    fill = np.where(finite, w, -np.inf).max(axis=1, keepdims=True)
    w = np.where(finite, w, fill)
    w = np.where(finite.any(axis=1, keepdims=True), w, 1.0)
    num = (w * tp).sum(axis=1)
    u = (w * (ps + gs)).sum(axis=1) + smooth_dr
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(u > 0, 1 - (2 * num + smooth_nr) / u, 0.0)
    d = 1 + penalty * (1 - loss)
    factor = (1 + penalty) / d ** 2  # d(penalty form)/dL; 1 when penalty = 0
    loss = loss / d
    penalized = (empty == "penalize_fp") & (gs.sum(axis=1) == 0)  # P/(P + 1), P over the classes
    total_p = ps.sum(axis=1)
    loss = np.where(penalized, total_p / (total_p + 1), loss)
    included = (v.sum(axis=1) > 0) & ~((empty == "skip") & (gs.sum(axis=1) == 0))
    values = np.where(included, loss, np.where(v.sum(axis=1) > 0, np.nan, 0.0))
    value, rw = _reduce(values, included, reduction, grad_output)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(included & (u > 0), rw * factor / u ** 2, 0.0)[:, None]
    a = -2 * w * (u[:, None] * scale)          # dL/dTP_c = -2 w_c / U
    b = w * (2 * num + smooth_nr)[:, None] * scale  # dL/dP_c = w_c (2N + s_n) / U^2
    a = np.where(penalized[:, None], 0.0, a)
    b = np.where(penalized[:, None], (rw / (total_p + 1) ** 2)[:, None] * np.ones_like(b), b)
    if batch:
        a, b = np.repeat(a, p.shape[0], axis=0), np.repeat(b, p.shape[0], axis=0)
    a, b = _spread(a, p.shape, include_background, False), _spread(b, p.shape, include_background, False)
    return _finish(value, a * g + b, chain, valid, reduction, False, return_grad)


# ----------------------------------------------------------------------------- soft_label core losses

def dice_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, **o):
    """Forward + backward Dice (for soft_label; the value oracle is oracles.dice_loss)."""
    def term(tp, ps, gs, v):
        d, ddt, ddp = _dice(tp, ps, gs, smooth_nr, smooth_dr)
        return 1 - d, -ddt, -ddp
    return _entry_loss(term, input, target, **o)


def jaccard_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, **o):
    def term(tp, ps, gs, v):
        w = ps + gs - tp + smooth_dr
        ok = w > 0
        num = tp + smooth_nr
        return (np.where(ok, 1 - num / w, 0.0), np.where(ok, -1 / w - num / w ** 2, 0.0),
                np.where(ok, num / w ** 2, 0.0))
    return _entry_loss(term, input, target, **o)


def tversky_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, alpha=0.3, beta=0.7, **o):
    def term(tp, ps, gs, v):
        w = tp + alpha * (ps - tp) + beta * (gs - tp) + smooth_dr
        ok = w > 0
        num = tp + smooth_nr
        return (np.where(ok, 1 - num / w, 0.0), np.where(ok, -(1 / w - num * (1 - alpha - beta) / w ** 2), 0.0),
                np.where(ok, num * alpha / w ** 2, 0.0))
    return _entry_loss(term, input, target, **o)


def focal_tversky_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, alpha=0.3, beta=0.7, gamma=0.75,
                       floor=1e-7, **o):
    """max(1 - T, floor)^gamma per entry; the clamp has zero slope."""
    def term(tp, ps, gs, v):
        w = tp + alpha * (ps - tp) + beta * (gs - tp) + smooth_dr
        ok = w > 0
        num = tp + smooth_nr
        base = np.where(ok, 1 - num / w, 0.0)
        slope = np.where(base > floor, gamma * np.maximum(base, floor) ** (gamma - 1), 0.0)
        return (np.maximum(base, floor) ** gamma,
                slope * np.where(ok, -(1 / w - num * (1 - alpha - beta) / w ** 2), 0.0),
                slope * np.where(ok, num * alpha / w ** 2, 0.0))
    return _entry_loss(term, input, target, **o)


SOFT_LABEL_LOSSES = {f.__name__: f for f in (dice_loss, jaccard_loss, tversky_loss, focal_tversky_loss,
                                             log_cosh_dice_loss,
                                             log_dice_loss, asymmetric_similarity_loss)}

LOSSES = {f.__name__: f for f in (log_cosh_dice_loss, sensitivity_specificity_loss, generalized_dice_loss,
                                  penalty_generalized_dice_loss,
                                  mcc_loss, asymmetric_similarity_loss, log_dice_loss)}
