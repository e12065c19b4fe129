"""hausdorff_er_loss through the public API: SegLoss's own forward (SciPy convolution),
Kornia's per-class form, a NumPy forward + backward, finite differences, edges, bad input."""
from __future__ import annotations

import numpy as np
import pytest

import oracles as core
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming
from oracles_hausdorff_er import forward_backward, hausdorff_er_fb, segloss_forward

NAME = "hausdorff_er_loss"


def problem(rng, shape, probabilities=False):
    """Noisy prediction and the complement of its thresholded self as target: compact error
    regions that survive a few erosions."""
    x = rng.uniform(0.02, 0.98, shape) if probabilities else rng.normal(0, 3, shape)
    g = ((x > 0.5) if probabilities else (x > 0)).astype(np.float64)
    return x, 1 - g


def test_doc_example():
    p = np.array([[[0.0, 1.0, 1.0, 1.0, 0.0]]])
    got = ss.hausdorff_er_loss(p, np.zeros((1, 1, 5)), from_logits=False, erosions=2, reduction="none")
    np.testing.assert_allclose(got, [[[0, 1 / 3, 5, 1 / 3, 0]]], rtol=0, atol=1e-12)


@pytest.mark.parametrize("alpha,erosions", [(2.0, 10), (1.0, 3), (0.0, 1)])
def test_segloss_forward(rng, alpha, erosions):
    """SegLoss's HausdorffERLoss.perform_erosion on probabilities, 2-D binary: same value."""
    p, g = problem(rng, (3, 1, 12, 13), probabilities=True)
    want = segloss_forward(p, g, alpha, erosions)
    got = ss.hausdorff_er_loss(p, g, from_logits=False, alpha=alpha, erosions=erosions)
    assert want > 0 and got == pytest.approx(want, rel=1e-12)


def test_kornia_per_class_form(rng):
    """Kornia's multiclass HausdorffERLoss: every class channel of the probabilities against
    target == class, meaned per class, then over classes."""
    p = rng.dirichlet(np.ones(3), size=(2, 9, 10)).transpose(0, 3, 1, 2)
    labels = rng.integers(0, 3, (2, 9, 10))
    want = np.mean([segloss_forward(p[:, c:c + 1], (labels == c)[:, None].astype(float)) for c in range(3)])
    got = ss.hausdorff_er_loss(p, labels, mode="multiclass", from_logits=False)
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_numpy_forward_backward(rng, dtype):
    """The vectorised NumPy forward + backward (the benchmark's baseline) agrees."""
    z, g = problem(rng, (4, 1, 20, 17))
    want, want_grad = hausdorff_er_fb(z, g)
    got, grad = ss.hausdorff_er_loss(z.astype(dtype), g.astype(dtype), return_grad=True)
    tol = 1e-10 if dtype == np.float64 else 2e-5
    assert got == pytest.approx(want, rel=tol)
    assert_close(grad, want_grad, tol, tol * np.abs(want_grad).max(), what=str(dtype))


FAMILIES = {
    "binary logits 2-D": ((2, 1, 6, 7), dict()),
    "multilabel probabilities ignore sum": ((1, 2, 5, 5), dict(mode="multilabel", from_logits=False,
                                                               ignore_index=255.0, reduction="sum")),
    "3-D alpha 1": ((1, 1, 4, 4, 5), dict(alpha=1.0, erosions=4)),
    "multiclass labels no background": ((2, 3, 5, 5), dict(mode="multiclass", include_background=False)),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_gradient_finite_differences(family, rng):
    shape, opts = FAMILIES[family]
    if opts.get("mode") == "multiclass":
        x = rng.normal(0, 3, shape)
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        x, g = problem(rng, shape, probabilities=opts.get("from_logits") is False)
        if "ignore_index" in opts:
            g.flat[[1, 6]] = 255
    loss, grad = ss.hausdorff_er_loss(x, g, return_grad=True, **opts)
    assert loss > 0
    numeric = numeric_grad(lambda xs: ss.hausdorff_er_loss(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=family)


def test_none_and_ignore(rng):
    z, g = problem(rng, (2, 1, 8, 9))
    values = ss.hausdorff_er_loss(z, g, reduction="none")
    assert values.shape == z.shape
    assert values.sum() / z.size == pytest.approx(ss.hausdorff_er_loss(z, g), rel=1e-12)
    gi = g.copy()
    gi[0, 0, :2] = 255
    valid = gi != 255
    p = core.sigmoid(z)
    loss, _ = forward_backward(p.reshape(-1, 8, 9), np.where(valid, gi, 0).reshape(-1, 8, 9),
                               valid=valid.reshape(-1, 8, 9))
    got, grad = ss.hausdorff_er_loss(z, gi, ignore_index=255, return_grad=True)
    assert got == pytest.approx(loss.reshape(z.shape)[valid].sum() / valid.sum(), rel=1e-12)
    assert not grad[~valid].any()


def test_edges_and_bad_input(rng):
    fn = ss.hausdorff_er_loss
    for g in (np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.eye(3).reshape(1, 1, 3, 3), np.ones((1, 1, 1, 1))):
        for s in (30.0, -30.0, 300.0):
            loss, grad = fn(np.where(g > 0, s, -s), g, return_grad=True)
            assert np.isfinite(loss) and loss >= 0 and np.all(np.isfinite(grad))
            if s > 0:
                assert loss == pytest.approx(0, abs=1e-12)
    loss, grad = fn(rng.normal(size=(1, 1, 2, 2)), np.full((1, 1, 2, 2), 255.0), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()
    x, g = np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3))
    raises_naming(ValueError, fn, x, g, alpha=-1.0, names=["alpha"])
    raises_naming(ValueError, fn, x, g, erosions=0, names=["erosions"])
    raises_naming(ValueError, fn, x, g, erosions=2.5, names=["erosions"])
    raises_naming(ValueError, fn, x, g * 2, names=["target"])
    raises_naming(ValueError, fn, x, g[0], names=["target"])
    bad = x.copy()
    bad[0, 0, 1, 1] = np.nan
    raises_naming(ValueError, fn, bad, g, names=["input"])
    raises_naming(TypeError, ss.LOSS_CLASSES[NAME], smooth_nr=1.0, names=["smooth_nr"])
    x0, g0 = x.copy(), g.copy()
    ss.LOSS_CLASSES[NAME]()(x, g, return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
