"""Plain-NumPy oracles of the compound family (combo, exp-log, unified focal and its parts).

Two kinds:

* value oracles ``<name>(input, target, **options)`` with the package's options (mode
  binary/multilabel, from_logits, reduction, ignore_index, include_background, region
  options, the loss's own parameters), computed in float64 — checked against the extension
  on random problems (test_compound_oracles.py);
* forward + backward baselines ``BENCH[name](z, g) -> (loss, grad)`` for the speed
  benchmark (binary logits, per-image sums, mean, library defaults), written in the style
  of benchmarks/numpy_reference.py.

Semantics follow the docstrings: region entries are (image, channel) (or channels pooled
over the batch), entries without valid voxels leave the mean, ``empty="skip"`` drops
entries with G = 0; pixel terms are 0 where ignored and averaged over valid elements;
probabilities are clamped to [1e-7, 1 - 1e-7] inside logarithms.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-7
COMPOUND = ("dice_ce_loss", "dice_focal_loss", "combo_loss", "exp_log_loss", "unified_focal_loss")
PARTS = ("asymmetric_focal_loss", "symmetric_focal_loss", "asymmetric_focal_tversky_loss",
         "symmetric_focal_tversky_loss")
FAMILY = COMPOUND + PARTS


# ----------------------------------------------------------------------------- helpers

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


# ----------------------------------------------------------------------------- compounds

def unified_focal_loss(input, target, *, variant="asymmetric", weight=0.5, delta=0.6, gamma=0.5,
                       floor=1e-7, smooth_nr=1e-5, smooth_dr=1e-5, batch=False, empty="smooth", **o):
    sym = variant == "symmetric"
    ftl = yeung_focal_tversky(input, target, symmetric=sym, delta=delta, gamma=gamma, floor=floor,
                              smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch, empty=empty, **o)
    fl = yeung_focal(input, target, symmetric=sym, delta=delta, gamma=gamma, **o)
    return weight * ftl + (1 - weight) * fl


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


# ----------------------------------------------------------------------------- benchmark baselines

import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benchmarks"))
from numpy_reference import SMOOTH, _expand, _sigmoid, _sums  # noqa: E402


def _logs(z):
    l1p = np.log1p(np.exp(-np.abs(z)))
    return -(np.maximum(-z, 0) + l1p), -(np.maximum(z, 0) + l1p)  # log p, log(1 - p)


def _ftl_fb(z, g, symmetric, delta=0.7, gamma=0.75, floor=1e-7):
    """Binary focal Tversky (mean of the fg and bg terms per image): value, d/dz."""
    p, dsig = _sigmoid(z)
    tp, ps, gs = _sums(p, g)
    v = np.full_like(tp, np.prod(z.shape[2:]))

    def part(tp, ps, gs, focal):
        # T = (tp + s)/(w), w = (1-a-b) tp + a ps + b gs + s, a = 1 - delta (FP), b = delta (FN)
        num, w = tp + SMOOTH, (1 - delta) * ps + delta * gs + SMOOTH
        one_minus = 1 - num / w
        dt_dtp, dt_dps = 1 / w, -num * (1 - delta) / w ** 2
        if not focal:
            return one_minus, -dt_dtp, -dt_dps
        e = 1 - gamma
        val = np.maximum(one_minus, floor) ** e
        dv = np.where(one_minus > floor, e * np.maximum(one_minus, floor) ** (e - 1), 0)
        return val, -dv * dt_dtp, -dv * dt_dps

    fg, a_fg, b_fg = part(tp, ps, gs, True)
    bg, a_bg, b_bg = part(v - ps - gs + tp, v - ps, v - gs, symmetric)
    loss = np.mean((fg + bg) / 2)
    a, b = (a_fg + a_bg) / 2, (b_fg - a_bg - b_bg) / 2
    grad = (_expand(a, z.ndim) * g + _expand(b, z.ndim)) * dsig / tp.size
    return loss, grad


def _focal_fb(z, g, symmetric, delta=0.7, gamma=2.0):
    p, _ = _sigmoid(z)
    log_p, log_q = _logs(z)
    q = 1 - p
    mod = q ** gamma if symmetric else 1.0
    dmod = -gamma * q ** (gamma - 1) * p * q if symmetric else 0.0  # d(1-p)^γ/dz
    fg = -delta * g * mod * log_p
    dfg = -delta * g * (dmod * log_p + mod * q)
    bg = -(1 - delta) * (1 - g) * p ** gamma * log_q
    dbg = (1 - delta) * (1 - g) * p ** gamma * (p - gamma * q * log_q)
    return np.mean(fg + bg), (dfg + dbg) / z.size


def _dice_fb(z, g):
    p, dsig = _sigmoid(z)
    tp, ps, gs = _sums(p, g)
    u, num = ps + gs + SMOOTH, 2 * tp + SMOOTH
    dp = (_expand(num / u ** 2, z.ndim) - 2 * g / _expand(u, z.ndim)) / tp.size
    return np.mean(1 - num / u), dp * dsig


def bench_combo(z, g, alpha=0.5, beta=0.5):
    p, _ = _sigmoid(z)
    log_p, log_q = _logs(z)
    ce = np.mean(-beta * g * log_p - (1 - beta) * (1 - g) * log_q)
    dce = (beta * g * (p - 1) + (1 - beta) * (1 - g) * p) / z.size
    d, dd = _dice_fb(z, g)
    return alpha * ce + (1 - alpha) * d, alpha * dce + (1 - alpha) * dd


def bench_exp_log(z, g, wd=0.8, wc=0.2, gd=0.3, gc=0.3, floor=1e-7):
    p, dsig = _sigmoid(z)
    tp, ps, gs = _sums(p, g)
    u, num = ps + gs + SMOOTH, 2 * tp + SMOOTH
    x = -np.log(num / u)
    xv = np.maximum(x, floor)
    dx = np.where(x > floor, gd * xv ** (gd - 1), 0)
    dice = np.mean(xv ** gd)
    ddice = (_expand(dx / u, z.ndim) - 2 * g * _expand(dx / num, z.ndim)) * dsig / tp.size
    log_p, log_q = _logs(z)
    a, b = np.maximum(-log_p, floor), np.maximum(-log_q, floor)
    ce = np.mean(g * a ** gc + (1 - g) * b ** gc)
    da = np.where(-log_p > floor, gc * a ** (gc - 1), 0)
    db = np.where(-log_q > floor, gc * b ** (gc - 1), 0)
    dce = (-g * da * (1 - p) + (1 - g) * db * p) / z.size
    return wd * dice + wc * ce, wd * ddice + wc * dce


def bench_unified(z, g, weight=0.5, delta=0.6, gamma=0.5):
    t, dt = _ftl_fb(z, g, False, delta, gamma)
    f, df = _focal_fb(z, g, False, delta, gamma)
    return weight * t + (1 - weight) * f, weight * dt + (1 - weight) * df


def bench_dice_ce(z, g):
    p, _ = _sigmoid(z)
    loss = np.mean(np.maximum(z, 0) - z * g + np.log1p(np.exp(-np.abs(z))))
    d, dd = _dice_fb(z, g)
    return d + loss, dd + (p - g) / z.size


def bench_dice_focal(z, g, gamma=2.0):
    p, _ = _sigmoid(z)
    log_p, log_q = _logs(z)
    q = 1 - p
    loss = np.mean(-g * q ** gamma * log_p - (1 - g) * p ** gamma * log_q)
    grad = (g * q ** gamma * (gamma * p * log_p - q) + (1 - g) * p ** gamma * (p - gamma * q * log_q)) / z.size
    d, dd = _dice_fb(z, g)
    return d + loss, dd + grad


BENCH = {
    "dice_ce_loss": bench_dice_ce,
    "dice_focal_loss": bench_dice_focal,
    "combo_loss": bench_combo,
    "exp_log_loss": bench_exp_log,
    "unified_focal_loss": bench_unified,
    "asymmetric_focal_loss": lambda z, g: _focal_fb(z, g, False),
    "symmetric_focal_loss": lambda z, g: _focal_fb(z, g, True),
    "asymmetric_focal_tversky_loss": lambda z, g: _ftl_fb(z, g, False),
    "symmetric_focal_tversky_loss": lambda z, g: _ftl_fb(z, g, True),
}
