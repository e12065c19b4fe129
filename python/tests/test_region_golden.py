"""The region family's golden file (Tests/Fixtures/golden_region.json, written by
make_golden_region.py), also read by the Swift suite (RegionFamilyGoldenTests.swift)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import REPO_ROOT, assert_close

CASES = json.loads((REPO_ROOT / "Tests" / "Fixtures" / "golden_region.json").read_text())["losses"]


def test_fixture_covers_the_family():
    assert {c["loss"] for c in CASES} == set(ss.losses_region.__all__)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"].replace(" ", "_") for c in CASES])
def test_golden_value_and_gradient(case, dtype):
    shape = tuple(case["shape"])
    x = np.asarray(case["input"], dtype=np.float64).reshape(shape).astype(dtype)
    g = np.asarray(case["target"], dtype=np.float64).reshape(shape).astype(dtype)
    tol = case["tol"] if dtype == np.float64 else max(case["tol"], 2e-5)
    value, grad = ss.LOSSES[case["loss"]](x, g, return_grad=True, **case["options"])
    assert_close(np.ravel(value), np.ravel(case["value"]), tol, tol, what=case["name"])
    assert_close(grad, np.asarray(case["grad"]).reshape(shape), 0.0, tol, what=case["name"] + " gradient")
