"""Multi-scale SSIM gradients: ``ssim_loss(..., scale_weights=..., return_grad=True)`` against
central differences of the NumPy oracle (oracles_ms_ssim.py), the ``grad_output`` VJP, a
single weight reproducing ``ssim_loss``, and float32 against float64."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close
from oracles_ms_ssim import (VALUE_ATOL, VALUE_RTOL, WANG_WEIGHTS, binary_case, central_differences,
                             ms_ssim_loss, multiclass_case, random_coords)


# ---------------------------------------------------------------------------------------------
# Gradients: central differences of the oracle
# ---------------------------------------------------------------------------------------------

GRAD_CASES = [
    ("2d", (2, 1, 45, 40), "binary", True, (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-probs", (2, 1, 48, 41), "binary", False, (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-wang", (1, 1, 48, 49), "binary", True, WANG_WEIGHTS, dict(win_size=3, kernel_sigma=0.8)),
    ("3d", (1, 2, 24, 26, 22), "multilabel", True, (0.4, 0.6), dict(win_size=5)),
    ("3d-sum-nobg", (1, 2, 21, 24, 20), "multilabel", False, (0.3, 0.3, 0.4),
     dict(win_size=5, reduction="sum", include_background=False)),
]


@pytest.mark.parametrize("cid,shape,mode,from_logits,weights,opts", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_central_differences(cid, shape, mode, from_logits, weights, opts):
    rng = np.random.default_rng(zlib.crc32(cid.encode()) + 1)
    x, g = binary_case(rng, shape, from_logits=from_logits)
    kw = dict(mode=mode, from_logits=from_logits, scale_weights=weights, **opts)
    loss, grad = ss.ssim_loss(x, g, return_grad=True, **kw)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert_close(loss, ms_ssim_loss(x, g, **kw), VALUE_RTOL, VALUE_ATOL, what="value")
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, g, **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what=f"{cid} gradient")


@pytest.mark.parametrize("include_background", [True, False])
def test_gradient_multiclass(include_background):
    rng = np.random.default_rng(37)
    x, labels = multiclass_case(rng, 2, 3, (40, 36))
    kw = dict(mode="multiclass", scale_weights=(0.5, 0.5, 1.0), win_size=5, include_background=include_background)
    loss, grad = ss.ssim_loss(x, labels, return_grad=True, **kw)
    assert_close(loss, ms_ssim_loss(x, labels, **kw), VALUE_RTOL, VALUE_ATOL, what="value")
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, labels, **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="multiclass gradient")


def test_gradient_grad_output_vjp():
    rng = np.random.default_rng(41)
    x, g = binary_case(rng, (2, 3, 40, 34))
    u = rng.normal(size=(2, 3))
    kw = dict(mode="multilabel", reduction="none", scale_weights=(0.3, 0.7), win_size=7)
    losses, grad = ss.ssim_loss(x, g, return_grad=True, grad_output=u, **kw)
    assert_close(losses, ms_ssim_loss(x, g, **kw), VALUE_RTOL, VALUE_ATOL, what="values")
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, g, grad_output=u, **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="vjp")


@pytest.mark.parametrize("case", ["2d", "3d", "multiclass"])
def test_single_weight_is_ssim_loss(case):
    """scale_weights=(1.0,): exactly ssim_loss's value, its gradient to 1e-12."""
    rng = np.random.default_rng(43)
    if case == "2d":
        x, g = binary_case(rng, (2, 1, 33, 30))
        opts = dict(win_size=7)
    elif case == "3d":
        x, g = binary_case(rng, (1, 2, 14, 13, 12))
        opts = dict(mode="multilabel", win_size=5)
    else:
        x, g = multiclass_case(rng, 2, 3, (20, 22))
        opts = dict(mode="multiclass", win_size=5, include_background=False)
    want, want_grad = ss.ssim_loss(x, g, return_grad=True, **opts)
    got, got_grad = ss.ssim_loss(x, g, return_grad=True, scale_weights=(1.0,), **opts)
    assert got == want, f"value {got!r} != ssim_loss {want!r} (diff {got - want:.3e})"
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=1e-12 * np.abs(want_grad).max())


# ---------------------------------------------------------------------------------------------
# float32
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,mode,weights,win", [((2, 1, 48, 40), "binary", (0.2, 0.3, 0.5), 7),
                                                    ((1, 2, 24, 26, 22), "multilabel", (0.4, 0.6), 5)])
def test_float32_agrees_with_float64(shape, mode, weights, win):
    rng = np.random.default_rng(47)
    x, g = binary_case(rng, shape)
    x32, g32 = x.astype(np.float32), g.astype(np.float32)
    kw = dict(mode=mode, scale_weights=weights, win_size=win)
    l32, g32_grad = ss.ssim_loss(x32, g32, return_grad=True, **kw)
    l64, g64_grad = ss.ssim_loss(x32.astype(np.float64), g32.astype(np.float64), return_grad=True, **kw)
    assert g32_grad.dtype == np.float32
    assert_close(l32, l64, 1e-5, 1e-7, what="float32 value")
    scale = np.abs(g64_grad).max()
    np.testing.assert_allclose(g32_grad, g64_grad, rtol=1e-4, atol=1e-5 * scale)
