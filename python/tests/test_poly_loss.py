"""poly_loss (Poly-1) through the public API: the paper's formula in NumPy (CE with label
smoothing + epsilon (1 - p_t)), binary form, finite differences, edges, bad input."""
from __future__ import annotations

import numpy as np
import pytest

import oracles as core
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming


def poly1(z, labels, epsilon=1.0, label_smoothing=0.0):
    """The paper's Poly-1 with softmax: CE(label-smoothed) + epsilon (1 - sum onehot * p), mean."""
    c = z.shape[1]
    p = core.softmax(z)
    onehot = np.moveaxis(np.eye(c)[labels], -1, 1)
    smooth = (1 - label_smoothing) * onehot + label_smoothing / c
    ce = -(smooth * np.log(p)).sum(1)
    pt = (onehot * p).sum(1)
    return float((ce + epsilon * (1 - pt)).mean())


@pytest.mark.parametrize("epsilon,smoothing", [(1.0, 0.0), (2.0, 0.1), (-1.0, 0.0), (0.5, 0.3)])
def test_paper_formula(rng, epsilon, smoothing):
    z = rng.normal(0, 2, (2, 4, 5, 6))
    labels = rng.integers(0, 4, (2, 5, 6))
    got = ss.poly_loss(z, labels, epsilon=epsilon, label_smoothing=smoothing)
    assert got == pytest.approx(poly1(z, labels, epsilon, smoothing), rel=1e-12)
    # epsilon 0 is the cross-entropy
    assert ss.poly_loss(z, labels, epsilon=0.0, label_smoothing=smoothing) == pytest.approx(
        ss.cross_entropy_loss(z, labels, label_smoothing=smoothing), rel=1e-12)


def test_binary_form(rng):
    z = rng.normal(0, 2, (2, 1, 4, 4))
    g = (rng.random(z.shape) < 0.5).astype(float)
    p = core.sigmoid(z)
    bce = -(g * np.log(p) + (1 - g) * np.log(1 - p))
    pt = g * p + (1 - g) * (1 - p)
    assert ss.poly_loss(z, g, mode="binary", epsilon=2.0) == pytest.approx(float((bce + 2 * (1 - pt)).mean()), rel=1e-12)


@pytest.mark.parametrize("opts", [dict(), dict(weight=[0.2, 1.0, 3.0], label_smoothing=0.1, epsilon=2.0),
                                  dict(include_background=False, ignore_index=-1, reduction="sum"),
                                  dict(from_logits=False, epsilon=-1.0), dict(mode="multilabel")], ids=str)
def test_gradient_finite_differences(rng, opts):
    shape = (2, 3, 3, 4)
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    if opts.get("mode") == "multilabel":
        t = (rng.random(shape) < 0.5).astype(float)
    else:
        t = rng.integers(0, 3, (2, 3, 4))
        if "ignore_index" in opts:
            t.flat[[2, 7]] = -1
    _, grad = ss.poly_loss(x, t, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: ss.poly_loss(xs, t, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=str(opts))


def test_edges_and_bad_input(rng):
    for s in (30.0, -30.0, 300.0):
        loss, grad = ss.poly_loss(np.array([s, -s, 0.0]).reshape(1, 3, 1, 1), np.array([[[0]]]), return_grad=True)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
    loss, grad = ss.poly_loss(rng.normal(size=(1, 2, 2, 2)), np.full((1, 2, 2), 7), ignore_index=7, return_grad=True)
    assert loss == 0.0 and not grad.any()
    z, labels = np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2), np.int64)
    raises_naming(ValueError, ss.poly_loss, z, labels, epsilon=-2.0, names=["epsilon"])
    raises_naming(ValueError, ss.poly_loss, z, labels, epsilon=float("nan"), names=["epsilon"])
    raises_naming(ValueError, ss.poly_loss, z, labels + 5, names=["target"])
    raises_naming(ValueError, ss.poly_loss, np.zeros((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), mode="binary",
                  weight=[1.0], names=["weight"])
    z0, l0 = z.copy(), labels.copy()
    ss.PolyLoss(epsilon=0.5)(z, labels, return_grad=True)
    np.testing.assert_array_equal(z, z0)
    np.testing.assert_array_equal(labels, l0)
