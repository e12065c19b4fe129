"""Random problems and the oracle comparison shared by the distribution-family tests
(test_distribution_losses_*.py): hypothesis strategies for multiclass problems (label maps,
one-hot or soft dense targets), cross-entropy, softmax focal and binary/multilabel cases,
the tolerances, and ``_compare`` (value and gradient against an oracle of
oracles_distribution.py, inputs not modified)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import oracles_distribution as od
import semsegloss_swift as ss
from conftest import assert_close

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
