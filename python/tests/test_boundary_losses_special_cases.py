"""Distance-map losses in special cases: empty, full and all-ignored targets, one-pixel and
border objects with confident logits (against the oracle of oracles_boundary.py), and simple
identities (boundary loss negative at the optimum, log HD = log1p HD, the loss classes)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import DISTANCE_LOSSES
from oracles_boundary import RNG, blob_data, oracle


# ---------------------------------------------------------------- edge cases

@pytest.mark.parametrize("name", DISTANCE_LOSSES)
def test_empty_full_and_all_ignored(name):
    fn = getattr(ss, name)
    for x, g in ((np.full((1, 1, 4, 5), -3.0), np.zeros((1, 1, 4, 5))), (np.full((1, 1, 4, 5), 3.0), np.ones((1, 1, 4, 5)))):
        value, grad = fn(x, g, return_grad=True)
        want, want_grad = oracle(name, x, g)
        assert value == pytest.approx(want, abs=1e-12)
        np.testing.assert_allclose(grad, want_grad, atol=1e-12)
    x = RNG.normal(size=(1, 1, 3, 3))
    value, grad = fn(x, np.full(x.shape, 255.0), ignore_index=255, return_grad=True)
    assert value == 0.0 and not grad.any()


@pytest.mark.parametrize("name", DISTANCE_LOSSES)
def test_one_pixel_object_border_and_confident_logits(name):
    fn = getattr(ss, name)
    g = np.zeros((1, 1, 9, 9)); g[0, 0, 4, 4] = 1
    g2 = np.zeros((1, 1, 9, 9)); g2[0, 0, :, :3] = 1  # touches the border
    for target in (g, g2):
        for scale in (30.0, -30.0, 1.0):
            x = scale * (2 * target - 1)
            value, grad = fn(x, target, return_grad=True)
            want, want_grad = oracle(name, x, target)
            assert np.isfinite(value) and np.isfinite(grad).all()
            assert value == pytest.approx(want, rel=1e-10, abs=1e-12)
            # The erosion loss at ±30: (p - g)^2 is 1 - O(1e-13) on many voxels, so which one
            # is the row's maximum depends on the summation order (gradients ~1e-13 either way).
            atol = 1e-11 if name == "hausdorff_er_loss" else 1e-14
            np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=atol)
            v32 = fn(x.astype(np.float32), target.astype(np.float32))
            assert np.isfinite(v32)


def test_boundary_loss_is_negative_at_the_optimum():
    g = np.zeros((1, 1, 12, 12)); g[0, 0, 2:10, 3:9] = 1
    assert ss.boundary_loss(g, g, from_logits=False) < 0
    assert ss.boundary_loss(g, g, from_logits=False) < ss.boundary_loss(0.5 * np.ones_like(g), g, from_logits=False)


def test_log_hausdorff_is_log1p_of_hausdorff():
    x, g = blob_data((2, 1, 16, 16))
    a, ga = ss.hausdorff_dt_loss(x, g, return_grad=True)
    b, gb = ss.log_hausdorff_dt_loss(x, g, return_grad=True)
    assert b == pytest.approx(np.log1p(a), rel=1e-12)
    np.testing.assert_allclose(gb, ga / (1 + a), rtol=1e-12)


def test_classes_and_monai_style_mean():
    x, g = blob_data((2, 1, 10, 10))
    assert ss.HausdorffDTLoss(alpha=1.0)(x, g) == ss.hausdorff_dt_loss(x, g, alpha=1.0)
    assert ss.ShapeAwareLoss(shape_weight=0.5)(x, g) == ss.shape_aware_loss(x, g, shape_weight=0.5)
    assert ss.LOSS_CLASSES["distance_penalized_ce_loss"] is ss.DistancePenalizedCELoss
    assert ss.LOSS_CLASSES["log_hausdorff_dt_loss"] is ss.LogHausdorffDTLoss
    assert ss.BoundaryLoss()(x, g) == ss.boundary_loss(x, g)
