"""nacl_loss through the public API: a NumPy/SciPy oracle (MONAI's formula: cross-entropy
plus alpha times the mean distance between the logits and the zero-padded, smoothed one-hot
target), finite-difference gradients, edge cases and bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

import oracles_distribution as od
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming
from strategies import include_background, problems

TOL = {np.float64: (1e-10, 1e-12), np.float32: (2e-5, 2e-5)}


def taps(kernel_ops, kernel_size, sigma):
    if kernel_ops == "mean":
        return np.full(kernel_size, 1.0 / kernel_size)
    tail = int(max(4 * sigma, 0.5) + 0.5)
    t = 1 / (math.sqrt(2) * sigma)
    return np.array([0.5 * (math.erf(t * (x + 0.5)) - math.erf(t * (x - 0.5))) for x in range(-tail, tail + 1)])


def smooth(planes, w):
    """Separable 'same' correlation with zeros outside, over the spatial axes (2..)."""
    out = np.asarray(planes, np.float64)
    for ax in range(2, out.ndim):
        out = ndimage.correlate1d(out, w, axis=ax, mode="constant", cval=0.0)
    return out


def oracle(input, target, *, mode="multiclass", from_logits=True, reduction="mean", ignore_index=None,
           include_background=True, alpha=0.1, kernel_ops="mean", kernel_size=3, sigma=1.0, distance_type="l1"):
    x = np.asarray(input)
    common = dict(from_logits=from_logits, reduction=reduction, ignore_index=ignore_index,
                  include_background=include_background)
    ce = od.cross_entropy_loss(x, target, mode=mode, **common)[0]
    if mode == "multiclass":
        g, voxels = od.dense_target(target, x.shape, ignore_index)
        valid = np.broadcast_to(voxels[:, None], x.shape).copy()
        g = np.where(valid, g, 0.0)
    else:
        g = np.asarray(target, np.float64)
        valid = np.ones(g.shape, bool) if ignore_index is None else g != ignore_index
        g = np.where(valid, g, 0.0)
    if not include_background:
        valid[:, 0] = False
    u = smooth(g, taps(kernel_ops, kernel_size, sigma))
    e = x.astype(np.float64) - u
    d = np.abs(e) if distance_type == "l1" else e * e
    total = d[valid].sum()
    if reduction == "sum":
        return ce + alpha * total
    return ce + (alpha * total / valid.sum() if valid.any() else 0.0)


@st.composite
def cases(draw):
    pr = draw(problems())
    opts = dict(pr.common(), reduction=draw(st.sampled_from(["mean", "sum"])),
                include_background=include_background(draw, pr), alpha=draw(st.sampled_from([0.1, 0.0, 2.0])),
                kernel_ops=draw(st.sampled_from(["mean", "gaussian"])), kernel_size=draw(st.sampled_from([1, 3, 5])),
                sigma=draw(st.sampled_from([1.0, 0.6])), distance_type=draw(st.sampled_from(["l1", "l2"])))
    return pr, opts


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(data=st.data())
def test_binary_multilabel_match_oracle(dtype, data):
    pr, opts = data.draw(cases())
    pr = pr.astype(dtype)
    got = ss.nacl_loss(pr.x, pr.g, **opts)
    assert_close(got, oracle(pr.x, pr.g, **opts), *TOL[dtype], what=str(opts))


@given(data=st.data())
def test_multiclass_matches_oracle(data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    spatial = tuple(data.draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.normal(0, 3, (n, c) + spatial)
    labels = rng.integers(0, c, (n,) + spatial)
    opts = dict(reduction=data.draw(st.sampled_from(["mean", "sum"])), include_background=data.draw(st.booleans()),
                kernel_ops=data.draw(st.sampled_from(["mean", "gaussian"])),
                kernel_size=data.draw(st.sampled_from([3, 5])), distance_type=data.draw(st.sampled_from(["l1", "l2"])))
    if data.draw(st.booleans()):
        labels[rng.random(labels.shape) < 0.2] = 255
        opts["ignore_index"] = 255
    assert_close(ss.nacl_loss(x, labels, **opts), oracle(x, labels, **opts), 1e-10, 1e-12, what=str(opts))


def test_monai_defaults_by_formula(rng):
    """MONAI's forward with its defaults: CE (mean over voxels) + 0.1 * mean |K * onehot - z|."""
    z = rng.normal(size=(2, 3, 6, 5))
    labels = rng.integers(0, 3, (2, 6, 5))
    onehot = np.moveaxis(np.eye(3)[labels], -1, 1)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    ce = -(onehot * logp).sum(1).mean()
    u = ndimage.uniform_filter(onehot, size=(1, 1, 3, 3), mode="constant")
    assert ss.nacl_loss(z, labels) == pytest.approx(ce + 0.1 * np.abs(u - z).mean(), rel=1e-12)


FAMILIES = {
    "binary logits": ((2, 1, 4, 5), dict(mode="binary")),
    "binary probabilities l2": ((2, 1, 3, 4), dict(mode="binary", from_logits=False, distance_type="l2")),
    "multilabel gaussian ignore no background": ((1, 3, 4, 4), dict(mode="multilabel", kernel_ops="gaussian",
                                                                    ignore_index=255.0, include_background=False)),
    "multiclass labels ignore": ((2, 3, 3, 4), dict(ignore_index=255)),
    "multiclass 3-D box 5 sum": ((1, 3, 3, 3, 4), dict(kernel_size=5, reduction="sum")),
    # 8+ (image, channel) planes: binary / multilabel run both parts in one sweep
    "binary batch of 8 (one sweep)": ((8, 1, 3, 4), dict(mode="binary")),
    "multilabel one sweep ignore no background l2": ((3, 3, 4, 4), dict(mode="multilabel", ignore_index=255.0,
                                                                        include_background=False, distance_type="l2")),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shape,opts", [
    ((8, 1, 7, 9), dict(mode="binary")),
    ((16, 1, 5, 6), dict(mode="binary", ignore_index=255.0, kernel_ops="gaussian", reduction="sum")),
    ((4, 3, 6, 5), dict(mode="multilabel", include_background=False, from_logits=False, distance_type="l2")),
    ((2, 4, 3, 4, 5), dict(mode="multilabel", kernel_size=5, alpha=2.0)),
], ids=["binary-8", "binary-16-ignore-gaussian-sum", "multilabel-12-probabilities", "multilabel-3d"])
def test_one_sweep_batches_match_oracle(dtype, shape, opts, rng):
    """Batches of 8+ planes (one sweep over the planes in the library) against the oracle."""
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = (rng.random(shape) < 0.4).astype(np.float64)
    if "ignore_index" in opts:
        g[rng.random(shape) < 0.1] = 255
    x, g = x.astype(dtype), g.astype(dtype)
    x0, g0 = x.copy(), g.copy()
    value, grad = ss.nacl_loss(x, g, return_grad=True, **opts)
    assert_close(value, oracle(x, g, **opts), *TOL[dtype], what=str(opts))
    assert np.array_equal(x, x0) and np.array_equal(g, g0)
    if dtype == np.float64:  # the gradient against central differences of the library's value, on a few elements
        rows = rng.choice(x.size, 12, replace=False)
        for i in rows:
            h = 1e-6
            xp, xm = x.copy(), x.copy()
            xp.flat[i] += h
            xm.flat[i] -= h
            fd = (ss.nacl_loss(xp, g, **opts) - ss.nacl_loss(xm, g, **opts)) / (2 * h)
            assert abs(grad.flat[i] - fd) < 1e-6, (i, grad.flat[i], fd)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_gradient_finite_differences(family, rng):
    shape, opts = FAMILIES[family]
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    if opts.get("mode", "multiclass") == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        g = (rng.random(shape) < 0.5).astype(np.float64)
    if "ignore_index" in opts:
        g.flat[[1, 4, 7]] = 255
    _, grad = ss.nacl_loss(x, g, return_grad=True, **opts)
    assert_close(grad, numeric_grad(lambda xs: ss.nacl_loss(xs, g, **opts), x), 1e-6, 1e-8, what=family)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_edges(dtype):
    for labels in (np.zeros((1, 2, 3), np.int64), np.ones((1, 2, 3), np.int64)):
        for scale in (30.0, -30.0, 200.0):
            x = np.stack([np.full((1, 2, 3), scale), np.full((1, 2, 3), -scale)], 1).astype(dtype)
            loss, grad = ss.nacl_loss(x, labels, return_grad=True)
            assert np.isfinite(loss) and np.all(np.isfinite(grad)) and grad.dtype == dtype
    x = np.random.default_rng(0).normal(size=(1, 2, 3, 3)).astype(dtype)
    loss, grad = ss.nacl_loss(x, np.full((1, 3, 3), 255), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()
    loss = ss.nacl_loss(np.array([[[[0.3]]]], dtype), np.ones((1, 1, 1, 1), dtype), mode="binary", kernel_size=5)
    assert loss == pytest.approx(math.log1p(math.exp(-0.3)) + 0.1 * (0.3 - 1 / 25), rel=1e-5)


def test_bad_input_names_the_argument():
    x, labels = np.zeros((1, 2, 3, 3)), np.zeros((1, 3, 3), np.int64)
    for k in (0, 2, -1, 2.5):
        raises_naming(ValueError, ss.nacl_loss, x, labels, kernel_size=k, names=["kernel_size"])
    raises_naming(ValueError, ss.nacl_loss, x, labels, sigma=0.0, names=["sigma"])
    raises_naming(ValueError, ss.nacl_loss, x, labels, alpha=-1.0, names=["alpha"])
    raises_naming(ValueError, ss.nacl_loss, x, labels, kernel_ops="median", names=["kernel_ops"])
    raises_naming(ValueError, ss.nacl_loss, x, labels, distance_type="l3", names=["distance_type"])
    raises_naming(ValueError, ss.nacl_loss, x, labels, reduction="none", names=["reduction"])
    raises_naming(ValueError, ss.nacl_loss, x, np.full((1, 3, 3), 5), names=["target"])
    bad = x.copy()
    bad[0, 0, 0, 0] = np.nan
    raises_naming(ValueError, ss.nacl_loss, bad, labels, names=["input"])
    x0, l0 = x.copy(), labels.copy()
    ss.NaclLoss()(x, labels, return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(labels, l0)
