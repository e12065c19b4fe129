"""The compound family (combo, exp-log, unified focal and its parts) against reference
values: the NumPy oracles (oracles_compound.py) on random problems (hypothesis), and the
golden file shared with the Swift suite (golden_compound.json, which also holds the hybrid
losses' cases)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_compound as oc
import oracles_hybrid as oh
import semsegloss_swift as ss
from conftest import REPO_ROOT, assert_close
from oracles_compound import REGION
from strategies import include_background, problems, smooth_values

GOLDEN = json.loads((REPO_ROOT / "Tests" / "Fixtures" / "golden_compound.json").read_text())["losses"]
TOL = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 2e-5)}


def own_options(draw, name):
    """Random values of the loss's own parameters."""
    if name == "dice_ce_loss":
        return dict(lambda_dice=draw(st.sampled_from([1.0, 0.3])), lambda_ce=draw(st.sampled_from([1.0, 0.0, 2.0])))
    if name == "dice_focal_loss":
        return dict(alpha=draw(st.sampled_from([None, 0.25])), gamma=draw(st.sampled_from([2.0, 0.5])),
                    lambda_focal=draw(st.sampled_from([1.0, 0.5])))
    if name == "combo_loss":
        return dict(alpha=draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])), beta=draw(st.sampled_from([0.2, 0.5, 0.8])))
    if name == "exp_log_loss":
        return dict(gamma_dice=draw(st.sampled_from([0.3, 1.0, 2.0])), gamma_ce=draw(st.sampled_from([0.3, 1.0])),
                    w_dice=draw(st.sampled_from([0.8, 0.0])), w_ce=draw(st.sampled_from([0.2, 1.0])))
    if name == "unified_focal_loss":
        return dict(variant=draw(st.sampled_from(["asymmetric", "symmetric"])),
                    weight=draw(st.sampled_from([0.0, 0.5, 1.0])), delta=draw(st.sampled_from([0.6, 0.2])),
                    gamma=draw(st.sampled_from([0.0, 0.5, 1.0])))
    if name.endswith("tversky_loss"):
        return dict(delta=draw(st.sampled_from([0.7, 0.5, 0.0])), gamma=draw(st.sampled_from([0.75, 0.0, 0.3])))
    return dict(delta=draw(st.sampled_from([0.7, 0.5, 1.0])), gamma=draw(st.sampled_from([2.0, 0.0, 0.5, 3.3])))


@st.composite
def cases(draw, name):
    pr = draw(problems())
    compound = name in oc.COMPOUND
    reduction = draw(st.sampled_from(["mean", "sum"] if compound else ["mean", "sum", "none"]))
    opts = dict(pr.common(), reduction=reduction, include_background=include_background(draw, pr))
    if name in REGION:
        opts.update(smooth_nr=draw(smooth_values), smooth_dr=draw(smooth_values), batch=draw(st.booleans()),
                    empty=draw(st.sampled_from(["smooth", "skip", "penalize_fp"])))
    opts.update(own_options(draw, name))
    return pr, opts


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", oc.FAMILY)
@given(data=st.data())
def test_matches_oracle(name, dtype, data):
    pr, opts = data.draw(cases(name))
    pr = pr.astype(dtype)
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    want = oc.ORACLES[name](pr.x, pr.g, **opts)
    rtol, atol = TOL[dtype]
    if dtype == np.float32 and name == "exp_log_loss":
        # x^0.3 of -ln p and -ln D near 0 (p, D -> 1) amplifies float32 rounding of tiny
        # logarithms (relative error ~1e-2 of ~1e-7 bases): an absolute slack of 2e-4.
        atol = 2e-4
    if opts["reduction"] == "none":
        assert isinstance(got, np.ndarray) and got.dtype == dtype
    else:
        assert isinstance(got, float)
    assert_close(got, want, rtol, atol, what=f"{name} {opts}")


# ------------------------------------------------------------------ golden file

@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"].replace(" ", "_") for c in GOLDEN])
def test_golden(case, dtype):
    shape = tuple(case["shape"])
    x = np.asarray(case["input"]).reshape(shape).astype(dtype)
    g = np.asarray(case["target"]).reshape(shape).astype(dtype)
    go = case.get("grad_output")
    opts = dict(case["options"])
    if go is not None:
        go = np.asarray(go, dtype=dtype).reshape(ss.LOSSES[case["loss"]](x, g, **opts).shape)
    loss, grad = ss.LOSSES[case["loss"]](x, g, return_grad=True, grad_output=go, **opts)
    rtol, atol = (1e-9, case["tol"]) if dtype == np.float64 else (1e-5, 5e-6)
    assert_close(np.ravel(loss), np.ravel(case["value"]), rtol, atol, what=case["name"])
    assert grad.dtype == dtype and grad.shape == shape
    assert_close(grad.ravel(), case["grad"], rtol, atol, what=case["name"] + " grad")


def test_golden_covers_family():
    assert {c["loss"] for c in GOLDEN} == set(oc.FAMILY) | set(oh.HYBRIDS) | set(oh.DISTANCE_HYBRIDS)
