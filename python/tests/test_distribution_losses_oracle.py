"""Distribution family (weighted/balanced BCE, cross-entropy, softmax focal) against
reference values: NumPy oracles on random problems (hypothesis, oracles_distribution.py),
and the golden file shared with Swift (golden_distribution.json, top-k CE included)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_distribution as od
import semsegloss_swift as ss
from conftest import REPO_ROOT, assert_close
from distribution_cases import _compare, binary_cases, ce_cases, focal_cases

GOLDEN = json.loads((REPO_ROOT / "Tests" / "Fixtures" / "golden_distribution.json").read_text())["losses"]


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
