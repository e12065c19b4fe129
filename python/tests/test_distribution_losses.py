"""Distribution family (weighted/balanced BCE, cross-entropy, softmax focal, top-k CE)
through the public API: NumPy oracles on random problems (hypothesis), finite-difference
gradients, the golden file shared with Swift, bad input, inputs not modified."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_distribution as od
import semsegloss_swift as ss
from conftest import REPO_ROOT, assert_close
from test_gradients import assert_grad_matches, finite_differences

GOLDEN = json.loads((REPO_ROOT / "Tests" / "Fixtures" / "golden_distribution.json").read_text())["losses"]
FAMILY = ("weighted_bce_loss", "balanced_bce_loss", "cross_entropy_loss", "top_k_ce_loss")
TOL = {np.float64: (1e-10, 1e-12), np.float32: (2e-5, 2e-5)}
GTOL = {np.float64: (1e-9, 1e-12), np.float32: (1e-4, 2e-5)}


# ----------------------------------------------------------------------------- problems

@st.composite
def categorical_problems(draw, max_side=6):
    """(x, target, options) for multiclass mode: label map or dense (one-hot / soft)."""
    n, c, nd = draw(st.integers(1, 3)), draw(st.integers(2, 4)), draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, max_side), min_size=nd, max_size=nd)))
    shape = (n, c) + spatial
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    from_logits = draw(st.booleans())
    z = rng.normal(0, 3, shape)
    z[rng.random(shape) < 0.05] = 30.0
    x = z if from_logits else np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)
    labels = rng.integers(0, c, (n,) + spatial)
    ignore = draw(st.sampled_from([None, 255, -1]))
    if ignore is not None:
        labels[rng.random(labels.shape) < draw(st.sampled_from([0.0, 0.2, 1.0]))] = ignore
    form = draw(st.sampled_from(["labels", "onehot", "soft"]))
    if form == "labels":
        target = labels
    else:
        g, valid = od.dense_target(labels, shape, ignore)
        if form == "soft":
            s = rng.random(shape)
            g = s / s.sum(1, keepdims=True)
        target = np.where(valid[:, None], g, float(ignore) if ignore is not None else 0.0)
    opts = dict(mode="multiclass", from_logits=from_logits, ignore_index=ignore,
                reduction=draw(st.sampled_from(["mean", "sum", "none"])),
                include_background=draw(st.booleans()))
    return x, target, opts


@st.composite
def ce_cases(draw):
    x, t, o = draw(categorical_problems())
    if draw(st.booleans()):
        o["weight"] = [float(v) for v in np.round(np.random.default_rng(x.size).uniform(0, 3, x.shape[1]), 3)]
    o["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
    return x, t, o


@st.composite
def focal_cases(draw):
    x, t, o = draw(categorical_problems())
    o["gamma"] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.3]))
    o["alpha"] = draw(st.sampled_from([None, 0.25, 0.9]))
    return x, t, o


@st.composite
def binary_cases(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (n, c) + tuple(draw(st.lists(st.integers(1, 6), min_size=2, max_size=2)))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    from_logits = draw(st.booleans())
    x = rng.normal(0, 3, shape) if from_logits else rng.uniform(0, 1, shape)
    g = rng.uniform(0, 1, shape) if draw(st.booleans()) else (rng.random(shape) < 0.4).astype(float)
    ignore = draw(st.sampled_from([None, 255.0]))
    if ignore is not None:
        g[rng.random(shape) < 0.2] = ignore
    o = dict(mode="binary" if c == 1 else "multilabel", from_logits=from_logits, ignore_index=ignore,
             reduction=draw(st.sampled_from(["mean", "sum", "none"])))
    return x, g, o


def _compare(name, oracle, x, t, o, dtype, grad_output_seed=None):
    xd = x.astype(dtype)
    td = t if np.issubdtype(np.asarray(t).dtype, np.integer) else np.asarray(t).astype(dtype)
    go = None
    if o["reduction"] == "none" and grad_output_seed is not None:
        shape = oracle(xd, td, **o)[0].shape
        go = np.random.default_rng(grad_output_seed).normal(size=shape).astype(dtype)
    x_copy, t_copy = xd.copy(), np.copy(td)
    loss, grad = getattr(ss, name)(xd, td, **o, return_grad=True, grad_output=go)
    want, want_grad = oracle(xd, td, **o, grad_output=go)
    np.testing.assert_array_equal(xd, x_copy)
    np.testing.assert_array_equal(td, t_copy)
    rtol, atol = TOL[dtype]
    assert_close(loss, want, rtol, atol, what=f"{name} value")
    grtol, gatol = GTOL[dtype]
    assert grad.dtype == dtype and grad.shape == x.shape
    assert_close(grad, want_grad, grtol, gatol, what=f"{name} grad")


# ----------------------------------------------------------------------------- oracles

@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(case=ce_cases(), seed=st.integers(0, 100))
def test_cross_entropy_matches_oracle(case, seed, dtype):
    x, t, o = case
    _compare("cross_entropy_loss", od.cross_entropy_loss, x, t, o, dtype, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(case=focal_cases(), seed=st.integers(0, 100))
def test_softmax_focal_matches_oracle(case, seed, dtype):
    x, t, o = case
    _compare("focal_loss", od.softmax_focal_loss, x, t, o, dtype, seed)


@pytest.mark.parametrize("name", ["weighted_bce_loss", "balanced_bce_loss", "cross_entropy_loss"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(case=binary_cases(), beta=st.sampled_from([0.1, 0.5, 0.75]), seed=st.integers(0, 100))
def test_binary_losses_match_oracle(name, case, beta, seed, dtype):
    x, g, o = case
    if name != "cross_entropy_loss":
        o = dict(o, beta=beta)
    _compare(name, od.ORACLES[name], x, g, o, dtype, seed)


@st.composite
def top_k_cases(draw):
    if draw(st.booleans()):
        x, t, o = draw(categorical_problems())
        if draw(st.booleans()):
            o["weight"] = [0.5 + i for i in range(x.shape[1])]
    else:
        x, t, o = draw(binary_cases())
    o["k"] = draw(st.sampled_from([1.0, 10.0, 37.5, 100.0]))
    return x, t, o


@given(case=top_k_cases(), seed=st.integers(0, 100))
def test_top_k_matches_oracle_f64(case, seed):
    x, t, o = case
    _compare("top_k_ce_loss", od.top_k_ce_loss, x, t, o, np.float64, seed)


@given(case=top_k_cases())
def test_top_k_value_f32(case):
    """float32 values only: near-ties may select differently from the float64 oracle."""
    x, t, o = case
    t32 = t if np.issubdtype(np.asarray(t).dtype, np.integer) else np.asarray(t).astype(np.float32)
    got = ss.top_k_ce_loss(x.astype(np.float32), t32, **o)
    want = od.top_k_ce_loss(x.astype(np.float32), t32, **o)[0]
    if o["reduction"] != "none":
        assert_close(got, want, 1e-4, 1e-5, what="top-k f32")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("variant", ["plain", "ignore_index", "probabilities", "misleading sample"])
def test_top_k_binary_large_matches_oracle(variant, reduction):
    """Binary batches above the sampling limit (32 768 elements) take the sampled-band path
    (TopKBinaryValues); a misleading sample (the strided sample runs hold the largest
    losses) makes it fall back to the general selection. Both must equal the oracle."""
    rng = np.random.default_rng(11)
    x = rng.normal(0, 2, (3, 1, 120, 130))
    t = (rng.random(x.shape) < 0.3).astype(np.float64)
    o = dict(mode="binary", k=10.0, reduction=reduction)
    if variant == "ignore_index":
        t[rng.random(x.shape) < 0.2] = 255
        o["ignore_index"] = 255
    elif variant == "probabilities":
        x = 1 / (1 + np.exp(-x))
        o["from_logits"] = False
    elif variant == "misleading sample":
        flat_x, flat_t = x.reshape(-1), t.reshape(-1)
        stride = flat_x.size // 512
        for r in range(512):
            flat_x[r * stride:r * stride + 8] = 30.0
            flat_t[r * stride:r * stride + 8] = 0.0
    _compare("top_k_ce_loss", od.top_k_ce_loss, x, t, o, np.float64, grad_output_seed=3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("variant", ["binary", "multilabel", "ties", "logits of +-30", "empty mask", "full mask"])
@pytest.mark.parametrize("k", [0.01, 10.0, 55.0, 100.0])
def test_top_k_binary_one_pass_matches_oracle(variant, k, dtype):
    """Binary and multilabel batches above the sampling limit, without ignore_index and
    with a reduced loss, take the one-pass path (TopKBinarySinglePass): the gradient is
    settled while the values are computed and only the sampled band is selected
    afterwards. Value and gradient must equal the oracle (mean and sum), the value must
    not depend on return_grad, and the inputs must stay unchanged."""
    rng = np.random.default_rng(int(k * 100) + len(variant))
    shape = (2, 3, 100, 70) if variant == "multilabel" else (3, 1, 120, 130)
    x = rng.normal(0, 2, shape)
    t = (rng.random(shape) < 0.3).astype(np.float64)
    mode = "multilabel" if variant == "multilabel" else "binary"
    if variant == "ties":
        x = np.round(x * 2) / 2
    elif variant == "logits of +-30":
        x = np.where(x > 0, 30.0, -30.0)
    elif variant == "empty mask":
        t[...] = 0
    elif variant == "full mask":
        t[...] = 1
    for reduction in ("mean", "sum"):
        o = dict(mode=mode, k=k, reduction=reduction)
        _compare("top_k_ce_loss", od.top_k_ce_loss, x, t, o, dtype)
        xd, td = x.astype(dtype), t.astype(dtype)
        value, _ = ss.top_k_ce_loss(xd, td, **o, return_grad=True)
        assert ss.top_k_ce_loss(xd, td, **o) == value


# ----------------------------------------------------------------------------- gradients

GRAD_CASES = [
    ("cross_entropy_loss", dict(), "labels"),
    ("cross_entropy_loss", dict(weight=[0.3, 2.0, 1.0], label_smoothing=0.2, ignore_index=255), "labels"),
    ("cross_entropy_loss", dict(reduction="sum", include_background=False), "soft"),
    ("cross_entropy_loss", dict(from_logits=False, weight=[1.0, 0.5, 2.0]), "probs"),
    ("focal_loss", dict(gamma=2.0, alpha=0.25, ignore_index=255), "labels"),
    ("focal_loss", dict(gamma=0.5, alpha=None, reduction="sum"), "soft"),
    ("focal_loss", dict(gamma=3.3, from_logits=False), "probs"),
    ("top_k_ce_loss", dict(k=30.0, ignore_index=255), "labels"),
    ("top_k_ce_loss", dict(k=50.0, weight=[1.0, 2.0, 0.5], reduction="sum"), "soft"),
]


@pytest.mark.parametrize("name,opts,form", GRAD_CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(GRAD_CASES)])
def test_gradient_finite_differences(name, opts, form):
    rng = np.random.default_rng(7)
    shape = (2, 3, 3, 2)
    z = rng.normal(0, 2, shape)
    labels = rng.integers(0, 3, (2, 3, 2))
    if opts.get("ignore_index") == 255:
        labels[0, 1, 1] = 255
    o = dict(mode="multiclass", **opts)
    x = z
    target = labels
    if form == "soft":
        s = rng.random(shape)
        target = s / s.sum(1, keepdims=True)
    if form == "probs":
        x = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    fn = getattr(ss, name)
    _, grad = fn(x, target, **o, return_grad=True)
    fd = finite_differences(lambda v: fn(v, target, **o), x, h=1e-7 if form == "probs" else 1e-6)
    assert_grad_matches(grad, fd, f"{name} {opts} {form}")


def test_reduction_none_grad_output_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2, (2, 4, 3))
    labels = rng.integers(0, 4, (2, 3))
    w = rng.normal(size=(2, 3))
    for name in ("cross_entropy_loss", "focal_loss"):
        fn = getattr(ss, name)
        values, grad = fn(x, labels, mode="multiclass", reduction="none", return_grad=True, grad_output=w)
        assert values.shape == (2, 3)
        fd = finite_differences(lambda v: float((fn(v, labels, mode="multiclass", reduction="none") * w).sum()), x)
        assert_grad_matches(grad, fd, name)


# ----------------------------------------------------------------------------- golden

@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"].replace(" ", "_") for c in GOLDEN])
def test_golden(case, dtype):
    shape = tuple(case["shape"])
    x = np.asarray(case["input"]).reshape(shape).astype(dtype)
    if case["labels"]:
        t = np.asarray(case["target"], dtype=np.int64).reshape(shape[:1] + shape[2:])
    else:
        t = np.asarray(case["target"]).reshape(shape).astype(dtype)
    go = case.get("grad_output")
    fn = getattr(ss, case["loss"])
    loss, grad = fn(x, t, **case["options"], return_grad=True,
                    grad_output=None if go is None else np.asarray(go, dtype).reshape(np.shape(case["value"])))
    tol = case["tol"] if dtype == np.float64 else max(case["tol"], 2e-6)
    rtol = 1e-9 if dtype == np.float64 else 1e-5
    assert_close(np.ravel(loss), np.ravel(case["value"]), rtol, tol, what=case["name"])
    assert_close(grad.ravel(), case["grad"], rtol, tol, what=case["name"] + " grad")


def test_golden_covers_family():
    names = {c["loss"] for c in GOLDEN}
    assert names >= {"cross_entropy_loss", "focal_loss", "weighted_bce_loss", "balanced_bce_loss", "top_k_ce_loss"}


# ----------------------------------------------------------------------------- bad input

def _mc(**o):
    return dict(mode="multiclass", **o)


@pytest.mark.parametrize("name,x,t,opts,exc,arg", [
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 3]]), {}, ValueError, "target"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(weight=[1.0, 2.0]), ValueError, "weight"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(weight=[1.0, -2.0, 1.0]), ValueError, "weight"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(label_smoothing=2.0), ValueError, "label_smoothing"),
    ("cross_entropy_loss", np.full((1, 3, 2), np.nan), np.array([[0, 1]]), {}, ValueError, "input"),
    ("cross_entropy_loss", np.zeros((1, 3, 2)), np.zeros((1, 2, 2)), {}, ValueError, "target"),
    ("cross_entropy_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", weight=[1.0]), ValueError, "weight"),
    ("cross_entropy_loss", np.zeros((1, 0, 2)), np.zeros((1, 0, 2)), {}, ValueError, "input"),
    ("focal_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(gamma=-1.0), ValueError, "gamma"),
    ("focal_loss", np.zeros((1, 1, 2)), np.array([[0, 1]]), {}, ValueError, "input"),
    ("weighted_bce_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), {}, ValueError, "mode"),
    ("weighted_bce_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", beta=1.0), ValueError, "beta"),
    ("weighted_bce_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", beta=0.5, pos_weight=2.0), ValueError, "pos_weight"),
    ("balanced_bce_loss", np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), dict(mode="binary", beta=0.0), ValueError, "beta"),
    ("balanced_bce_loss", np.zeros((1, 3, 2)), np.zeros((1, 3, 2)), {}, ValueError, "mode"),
    ("top_k_ce_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(k=0.0), ValueError, "k"),
    ("top_k_ce_loss", np.zeros((1, 3, 2)), np.array([[0, 1]]), dict(k=150.0), ValueError, "k"),
    ("top_k_ce_loss", np.zeros((1, 3, 2)), np.array([[0, 9]]), {}, ValueError, "target"),
])
def test_bad_input(name, x, t, opts, exc, arg):
    o = dict(mode="multiclass")
    o.update(opts)
    with pytest.raises(exc, match=arg):
        getattr(ss, name)(x, t, **o)


def test_bad_dtype_and_unknown_option():
    with pytest.raises(TypeError):
        ss.cross_entropy_loss(np.zeros((1, 3, 2), dtype=complex), np.array([[0, 1]]))
    with pytest.raises(TypeError):
        ss.cross_entropy_loss(np.zeros((1, 3, 2)), np.array([[0, 1]]), gamma=2.0)
    with pytest.raises(TypeError):
        ss.CrossEntropyLoss(gamma=2.0)


def test_classes_and_defaults():
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    assert ss.CrossEntropyLoss(label_smoothing=0.1)(x, np.array([[[0]]])) == ss.cross_entropy_loss(
        x, np.array([[[0]]]), label_smoothing=0.1)
    # None means the default (no smoothing): smp's SoftCrossEntropyLoss failed on it (smp #372).
    assert ss.cross_entropy_loss(x, np.array([[[2]]]), label_smoothing=None) == ss.cross_entropy_loss(
        x, np.array([[[2]]])) == pytest.approx(np.log(np.exp([1.0, 2.0, 3.0]).sum()) - 3.0, rel=1e-12)
    assert "cross_entropy_loss" in ss.LOSSES
    # weighted_bce_loss(beta=b) = balanced_bce_loss(beta=b) / (1 - b)
    rng = np.random.default_rng(0)
    z, g = rng.normal(size=(2, 1, 4, 4)), (rng.random((2, 1, 4, 4)) < 0.3).astype(float)
    for b in (0.25, 0.75):
        assert abs(ss.weighted_bce_loss(z, g, beta=b) - ss.balanced_bce_loss(z, g, beta=b) / (1 - b)) < 1e-12
    assert abs(ss.weighted_bce_loss(z, g) - ss.bce_loss(z, g, pos_weight=3.0)) < 1e-12
