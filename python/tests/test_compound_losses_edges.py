"""Invariants and edge cases of the compound family (combo, exp-log, unified focal and its
parts): identities with other losses (symmetric focal = focal, binary = two-class softmax,
label maps = one-hot), extreme logits, all-ignored and empty targets, the class form,
inputs not modified, the value independent of ``return_grad``."""
from __future__ import annotations

import numpy as np
import pytest

import oracles_compound as oc
import semsegloss_swift as ss


def test_symmetric_focal_is_focal_with_alpha_delta(rng):
    x, g = rng.normal(0, 3, (2, 1, 4, 4)), rng.random((2, 1, 4, 4))
    assert ss.symmetric_focal_loss(x, g, delta=0.4, gamma=1.5) == pytest.approx(
        ss.focal_loss(x, g, alpha=0.4, gamma=1.5), rel=1e-12)


@pytest.mark.parametrize("name", oc.FAMILY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_and_perfect_predictions_are_finite(name, dtype):
    g = np.array([1.0, 0, 1, 0, 0, 1]).reshape(1, 1, 2, 3).astype(dtype)
    for x in (np.where(g > 0, 30.0, -30.0), np.where(g > 0, -30.0, 30.0), np.where(g > 0, 200.0, -200.0)):
        loss, grad = getattr(ss, name)(x.astype(dtype), g, return_grad=True)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
    loss, grad = getattr(ss, name)(g.copy(), g, from_logits=False, return_grad=True)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", oc.FAMILY)
def test_all_ignored_is_zero(name):
    x = np.random.default_rng(0).normal(size=(1, 1, 3, 3))
    loss, grad = getattr(ss, name)(x, np.full(x.shape, 255.0), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()


@pytest.mark.parametrize("name", oc.FAMILY)
def test_empty_mask_is_fine(name):
    """MONAI's unified focal raises ValueError when a batch has no foreground."""
    x = np.random.default_rng(1).normal(size=(2, 1, 4, 4))
    loss, grad = getattr(ss, name)(x, np.zeros(x.shape), return_grad=True)
    assert np.isfinite(loss) and loss > 0 and np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", oc.FAMILY)
def test_class_form_and_inputs_not_modified(name, rng):
    x, g = rng.normal(size=(2, 1, 3, 3)).astype(np.float32), (rng.random((2, 1, 3, 3)) < 0.5).astype(np.float32)
    x0, g0 = x.copy(), g.copy()
    cls = ss.LOSS_CLASSES[name]
    assert cls()(x, g, return_grad=True)[0] == getattr(ss, name)(x, g)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("name", ["unified_focal_loss", "asymmetric_focal_loss", "symmetric_focal_loss",
                                  "asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss"])
def test_binary_equals_two_class_softmax(name, rng):
    """UFL's two channels (bg, fg): binary mode with logit z = multiclass with logits (0, z)."""
    z, g = rng.normal(0, 2, (2, 1, 3, 3)), (rng.random((2, 1, 3, 3)) < 0.4) * 1.0
    z2, g2 = np.concatenate([np.zeros_like(z), z], 1), np.concatenate([1 - g, g], 1)
    fn = getattr(ss, name)
    a, ga = fn(z, g, return_grad=True)
    b, gb = fn(z2, g2, mode="multiclass", return_grad=True)
    assert a == pytest.approx(b, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(ga, gb[:, 1:], atol=1e-12)


def test_dice_ce_one_channel_is_not_zero():
    """LanGuideMedSeg#13: a softmax CE over one channel is identically 0; here it is BCE."""
    z, g = np.full((1, 1, 2, 2), -2.0), np.ones((1, 1, 2, 2))
    assert ss.dice_ce_loss(z, g, lambda_dice=0.0) == pytest.approx(ss.bce_loss(z, g), rel=1e-12)


@pytest.mark.parametrize("name", ["asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss"])
def test_multiclass_focal_tversky_labels_equal_one_hot(name, rng):
    x = rng.normal(size=(2, 3, 3, 3))
    labels = rng.integers(0, 3, (2, 3, 3))
    onehot = np.moveaxis(np.eye(3)[labels], -1, 1)
    a, ga = getattr(ss, name)(x, labels, mode="multiclass", return_grad=True)
    b, gb = getattr(ss, name)(x, onehot, mode="multiclass", return_grad=True)
    assert a == pytest.approx(b, rel=1e-12)
    np.testing.assert_allclose(ga, gb, atol=1e-12)


@pytest.mark.parametrize("name", oc.FAMILY + ("dice_bce_loss",))
@pytest.mark.parametrize("shape", [(2, 1, 17, 23), (16, 1, 64, 64), (2, 3, 40, 40)])
def test_value_does_not_depend_on_return_grad(name, shape):
    """The loss is the same number with and without the gradient (the pixel part runs a
    different loop when it adds its gradient to the region part's)."""
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(size=shape).astype(np.float32)
    g = (rng.random(shape) < 0.3).astype(np.float32)
    mode = "binary" if shape[1] == 1 else "multilabel"
    fn = getattr(ss, name)
    assert fn(x, g, mode=mode) == fn(x, g, mode=mode, return_grad=True)[0]
    soft = rng.random(shape).astype(np.float32)
    assert fn(x, soft, mode=mode) == fn(x, soft, mode=mode, return_grad=True)[0]
