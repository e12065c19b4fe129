"""gamma = 0.5 takes its focal powers as square roots (``HalfPower``, FocalPowers.swift) when
the library is built with vectorisable square roots (as ``pip install .`` does); every other
gamma takes e^(gamma * log x). The two paths must agree: each loss at gamma = 0.5 is compared
with the same loss at the next double above 0.5 (which takes the exp-log path), binary,
multilabel and multiclass, from logits (with +-30) and from probabilities (with 0 and 1)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss

NEXT = float(np.nextafter(0.5, 1.0))
TOL = {np.float64: 1e-11, np.float32: 3e-5}

# (loss, extra keyword arguments) for the losses whose per-voxel power is gamma
LOSSES = [
    ("focal_loss", {}),
    ("focal_loss", {"alpha": None}),
    ("asymmetric_focal_loss", {}),
    ("symmetric_focal_loss", {}),
    ("unified_focal_loss", {}),
    ("unified_focal_loss", {"variant": "symmetric"}),
]


def problem(mode, from_logits, dtype, rng):
    shape = (2, 3, 5, 7) if mode != "binary" else (2, 1, 5, 7)
    z = rng.standard_normal(shape) * 3
    z.flat[:4] = [30, -30, 0, 1e-4]
    if mode == "multiclass":
        target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
        if not from_logits:
            e = np.exp(z - z.max(1, keepdims=True))
            z = e / e.sum(1, keepdims=True)
            z[0, :, 0, 0] = [1, 0, 0]  # a voxel certain of its class
            target[0, 0, 0] = 0
    else:
        target = (rng.random(shape) < 0.4).astype(dtype)
        target.flat[4] = 0.3  # a soft label
        if not from_logits:
            z = 1 / (1 + np.exp(-z))
            z.flat[:2] = [1, 0]
    return z.astype(dtype), target


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("mode", ["binary", "multilabel", "multiclass"])
@pytest.mark.parametrize("name,extra", LOSSES)
def test_square_root_path_equals_exp_log_path(name, extra, mode, from_logits, dtype):
    rng = np.random.default_rng(abs(hash((name, mode, from_logits))) % 2**32)
    x, t = problem(mode, from_logits, dtype, rng)
    before = (x.copy(), t.copy())
    kw = dict(mode=mode, from_logits=from_logits, return_grad=True, **extra)
    loss_half, grad_half = getattr(ss, name)(x, t, gamma=0.5, **kw)
    loss_real, grad_real = getattr(ss, name)(x, t, gamma=NEXT, **kw)
    tol = TOL[dtype]
    assert np.isfinite(loss_half) and np.all(np.isfinite(grad_half))
    assert abs(loss_half - loss_real) <= tol * max(1.0, abs(loss_real))
    np.testing.assert_allclose(grad_half, grad_real, rtol=tol, atol=tol * np.abs(grad_real).max())
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(t, before[1])


def test_unreduced_square_root_path_equals_exp_log_path():
    rng = np.random.default_rng(5)
    x, t = problem("binary", True, np.float64, rng)
    a = ss.focal_loss(x, t, gamma=0.5, reduction="none")
    b = ss.focal_loss(x, t, gamma=NEXT, reduction="none")
    np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)
