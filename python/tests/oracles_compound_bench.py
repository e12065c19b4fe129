"""Forward + backward baselines of the compound family for the speed benchmark:
``BENCH[name](z, g) -> (loss, grad)`` (binary logits, per-image sums, mean, library
defaults), written in the style of benchmarks/numpy_reference.py. Re-exported by
oracles_compound.py."""
from __future__ import annotations

import os
import sys

import numpy as np


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
