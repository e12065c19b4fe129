"""Multi-scale SSIM: self-checks of the NumPy oracle (oracles_ms_ssim.py) — pooling, agreement
with the library's single-scale ``ssim_loss``, identical images, and the test data staying
clear of the ``max(v, 0)`` clamp."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close
from oracles_ms_ssim import (WANG_WEIGHTS, avg_pool2, binary_case, central_differences, ms_ssim_loss,
                             multiclass_case, oracle_values, random_coords, soft_blobs)


# ---------------------------------------------------------------------------------------------
# Oracle self-checks (independent of the new option)
# ---------------------------------------------------------------------------------------------

def test_oracle_pooling_is_block_mean_and_drops_odd_edge():
    a = np.random.default_rng(0).normal(size=(2, 3, 9, 7, 5))
    want = a[:, :, :8, :6, :4].reshape(2, 3, 4, 2, 3, 2, 2, 2).mean(axis=(3, 5, 7))
    np.testing.assert_allclose(avg_pool2(a), want, rtol=1e-14, atol=1e-15)
    assert avg_pool2(np.zeros((1, 1, 45, 40))).shape == (1, 1, 22, 20)


@pytest.mark.parametrize("case", ["2d", "3d", "multiclass"])
def test_oracle_single_scale_matches_library(case):
    """scale_weights=None in the oracle is the installed single-scale ssim_loss (value and, via
    central differences of the oracle, gradient); with scale_weights=(1.0,) the oracle gives
    the same value (the single scale's mean SSIM is positive here)."""
    rng = np.random.default_rng(11)
    if case == "2d":
        x, g = binary_case(rng, (2, 1, 21, 19))
        opts = dict(win_size=7)
    elif case == "3d":
        x, g = binary_case(rng, (1, 2, 12, 11, 10))
        opts = dict(mode="multilabel", win_size=5, kernel_sigma=1.1)
    else:
        x, g = multiclass_case(rng, 2, 3, (18, 17))
        opts = dict(mode="multiclass", win_size=5, include_background=False)
    want = ms_ssim_loss(x, g, **opts)
    assert_close(ss.ssim_loss(x, g, **opts), want, 1e-10, 1e-13, what="single-scale value")
    assert_close(ms_ssim_loss(x, g, scale_weights=(1.0,), **opts), want, 1e-13, 1e-15, what="(1.0,) vs None")
    _, grad = ss.ssim_loss(x, g, return_grad=True, **opts)
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, g, **opts), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="single-scale gradient")


@pytest.mark.parametrize("shape,weights,win", [((2, 1, 48, 40), (0.2, 0.3, 0.5), 7),
                                               ((1, 2, 24, 26, 22), (0.6, 0.4), 5),
                                               ((1, 1, 48, 48), WANG_WEIGHTS, 3)])
def test_oracle_identical_images_give_one(shape, weights, win):
    g = soft_blobs(np.random.default_rng(3), shape)
    v = oracle_values(g, g, weights, from_logits=False, win_size=win)
    np.testing.assert_allclose(v, 1.0, rtol=0, atol=1e-12)
    loss = ms_ssim_loss(g, g, from_logits=False, reduction="none", scale_weights=weights, win_size=win)
    np.testing.assert_allclose(loss, 0.0, atol=1e-12)


def test_oracle_test_data_has_positive_scale_values():
    """The generated value/gradient cases stay away from the max(v, 0) clamp."""
    rng = np.random.default_rng(21)
    x, g = binary_case(rng, (2, 1, 45, 47))
    assert oracle_values(x, g, (0.2, 0.3, 0.5), win_size=7).min() > 0.1
    x, g = multiclass_case(rng, 2, 3, (40, 44))
    assert oracle_values(x, g, (0.5, 0.5, 1.0), mode="multiclass", win_size=5).min() > 0.1
