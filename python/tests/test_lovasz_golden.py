"""Tests/Fixtures/golden_lovasz.json (shared with the Swift suite, LovaszGoldenTests):
Lovász hinge, Lovász-softmax and SSIM values and gradients in float64 and float32."""
from __future__ import annotations

import json

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import REPO_ROOT, assert_close, golden_arrays, golden_options

with open(REPO_ROOT / "Tests" / "Fixtures" / "golden_lovasz.json") as f:
    CASES = json.load(f)["losses"]


def test_fixture_covers_the_family():
    assert {c["loss"] for c in CASES} == {"lovasz_hinge_loss", "lovasz_softmax_loss", "ssim_loss"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"].replace(" ", "_") for c in CASES])
def test_golden(case, dtype):
    x, g = golden_arrays(case, dtype)
    loss, grad = getattr(ss, case["loss"])(x, g, **golden_options(case), return_grad=True)
    rtol, atol = (1e-9, case["tol"]) if dtype == np.float64 else (2e-5, 2e-5)
    want = case["value"]
    if isinstance(want, list):
        assert isinstance(loss, np.ndarray) and loss.dtype == dtype
        assert_close(loss.ravel(), want, rtol, atol, what="value")
    else:
        assert isinstance(loss, float)
        assert_close(loss, want, rtol, atol, what="value")
    assert grad.shape == x.shape and grad.dtype == dtype
    assert_close(grad.ravel(), case["grad"], rtol, atol, what="grad")
