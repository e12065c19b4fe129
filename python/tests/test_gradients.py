"""The returned gradient equals central finite differences (float64, h = 1e-6) of the
returned value, for every loss under the main option families."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import ALL_LOSSES, PIXEL_LOSSES, REGION_LOSSES, SQUARED_LOSSES

H = 1e-6
RTOL = 1e-6
ATOL = 1e-8


def finite_differences(f, x, h=H):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp = x.copy()
        xm = x.copy()
        xp[idx] += h
        xm[idx] -= h
        grad[idx] = (f(xp) - f(xm)) / (2 * h)
    return grad


def assert_grad_matches(got, fd, what):
    err = np.abs(got - fd)
    ok = (err <= RTOL * np.abs(fd)) | (err < ATOL)
    if not ok.all():
        i = np.unravel_index(np.argmax(np.where(ok, 0, err)), got.shape)
        raise AssertionError(f"{what}: at {i} analytic {got[i]!r} vs finite differences {fd[i]!r} "
                             f"(abs err {err[i]:.3g})")


def logits(rng, shape, scale=2.0):
    return rng.normal(0.0, scale, shape)


def binary_target(rng, shape, frac=0.5):
    return (rng.random(shape) < frac).astype(np.float64)


def extra_options(name):
    """Non-default loss parameters, so they are exercised by the gradient too."""
    return {
        "bce_loss": dict(pos_weight=2.0),
        "focal_loss": dict(alpha=0.3, gamma=2.0),
        "dice_loss": dict(smooth_nr=1e-3, smooth_dr=1e-3),
        "jaccard_loss": dict(smooth_nr=0.5, smooth_dr=0.5),
        "tversky_loss": dict(alpha=0.4, beta=0.8),
        "focal_tversky_loss": dict(alpha=0.3, beta=0.7, gamma=0.75),
        "dice_bce_loss": dict(lambda_dice=0.7, lambda_bce=1.3, pos_weight=0.5),
    }[name]


def check(name, x, g, **opts):
    fn = getattr(ss, name)
    opts = {**extra_options(name), **opts}
    value, grad = fn(x, g, return_grad=True, **opts)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert np.all(np.isfinite(grad))
    fd = finite_differences(lambda v: fn(v, g, **opts), x)
    assert_grad_matches(grad, fd, f"{name} {opts}")
    return value, grad


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_binary_logits(name):
    rng = np.random.default_rng(1)
    x = logits(rng, (2, 1, 4, 5))
    check(name, x, binary_target(rng, x.shape))


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_binary_probabilities(name):
    rng = np.random.default_rng(2)
    x = rng.uniform(0.05, 0.95, (2, 1, 3, 5))
    check(name, x, binary_target(rng, x.shape), from_logits=False)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_soft_targets_logits(name):
    rng = np.random.default_rng(3)
    x = logits(rng, (2, 1, 3, 4))
    check(name, x, rng.uniform(0, 1, x.shape))


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_multilabel_batch(name):
    rng = np.random.default_rng(4)
    x = logits(rng, (2, 3, 3, 4))
    g = binary_target(rng, x.shape, 0.4)
    opts = dict(mode="multilabel")
    if name not in PIXEL_LOSSES:
        opts["batch"] = True
    check(name, x, g, **opts)


@pytest.mark.parametrize("name", REGION_LOSSES + ("dice_bce_loss",))
def test_multilabel_per_image_without_background(name):
    rng = np.random.default_rng(5)
    x = logits(rng, (2, 3, 3, 3))
    _, grad = check(name, x, binary_target(rng, x.shape), mode="multilabel", include_background=False)
    if name != "dice_bce_loss":
        assert np.all(grad[:, 0] == 0)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_ignore_index(name):
    rng = np.random.default_rng(6)
    x = logits(rng, (2, 2, 3, 4))
    g = binary_target(rng, x.shape)
    ignored = rng.random(x.shape) < 0.3
    g[ignored] = 255.0
    _, grad = check(name, x, g, mode="multilabel", ignore_index=255.0)
    assert np.all(grad[ignored] == 0), "ignored voxels must get a zero gradient"


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_reduction_sum(name):
    rng = np.random.default_rng(7)
    x = logits(rng, (2, 2, 2, 3))
    check(name, x, binary_target(rng, x.shape), mode="multilabel", reduction="sum")


VJP_CASES = [(n, False) for n in PIXEL_LOSSES + REGION_LOSSES] + [(n, True) for n in REGION_LOSSES]


@pytest.mark.parametrize("name,batch", VJP_CASES)
def test_reduction_none_vjp(name, batch):
    """With grad_output w, the gradient is d(sum(w * loss))/d(input)."""
    rng = np.random.default_rng(8)
    x = logits(rng, (2, 2, 3, 3))
    g = binary_target(rng, x.shape)
    fn = getattr(ss, name)
    opts = dict(extra_options(name), mode="multilabel", reduction="none")
    if batch:
        opts["batch"] = True
    values = fn(x, g, **opts)
    w = rng.normal(0.0, 1.0, values.shape)
    value, grad = fn(x, g, return_grad=True, grad_output=w, **opts)
    np.testing.assert_array_equal(value, values)
    fd = finite_differences(lambda v: float(np.sum(w * fn(v, g, **opts))), x)
    assert_grad_matches(grad, fd, f"{name} VJP {opts}")
    # Without grad_output the gradient is that of the plain sum of the entries.
    _, grad1 = fn(x, g, return_grad=True, **opts)
    fd1 = finite_differences(lambda v: float(np.sum(fn(v, g, **opts))), x)
    assert_grad_matches(grad1, fd1, f"{name} none, no grad_output")


@pytest.mark.parametrize("name", SQUARED_LOSSES)
@pytest.mark.parametrize("from_logits", [True, False])
def test_squared_pred(name, from_logits):
    rng = np.random.default_rng(9)
    shape = (2, 2, 3, 3)
    x = logits(rng, shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    check(name, x, rng.uniform(0, 1, shape), mode="multilabel", squared_pred=True, from_logits=from_logits)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_3d_spatial(name):
    rng = np.random.default_rng(10)
    x = logits(rng, (1, 2, 3, 2, 3))
    check(name, x, binary_target(rng, x.shape), mode="multilabel")


@pytest.mark.parametrize("name", REGION_LOSSES)
def test_empty_skip(name):
    rng = np.random.default_rng(11)
    x = logits(rng, (3, 2, 2, 3))
    g = binary_target(rng, x.shape)
    g[1, 0] = 0.0
    g[2, 1] = 0.0
    _, grad = check(name, x, g, mode="multilabel", empty="skip")
    assert np.all(grad[1, 0] == 0) and np.all(grad[2, 1] == 0)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.5])
def test_focal_tversky_gammas(gamma):
    rng = np.random.default_rng(12)
    x = logits(rng, (2, 2, 3, 3))
    check("focal_tversky_loss", x, binary_target(rng, x.shape), mode="multilabel", gamma=gamma)


@pytest.mark.parametrize("alpha,gamma", [(None, 0.0), (None, 1.5), (0.75, 0.5), (0.25, 3.0)])
@pytest.mark.parametrize("from_logits", [True, False])
def test_focal_parameters(alpha, gamma, from_logits):
    rng = np.random.default_rng(13)
    shape = (2, 1, 3, 4)
    x = logits(rng, shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    check("focal_loss", x, rng.uniform(0, 1, shape), alpha=alpha, gamma=gamma, from_logits=from_logits)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_float32_gradient_close_to_float64(name):
    rng = np.random.default_rng(14)
    x = logits(rng, (2, 2, 4, 4))
    g = binary_target(rng, x.shape)
    opts = dict(extra_options(name), mode="multilabel")
    fn = getattr(ss, name)
    _, g64 = fn(x, g, return_grad=True, **opts)
    _, g32 = fn(x.astype(np.float32), g.astype(np.float32), return_grad=True, **opts)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-6 * np.abs(g64).max())
