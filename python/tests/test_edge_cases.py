"""Edge cases through Python for every loss (and the metrics): empty and full masks, all
pixels ignored, 1x1 and odd-sized images, saturated logits of +-30. (The hand-typed
reference values of the Swift suite are checked in test_golden.py.)"""
from __future__ import annotations

import numpy as np
import pytest

import oracles
import semsegloss_swift as ss
from conftest import ALL_LOSSES, METRIC_NAMES, PIXEL_LOSSES, REGION_LOSSES, assert_close

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
NEAR_ZERO = 1e-5  # focal Tversky bottoms out at floor^gamma = (1e-7)^0.75 ~ 5.6e-6


def run(name, x, g, **opts):
    loss, grad = getattr(ss, name)(x, g, return_grad=True, **opts)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    assert np.all(np.isfinite(grad)), f"{name}: non-finite gradient"
    assert np.all(np.isfinite(loss)), f"{name}: non-finite loss"
    return loss, grad


@DTYPES
@pytest.mark.parametrize("name", ALL_LOSSES)
def test_empty_target_empty_prediction(name, dtype):
    shape = (2, 1, 4, 4)
    g = np.zeros(shape, dtype)
    loss, _ = run(name, np.zeros(shape, dtype), g, from_logits=False)
    assert 0.0 <= loss < NEAR_ZERO  # BCE: -log(1 - 1e-7) ~ 1e-7 from the clamp
    loss, _ = run(name, np.full(shape, -30, dtype), g)
    assert 0.0 <= loss < NEAR_ZERO


@DTYPES
@pytest.mark.parametrize("name", REGION_LOSSES)
def test_empty_target_with_prediction_smooth_policy(name, dtype):
    """Docstring: loss ~1 with ~0 gradient once anything is predicted (default smoothing)."""
    shape = (1, 1, 4, 4)
    x = np.full(shape, 0.5, dtype)
    loss, grad = run(name, x, np.zeros(shape, dtype), from_logits=False)
    assert loss == pytest.approx(1.0, abs=1e-4)
    assert np.abs(grad).max() < 1e-5


@pytest.mark.parametrize("name", REGION_LOSSES)
def test_empty_target_skip_policy(name):
    shape = (3, 1, 3, 3)
    rng = np.random.default_rng(2)
    x = rng.uniform(0.1, 0.9, shape)
    g = (rng.random(shape) < 0.5).astype(np.float64)
    g[1] = 0.0
    values = getattr(ss, name)(x, g, from_logits=False, empty="skip", reduction="none")
    assert np.isnan(values[1, 0]) and not np.isnan(values[[0, 2], 0]).any()
    loss, grad = run(name, x, g, from_logits=False, empty="skip")
    assert loss == pytest.approx(np.mean(values[[0, 2], 0]), rel=1e-12)
    assert np.all(grad[1] == 0)
    # Every entry empty: nothing to average, loss 0 and no gradient.
    loss, grad = run(name, x, np.zeros(shape), from_logits=False, empty="skip")
    assert loss == 0.0 and np.all(grad == 0)
    assert np.isnan(getattr(ss, name)(x, np.zeros(shape), from_logits=False, empty="skip",
                                      reduction="none")).all()


@DTYPES
@pytest.mark.parametrize("name", ALL_LOSSES)
def test_full_masks_confidently_correct(name, dtype):
    shape = (2, 1, 3, 5)
    g = np.ones(shape, dtype)
    loss, _ = run(name, np.ones(shape, dtype), g, from_logits=False)
    assert 0.0 <= loss < NEAR_ZERO
    loss, grad = run(name, np.full(shape, 30, dtype), g)
    assert 0.0 <= loss < NEAR_ZERO
    assert np.abs(grad).max() < 1e-5


@DTYPES
@pytest.mark.parametrize("name", ALL_LOSSES)
def test_saturated_logits(name, dtype):
    rng = np.random.default_rng(3)
    shape = (2, 2, 3, 5)
    g = (rng.random(shape) < 0.5).astype(dtype)
    right = np.where(g > 0, 30, -30).astype(dtype)
    loss, grad = run(name, right, g, mode="multilabel")
    assert 0.0 <= loss < NEAR_ZERO
    assert np.abs(grad).max() < 1e-5
    wrong = -right
    loss, grad = run(name, wrong, g, mode="multilabel")
    assert loss > (10.0 if name in PIXEL_LOSSES else 0.9)
    # Mixed: saturated and moderate logits stay finite and agree with the oracle.
    mixed = np.where(rng.random(shape) < 0.5, wrong, rng.normal(0, 1, shape)).astype(dtype)
    loss, _ = run(name, mixed, g, mode="multilabel")
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-5, 1e-5)
    assert_close(loss, oracles.LOSSES[name](mixed, g, mode="multilabel"), rtol, atol, what=name)


@DTYPES
@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_all_pixels_ignored(name, dtype, reduction):
    if name == "dice_bce_loss" and reduction == "none":
        reduction = "sum"  # 'none' is refused for the compound loss (test_bad_input)
    shape = (2, 2, 3, 4)
    x = np.random.default_rng(4).normal(size=shape).astype(dtype)
    g = np.full(shape, 255, dtype)
    loss, grad = run(name, x, g, mode="multilabel", ignore_index=255, reduction=reduction)
    assert np.all(np.asarray(loss) == 0)
    assert np.all(grad == 0)


@pytest.mark.parametrize("name", REGION_LOSSES)
def test_fully_ignored_image_leaves_the_mean(name):
    rng = np.random.default_rng(5)
    shape = (3, 1, 3, 4)
    x = rng.normal(size=shape)
    g = (rng.random(shape) < 0.5).astype(np.float64)
    g[1] = -1.0
    fn = getattr(ss, name)
    values = fn(x, g, ignore_index=-1, reduction="none")
    assert values[1, 0] == 0.0
    loss, grad = run(name, x, g, ignore_index=-1)
    assert loss == pytest.approx((values[0, 0] + values[2, 0]) / 2, rel=1e-12)
    assert np.all(grad[1] == 0)


def test_every_loss_with_entries_documents_the_fully_ignored_image():
    """Every catalogue loss with one value per image (and class) under reduction="none":
    a fully ignored image is 0 there but left out of "mean" (so the mean of the "none"
    values is not the "mean" value), and its docstring says so."""
    rng = np.random.default_rng(6)
    binary = (rng.normal(size=(3, 1, 8, 8)), (rng.random((3, 1, 8, 8)) < 0.5).astype(np.float64), "binary")
    labels = rng.integers(0, 3, (3, 8, 8))
    multiclass = (rng.normal(size=(3, 3, 8, 8)), labels, "multiclass")
    checked = []
    for name, fn in ss.LOSSES.items():
        for x, g, mode in (binary, multiclass):
            g = g.copy()
            g[1] = -1
            try:
                values = np.asarray(fn(x, g, mode=mode, ignore_index=-1, reduction="none"))
            except (ValueError, TypeError):  # the mode, ignore_index or 'none' is refused
                continue
            if values.shape == x.shape or values.shape[:1] != (3,):
                break  # one value per voxel, or per class pooled over the batch
            assert np.all(values[1] == 0), name
            mean = fn(x, g, mode=mode, ignore_index=-1)
            assert mean == pytest.approx(np.mean(values[[0, 2]]), rel=1e-12), name
            assert mean != pytest.approx(np.mean(values), rel=1e-3), name
            assert "an entry whose voxels are all ignored is left out of" in " ".join(fn.__doc__.split()), name
            checked.append(name)
            break
    assert {"dice_loss", "generalized_dice_loss", "mcc_loss", "lovasz_hinge_loss"} <= set(checked), checked


@DTYPES
@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("shape", [(2, 1, 1, 1), (1, 1, 1), (2, 1, 3, 5), (1, 1, 5, 3), (1, 1, 1, 1, 1),
                                   (3, 1, 3, 5, 7)])
def test_small_and_odd_sizes(name, dtype, shape):
    rng = np.random.default_rng(6)
    x = rng.normal(0, 2, shape).astype(dtype)
    g = (rng.random(shape) < 0.5).astype(dtype)
    loss, grad = run(name, x, g)
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-5, 1e-5)
    assert_close(loss, oracles.LOSSES[name](x, g), rtol, atol, what=f"{name} {shape}")


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metric_empty_policies(name):
    shape = (2, 1, 3, 3)
    p, g = np.zeros(shape), np.zeros(shape)
    values = getattr(ss.metrics, name)(p, g, reduction="none")
    # Empty prediction on empty target: TP = FP = FN = 0, TN > 0.
    nan_expected = name in ("iou", "dice_score", "precision", "recall", "f_beta", "mcc")
    assert np.isnan(values).all() == nan_expected
    if nan_expected:
        assert np.isnan(getattr(ss.metrics, name)(p, g))  # a mean of only NaN is NaN
        assert getattr(ss.metrics, name)(p, g, empty="one") == 1.0
        assert getattr(ss.metrics, name)(p, g, empty="zero") == 0.0
    else:
        assert getattr(ss.metrics, name)(p, g) == 1.0


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metric_all_ignored_and_full_masks(name):
    shape = (1, 1, 2, 3)
    fn = getattr(ss.metrics, name)
    assert np.isnan(fn(np.ones(shape), np.full(shape, 255.0), ignore_index=255))
    assert ss.metrics.confusion_counts(np.ones(shape), np.full(shape, 255.0), ignore_index=255).sum() == 0
    full = fn(np.ones(shape), np.ones(shape), reduction="none")
    if name in ("specificity", "mcc"):
        assert np.isnan(full).all()  # no negatives: TN + FP = 0
    else:
        assert np.all(full == 1.0)


def test_metric_threshold_is_inclusive():
    p = np.array([0.5, 0.49999, 0.7, 0.2]).reshape(1, 1, 2, 2)
    g = np.array([1.0, 1.0, 0.0, 0.0]).reshape(1, 1, 2, 2)
    assert ss.metrics.confusion_counts(p, g).tolist() == [[[1, 1, 1, 1]]]
    z = np.array([0.0, -1e-9, 1.0, -2.0]).reshape(1, 1, 2, 2)  # sigmoid(0) = 0.5
    assert ss.metrics.confusion_counts(z, g, from_logits=True).tolist() == [[[1, 1, 1, 1]]]
    soft = np.array([0.5, 0.49, 0.0, 1.0]).reshape(1, 1, 2, 2)  # targets binarised at 0.5
    assert ss.metrics.confusion_counts(np.ones_like(soft), soft).tolist() == [[[2, 2, 0, 0]]]
