"""Multiclass mode of the region losses: softmax over channels, integer label maps or
one-hot targets, ignore_index before one-hot, checked against the NumPy oracle."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import semsegloss_swift as ss
import oracles
from conftest import REGION_LOSSES

OPTION_SETS = [
    {},
    {"include_background": False},
    {"batch": True, "smooth_nr": 1.0, "smooth_dr": 1.0},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"ignore_index": 255},
]


def batch(shape, classes, seed, ignore=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, (shape[0], classes) + shape[1:])
    labels = rng.integers(0, classes, shape)
    if ignore:
        labels[rng.random(shape) < 0.2] = 255
    return x, labels


@pytest.mark.parametrize("name", REGION_LOSSES)
@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: ",".join(o) or "defaults")
def test_matches_oracle(name, options):
    x, labels = batch((2, 5, 6), 4, seed=len(name), ignore="ignore_index" in options)
    got = getattr(ss, name)(x, labels, mode="multiclass", **options)
    want = getattr(oracles, name)(x, labels, mode="multiclass", **options)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@given(n=st.integers(1, 3), c=st.integers(2, 5), h=st.integers(1, 6), w=st.integers(1, 7),
       seed=st.integers(0, 10_000), three_d=st.booleans())
def test_dice_random_shapes_float32(n, c, h, w, seed, three_d):
    shape = (n, h, w, 2) if three_d else (n, h, w)
    x, labels = batch(shape, c, seed)
    x = x.astype(np.float32)
    got = ss.dice_loss(x, labels, mode="multiclass")
    want = oracles.dice_loss(x.astype(np.float64), labels, mode="multiclass")
    assert abs(got - want) < 2e-5


@pytest.mark.parametrize("name", REGION_LOSSES)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int16])
def test_label_map_equals_one_hot(name, dtype):
    x, labels = batch((2, 4, 3), 3, seed=1)
    one_hot = np.moveaxis(np.eye(3)[labels], -1, 1)
    a, ga = getattr(ss, name)(x, labels.astype(dtype), mode="multiclass", return_grad=True)
    b, gb = getattr(ss, name)(x, one_hot, mode="multiclass", return_grad=True)
    assert a == pytest.approx(b, abs=1e-12)
    np.testing.assert_allclose(ga, gb, atol=1e-12)


@pytest.mark.parametrize("name", REGION_LOSSES)
@pytest.mark.parametrize("from_logits", [True, False])
def test_gradient_finite_differences(name, from_logits):
    x, labels = batch((1, 3, 2), 3, seed=3, ignore=True)
    if not from_logits:
        x = oracles.softmax(x)
    kw = dict(mode="multiclass", from_logits=from_logits, ignore_index=255)
    if name == "focal_tversky_loss":
        kw["gamma"] = 1.5
    fn = getattr(ss, name)
    _, grad = fn(x, labels, return_grad=True, **kw)
    h = 1e-6
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        num[i] = (fn(xp, labels, **kw) - fn(xm, labels, **kw)) / (2 * h)
    np.testing.assert_allclose(grad, num, atol=1e-7)
    # ignored voxels (label 255) get no gradient
    ignored = np.broadcast_to((labels == 255)[:, None], x.shape)
    assert np.all(grad[ignored] == 0)


def test_inputs_not_modified():
    x, labels = batch((2, 3, 3), 3, seed=4)
    x0, l0 = x.copy(), labels.copy()
    ss.dice_loss(x, labels, mode="multiclass", return_grad=True)
    assert np.array_equal(x, x0) and np.array_equal(labels, l0)


@pytest.mark.parametrize("bad,match", [(3, "target"), (-1, "target")])
def test_labels_out_of_range(bad, match):
    x, labels = batch((1, 2, 2), 3, seed=5)
    labels[0, 1, 1] = bad
    with pytest.raises(ValueError, match=match):
        ss.dice_loss(x, labels, mode="multiclass")


def test_label_map_shape_and_mode_errors():
    x, labels = batch((2, 3, 4), 3, seed=6)
    with pytest.raises(ValueError, match="target"):
        ss.dice_loss(x, labels[:, :2], mode="multiclass")
    with pytest.raises(ValueError, match="target"):
        ss.dice_loss(x, labels, mode="multilabel")
    with pytest.raises(ValueError, match="input"):
        ss.dice_loss(x[:, :1], labels, mode="multiclass")  # one channel
    with pytest.raises(ValueError, match="ignore_index"):
        ss.dice_loss(x, labels, mode="multiclass", ignore_index=0.5)


def test_confident_logits_finite():
    labels = np.array([[[0, 1], [2, 1]]])
    x = np.moveaxis(np.eye(3)[labels], -1, 1) * 60 - 30
    loss, grad = ss.dice_loss(x, labels, mode="multiclass", return_grad=True)
    assert loss < 1e-9 and np.all(np.isfinite(grad))
