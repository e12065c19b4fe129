"""generalized_wasserstein_dice_loss through the public API: a NumPy oracle of MONAI's
formula (extended to ignore_index, batch pooling and soft targets), MONAI's docstring
example, finite-difference gradients and bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_distribution as od
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming

MONAI_M = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]])


def oracle(input, target, *, from_logits=True, reduction="mean", ignore_index=None, dist_matrix=None,
           weighting_mode="default", smooth_nr=1e-5, smooth_dr=1e-5, batch=False):
    x = np.asarray(input, np.float64)
    n, c = x.shape[:2]
    g, valid = od.dense_target(target, x.shape, ignore_index)
    if from_logits:
        e = np.exp(x - x.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
    else:
        p = x
    m = np.ones((c, c)) - np.eye(c) if dist_matrix is None else np.asarray(dist_matrix, np.float64)
    m = m / m.max()
    p, g, valid = p.reshape(n, c, -1), g.reshape(n, c, -1), valid.reshape(n, -1)
    if batch:
        p, g, valid = (np.concatenate(list(a), axis=-1)[None] for a in (p, g, valid))
    losses, included = [], []
    for pe, ge, ve in zip(p, g, valid):
        w = np.einsum("li,lc,ci->i", ge, m, pe)[ve]
        gv = ge[:, ve]
        alpha = (np.r_[0.0, np.ones(c - 1)] if weighting_mode == "default" else 1 / (gv.sum(1) + 1))
        a = alpha @ gv
        tp = (a * (1 - w)).sum()
        den = (2 * tp + w.sum() if weighting_mode == "default" else (a * (2 - w)).sum()) + smooth_dr
        ok = ve.any() and den > 0
        losses.append(1 - (2 * tp + smooth_nr) / den if ok else 0.0)
        included.append(ok)
    losses, included = np.array(losses), np.array(included)
    if reduction == "none":
        return losses
    total = losses[included].sum()
    return total if reduction == "sum" else (total / included.sum() if included.any() else 0.0)


def test_monai_docstring_example():
    scores = np.array([[1000.0, 0, 0], [0, 1000, 0], [0, 0, 1000]]).reshape(3, 3, 1)
    assert ss.generalized_wasserstein_dice_loss(scores, np.array([[0], [1], [2]]), dist_matrix=MONAI_M) == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(data=st.data())
def test_matches_oracle(dtype, data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    spatial = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.normal(0, 3, (n, c) + spatial).astype(dtype)
    labels = rng.integers(0, c, (n,) + spatial)
    opts = dict(reduction=data.draw(st.sampled_from(["mean", "sum", "none"])), batch=data.draw(st.booleans()),
                weighting_mode=data.draw(st.sampled_from(["default", "GDL"])),
                smooth_nr=data.draw(st.sampled_from([1e-5, 0.0, 1.0])), smooth_dr=data.draw(st.sampled_from([1e-5, 1.0])))
    if data.draw(st.booleans()):
        m = rng.uniform(0, 2, (c, c))
        opts["dist_matrix"] = (m + m.T) * (1 - np.eye(c))
    target = labels
    if data.draw(st.booleans()):
        labels[rng.random(labels.shape) < 0.2] = 255
        opts["ignore_index"] = 255
    elif data.draw(st.booleans()):  # soft targets
        t = rng.random((n, c) + spatial)
        target = (t / t.sum(1, keepdims=True)).astype(dtype)
    got = ss.generalized_wasserstein_dice_loss(x, target, **opts)
    tol = (1e-10, 1e-12) if dtype == np.float64 else (2e-5, 2e-6)
    assert_close(got, oracle(x, target, **opts), *tol, what=str(opts))


@pytest.mark.parametrize("opts", [dict(), dict(weighting_mode="GDL", dist_matrix=MONAI_M),
                                  dict(batch=True, reduction="sum", ignore_index=255),
                                  dict(from_logits=False, smooth_nr=1.0, smooth_dr=1.0)])
def test_gradient_finite_differences(opts, rng):
    shape = (2, 3, 3, 2)
    if opts.get("from_logits") is False:
        x = rng.uniform(0.1, 1.0, shape)
        x /= x.sum(1, keepdims=True)
    else:
        x = rng.normal(0, 2, shape)
    labels = rng.integers(0, 3, (2, 3, 2))
    if "ignore_index" in opts:
        labels[0, 1, 1] = 255
    _, grad = ss.generalized_wasserstein_dice_loss(x, labels, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: ss.generalized_wasserstein_dice_loss(xs, labels, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=str(opts))


def test_edges_and_bad_input(rng):
    x, labels = rng.normal(size=(1, 3, 2, 2)), rng.integers(0, 3, (1, 2, 2))
    loss, grad = ss.generalized_wasserstein_dice_loss(x, np.full((1, 2, 2), 255), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()
    for scale in (30.0, -30.0, 300.0):
        loss, grad = ss.generalized_wasserstein_dice_loss(np.full(x.shape, scale) * (np.arange(3) == 1)[None, :, None, None],
                                                          labels, return_grad=True)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
    fn = ss.generalized_wasserstein_dice_loss
    raises_naming(ValueError, fn, x, labels, dist_matrix=np.ones((2, 2)), names=["dist_matrix"])
    raises_naming(ValueError, fn, x, labels, dist_matrix=np.ones((3, 2)), names=["dist_matrix"])
    raises_naming(ValueError, fn, x, labels, dist_matrix=-MONAI_M, names=["dist_matrix"])
    raises_naming(TypeError, fn, x, labels, dist_matrix="near", names=["dist_matrix"])
    raises_naming(ValueError, fn, x, labels, weighting_mode="volume", names=["weighting_mode"])
    raises_naming(ValueError, fn, x, labels, include_background=False, names=["include_background"])
    raises_naming(ValueError, fn, x[:, :1], np.ones((1, 1, 2, 2)), mode="binary", names=["mode"])
    raises_naming(ValueError, fn, x, np.full((1, 2, 2), 3), names=["target"])
    x0, l0 = x.copy(), labels.copy()
    ss.GeneralizedWassersteinDiceLoss(dist_matrix=MONAI_M)(x, labels, return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(labels, l0)
