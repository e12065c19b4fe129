"""Multi-scale SSIM values: ``ssim_loss(..., scale_weights=...)`` against the NumPy oracle
(oracles_ms_ssim.py) for every reduction, soft targets and multiclass label maps, and the
clamp of a negative cs mean (MS 0, loss 1, zero gradient)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close
from oracles_ms_ssim import (VALUE_ATOL, VALUE_RTOL, WANG_WEIGHTS, binary_case, central_differences,
                             correlated_logits, ms_ssim_loss, multiclass_case, oracle_values, random_coords,
                             soft_blobs)


# ---------------------------------------------------------------------------------------------
# Values against the oracle
# ---------------------------------------------------------------------------------------------

VALUE_CASES = [
    # id, shape, mode, scale_weights, options
    ("2d-3scales", (2, 1, 48, 40), "binary", (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-odd", (2, 1, 45, 47), "binary", (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-wang-win3", (1, 1, 48, 52), "binary", WANG_WEIGHTS, dict(win_size=3, kernel_sigma=0.8)),
    ("2d-constants", (2, 1, 37, 44), "binary", (1.0, 2.0), dict(win_size=9, kernel_sigma=2.0, k1=0.02,
                                                               k2=0.05, data_range=1.5)),
    ("3d-2scales", (1, 2, 24, 26, 22), "multilabel", (0.4, 0.6), dict(win_size=5)),
    ("3d-3scales-odd", (1, 1, 23, 26, 21), "binary", (0.3, 0.3, 0.4), dict(win_size=5)),
    ("1d", (3, 1, 101), "binary", (0.25, 0.25, 0.5), dict(win_size=7)),
    ("multilabel-nobg", (2, 3, 40, 36), "multilabel", (0.3, 0.7), dict(win_size=7, include_background=False)),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("cid,shape,mode,weights,opts", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_matches_oracle(cid, shape, mode, weights, opts, from_logits, reduction):
    rng = np.random.default_rng(zlib.crc32(cid.encode()))
    x, g = binary_case(rng, shape, from_logits=from_logits)
    kw = dict(mode=mode, from_logits=from_logits, reduction=reduction, scale_weights=weights, **opts)
    got = ss.ssim_loss(x, g, **kw)
    want = ms_ssim_loss(x, g, **kw)
    if reduction == "none":
        c_kept = shape[1] - (0 if opts.get("include_background", True) else 1)
        assert np.shape(got) == (shape[0], c_kept)
    else:
        assert isinstance(got, float)
    assert_close(got, want, VALUE_RTOL, VALUE_ATOL, what=f"{cid} value")


def test_value_soft_targets():
    rng = np.random.default_rng(7)
    g = soft_blobs(rng, (2, 2, 40, 42))
    x = correlated_logits(rng, g, gain=3.0, noise=0.8)
    kw = dict(mode="multilabel", reduction="none", scale_weights=(0.3, 0.3, 0.4), win_size=5)
    assert_close(ss.ssim_loss(x, g, **kw), ms_ssim_loss(x, g, **kw), VALUE_RTOL, VALUE_ATOL, what="soft")


@pytest.mark.parametrize("include_background", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("from_logits", [True, False])
def test_value_multiclass_label_map(include_background, reduction, from_logits):
    rng = np.random.default_rng(13)
    x, labels = multiclass_case(rng, 2, 3, (40, 44))
    if not from_logits:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        x = e / e.sum(axis=1, keepdims=True)
    kw = dict(mode="multiclass", from_logits=from_logits, reduction=reduction,
              include_background=include_background, scale_weights=(0.5, 0.5, 1.0), win_size=5)
    got = ss.ssim_loss(x, labels, **kw)
    assert_close(got, ms_ssim_loss(x, labels, **kw), VALUE_RTOL, VALUE_ATOL, what="multiclass")
    # A dense one-hot target is the same as the label map.
    onehot = np.stack([labels == k for k in range(3)], axis=1).astype(np.float64)
    assert_close(ss.ssim_loss(x, onehot, **kw), got, 1e-13, 1e-15, what="one-hot vs label map")


def test_none_is_single_scale_and_list_equals_tuple():
    rng = np.random.default_rng(17)
    x, g = binary_case(rng, (2, 1, 30, 28))
    assert ss.ssim_loss(x, g, win_size=5, scale_weights=None) == ss.ssim_loss(x, g, win_size=5)
    a = ss.ssim_loss(x, g, win_size=5, scale_weights=(0.2, 0.8))
    assert ss.ssim_loss(x, g, win_size=5, scale_weights=[0.2, 0.8]) == a


def test_identical_images_give_zero_loss_and_gradient():
    g = soft_blobs(np.random.default_rng(19), (2, 1, 40, 40))
    loss, grad = ss.ssim_loss(g, g, from_logits=False, return_grad=True, win_size=5,
                              scale_weights=(0.2, 0.3, 0.5))
    assert abs(loss) < 1e-12
    assert np.abs(grad).max() < 1e-10


def test_weights_change_the_loss_as_the_oracle_says():
    """Scaling every weight by t raises MS to the power t (so 1 - MS changes)."""
    rng = np.random.default_rng(23)
    x, g = binary_case(rng, (1, 1, 40, 40))
    a = ss.ssim_loss(x, g, win_size=5, scale_weights=(0.25, 0.25, 0.5))
    b = ss.ssim_loss(x, g, win_size=5, scale_weights=(0.5, 0.5, 1.0))
    assert_close(1 - b, (1 - a) ** 2, 1e-12, 1e-15, what="MS^2")


# ---------------------------------------------------------------------------------------------
# Negative cs mean: MS clamps to 0, loss 1, zero gradient
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("from_logits", [False, True])
def test_anticorrelated_gives_one_and_zero_gradient(from_logits):
    rng = np.random.default_rng(53)
    g = soft_blobs(rng, (2, 1, 44, 40))
    p = 1.0 - g
    x = np.log(p / (1 - p)) if from_logits else p
    weights = (0.2, 0.3, 0.5)
    v = oracle_values(x, g, weights, from_logits=from_logits, win_size=5)
    assert (v[..., 0] < 0).all()  # the oracle agrees that the first cs mean is negative
    assert ms_ssim_loss(x, g, from_logits=from_logits, scale_weights=weights, win_size=5) == 1.0
    loss, grad = ss.ssim_loss(x, g, from_logits=from_logits, return_grad=True, scale_weights=weights, win_size=5)
    assert loss == 1.0
    assert not grad.any(), f"max |grad| = {np.abs(grad).max():.3e}"


def test_clamp_is_per_plane():
    """One anti-correlated plane (loss 1, zero gradient) next to an ordinary one."""
    rng = np.random.default_rng(59)
    x, g = binary_case(rng, (2, 1, 44, 40), from_logits=False)
    x[0] = 1.0 - soft_blobs(rng, (1, 1, 44, 40))[0]
    g[0] = 1.0 - x[0]
    kw = dict(from_logits=False, reduction="none", scale_weights=(0.2, 0.3, 0.5), win_size=5)
    want = ms_ssim_loss(x, g, **kw)
    assert want[0, 0] == 1.0 and 0 < want[1, 0] < 1
    losses, grad = ss.ssim_loss(x, g, return_grad=True, grad_output=np.ones((2, 1)), **kw)
    assert_close(losses, want, VALUE_RTOL, VALUE_ATOL, what="values")
    assert not grad[0].any()
    coords = [c for c in random_coords(rng, x.shape, 24) if c[0] == 1][:12]
    num = central_differences(lambda z: ms_ssim_loss(z, g, grad_output=np.ones((2, 1)), **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="ordinary plane gradient")
