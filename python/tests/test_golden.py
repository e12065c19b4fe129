"""Every case of Tests/Fixtures/golden.json (shared with the Swift suite) through the public
Python API, in float64 and float32: loss values, gradients, metric values and counts."""
from __future__ import annotations

import math

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import DISTANCE_LOSSES, LOVASZ_LOSSES, SURFACE_METRIC_NAMES, assert_close, golden_arrays, golden_options

# float32: the golden tolerance plus a relative 1e-5 (and a small absolute slack for
# gradients of order 1e-4 computed from float32 sigmoids).
F32_RTOL = 1e-5
F32_ATOL = 2e-6


def _tolerances(case, dtype):
    tol = float(case["tol"])
    if dtype == np.float64:
        # tol is absolute (hand values carry 6 decimals); add a relative part for sums.
        return 1e-9, tol
    return F32_RTOL, tol + F32_ATOL


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_golden_loss_value_and_grad(golden_loss_case, dtype):
    case = golden_loss_case
    x, g = golden_arrays(case, dtype)
    fn = getattr(ss, case["loss"])
    opts = golden_options(case)
    loss, grad = fn(x, g, **opts, return_grad=True)
    rtol, atol = _tolerances(case, dtype)

    want = case["value"]
    if isinstance(want, list):
        assert isinstance(loss, np.ndarray)
        assert loss.dtype == dtype
        assert_close(loss.ravel(), want, rtol, atol, what=f"{case['name']} value")
    else:
        assert isinstance(loss, float)
        assert_close(loss, want, rtol, atol, what=f"{case['name']} value")

    assert isinstance(grad, np.ndarray)
    assert grad.shape == x.shape and grad.dtype == dtype
    assert_close(grad.ravel(), case["grad"], rtol, atol, what=f"{case['name']} grad")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_golden_loss_value_without_grad_matches(golden_loss_case, dtype):
    """return_grad=False returns the same value as return_grad=True."""
    case = golden_loss_case
    x, g = golden_arrays(case, dtype)
    fn = getattr(ss, case["loss"])
    opts = golden_options(case)
    plain = fn(x, g, **opts)
    with_grad, _ = fn(x, g, **opts, return_grad=True)
    np.testing.assert_array_equal(np.asarray(plain), np.asarray(with_grad))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_golden_loss_class_form(golden_loss_case, dtype):
    case = golden_loss_case
    x, g = golden_arrays(case, dtype)
    fn = getattr(ss, case["loss"])
    cls = ss.LOSS_CLASSES[case["loss"]]
    opts = golden_options(case)
    a, ga = fn(x, g, **opts, return_grad=True)
    b, gb = cls(**opts)(x, g, return_grad=True)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(ga, gb)


def _metric(case):
    name = case["name"]
    return getattr(ss.metrics, name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_golden_metric_values(golden_metric_case, dtype):
    case = golden_metric_case
    x, g = golden_arrays(case, dtype)
    fn = _metric(case)
    opts = golden_options(case)
    values = fn(x, g, **opts, reduction="none")
    assert isinstance(values, np.ndarray)
    assert values.shape == (case["shape"][0], case["shape"][1])
    assert_close(values.ravel(), case["values"], 1e-12, 1e-12, what=f"{case['name']} values")
    mean = fn(x, g, **opts)
    assert isinstance(mean, float)
    assert_close(mean, case["value"], 1e-12, 1e-12, what=f"{case['name']} mean")
    total = fn(x, g, **opts, reduction="sum")
    assert_close(total, math.fsum(v for v in case["values"] if not math.isnan(v)), 1e-12, 1e-12,
                 what=f"{case['name']} sum")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_golden_metric_counts(golden_metric_case, dtype):
    case = golden_metric_case
    x, g = golden_arrays(case, dtype)
    counts = ss.metrics.confusion_counts(x, g)
    assert counts.dtype == np.int64
    assert counts.shape == (case["shape"][0], case["shape"][1], 4)
    assert counts.tolist() == case["counts"]
    pooled = ss.metrics.confusion_counts(x, g, batch=True)
    assert pooled.tolist() == np.asarray(case["counts"]).sum(axis=0).tolist()


def test_golden_metric_batch_pools_counts(golden_metric_case):
    """batch=True evaluates the metric on the counts summed over the batch."""
    case = golden_metric_case
    x, g = golden_arrays(case, np.float64)
    fn = _metric(case)
    opts = golden_options(case)
    tp, fp, fn_, tn = np.asarray(case["counts"], dtype=np.float64).sum(axis=(0, 1))
    beta2 = opts.get("beta", 1.0) ** 2
    want = {
        "iou": tp / (tp + fp + fn_), "dice_score": 2 * tp / (2 * tp + fp + fn_),
        "precision": tp / (tp + fp), "recall": tp / (tp + fn_), "specificity": tn / (tn + fp),
        "accuracy": (tp + tn) / (tp + fp + fn_ + tn),
        "f_beta": (1 + beta2) * tp / ((1 + beta2) * tp + beta2 * fn_ + fp),
        "mcc": (tp * tn - fp * fn_) / math.sqrt((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)),
    }[case["name"]]
    values = fn(x, g, **opts, batch=True, reduction="none")
    assert values.shape == (case["shape"][1],)
    assert_close(values, [want], 1e-12, 1e-12, what=case["name"])


def test_golden_file_covers_every_loss_and_metric(golden):
    # The Lovász family has its own file, golden_lovasz.json (test_lovasz_golden.py).
    assert {c["loss"] for c in golden["losses"]} == set(ss.LOSSES) - set(DISTANCE_LOSSES) - set(LOVASZ_LOSSES)
    assert {c["name"] for c in golden["metrics"]} == set(ss.metrics.METRICS) - set(SURFACE_METRIC_NAMES)
