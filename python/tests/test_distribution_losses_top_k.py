"""Top-k cross-entropy (top_k_ce_loss) against its NumPy oracle (oracles_distribution.py):
random multiclass and binary problems (hypothesis), float32 values, and large binary
batches through the sampled-band and one-pass paths."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_distribution as od
import semsegloss_swift as ss
from conftest import assert_close
from distribution_cases import _compare, binary_cases, categorical_problems


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
