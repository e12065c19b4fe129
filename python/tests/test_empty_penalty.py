"""empty="penalize_fp": an (image, class) entry whose target is empty counts with the
false-positive penalty P / (P + 1), P = sum p over the entry, whatever the loss's formula;
entries with a target keep it. Hand values, NumPy oracles (value and gradient), central
differences, multiclass label maps, the losses that refuse it, and untouched inputs."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import oracles_region as orr
import semsegloss_swift as ss
from conftest import numeric_grad, raises_naming

#: Every loss with an ``empty`` option that accepts the penalty.
PENALIZED = sorted(n for n, f in ss.LOSSES.items()
                   if "empty" in inspect.signature(f).parameters and n != "sensitivity_specificity_loss")
#: Losses that are a region term alone (the penalty is then their whole value on an empty target).
REGION_ONLY = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "log_cosh_dice_loss",
               "mcc_loss", "asymmetric_similarity_loss", "log_dice_loss", "generalized_dice_loss",
               "penalty_generalized_dice_loss", "distance_weighted_dice_loss",
               "asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss"]


def test_every_region_option_family_takes_it():
    assert len(PENALIZED) == 25
    assert set(REGION_ONLY) <= set(PENALIZED)


@pytest.mark.parametrize("name", REGION_ONLY)
def test_hand_value(name):
    # P = 0.5 + 0.5 = 1 on an empty target: loss 1/2, d/dp_i = 1/(1 + 1)^2 = 1/4.
    p = np.array([0.5, 0.5, 0.0, 0.0]).reshape(1, 1, 2, 2)
    g = np.zeros_like(p)
    value, grad = getattr(ss, name)(p, g, from_logits=False, empty="penalize_fp", return_grad=True)
    assert value == pytest.approx(0.5, abs=1e-12)
    np.testing.assert_allclose(grad, np.full(p.shape, 0.25), atol=1e-12)
    # Nothing predicted on an empty target costs nothing (and the slope is 1).
    value, grad = getattr(ss, name)(np.zeros_like(p), g, from_logits=False, empty="penalize_fp", return_grad=True)
    assert value == 0.0
    np.testing.assert_allclose(grad, np.ones(p.shape), atol=1e-12)


def test_squared_pred_hand_value():
    # P = sum p^2 = 0.5: loss 1/3, d/dp_i = 2 p_i / 1.5^2.
    p = np.array([0.5, 0.5, 0.0, 0.0]).reshape(1, 1, 2, 2)
    value, grad = ss.dice_loss(p, np.zeros_like(p), from_logits=False, squared_pred=True, empty="penalize_fp",
                               return_grad=True)
    assert value == pytest.approx(1 / 3, abs=1e-12)
    np.testing.assert_allclose(grad.ravel(), [4 / 9, 4 / 9, 0, 0], atol=1e-12)


def problem(seed, shape=(3, 2, 4, 5)):
    """Logits and a binary target with image 0 / its last channel and image 2 (all channels) empty."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, shape)
    g = (rng.random(shape) < 0.4).astype(np.float64)
    g[0, -1] = 0
    g[2] = 0
    return x, g


ORACLES = ["dice_loss", "jaccard_loss", "tversky_loss", "log_cosh_dice_loss", "log_dice_loss",
           "asymmetric_similarity_loss", "mcc_loss", "generalized_dice_loss"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ORACLES)
def test_matches_oracle(name, reduction):
    x, g = problem(5)
    oracle = orr.SOFT_LABEL_LOSSES.get(name) or orr.LOSSES[name]
    opts = dict(mode="multilabel", reduction=reduction, empty="penalize_fp")
    upstream = None
    if reduction == "none":
        shape = getattr(ss, name)(x, g, **opts).shape
        upstream = np.random.default_rng(6).normal(size=shape)
    value, grad = getattr(ss, name)(x, g, return_grad=True, grad_output=upstream, **opts)
    want_value, want_grad = oracle(x, g, return_grad=True, grad_output=upstream, **opts)
    np.testing.assert_allclose(value, want_value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12)


#: Images large enough for the 11-voxel SSIM window of the hybrid losses.
SSIM_HYBRIDS = ("unet3p_hybrid_loss", "basnet_hybrid_loss")
#: Karimi & Salcudean's balance weight lam = HD/Dice is held constant in the gradient
#: ("detached"): the value is 2 HD and the gradient is not its derivative. The penalty
#: changes the Dice part, hence lam and the gradient.
DETACHED = ("dice_hausdorff_dt_loss",)


@pytest.mark.parametrize("name", PENALIZED)
def test_central_differences(name):
    x, g = problem(7, shape=(3, 1, 11, 11) if name in SSIM_HYBRIDS else (3, 1, 3, 4))
    fn = getattr(ss, name)
    if name in DETACHED:
        assert not np.allclose(fn(x, g, empty="penalize_fp", return_grad=True)[1], fn(x, g, return_grad=True)[1])
        return
    value, grad = fn(x, g, empty="penalize_fp", return_grad=True)
    fd = numeric_grad(lambda v: fn(v, g, empty="penalize_fp"), x)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)
    # The empty image is charged differently from the default smoothing.
    assert value != fn(x, g)


def test_multiclass_absent_class():
    rng = np.random.default_rng(8)
    x = rng.normal(0, 2, (2, 3, 4, 4))
    labels = rng.integers(0, 2, (2, 4, 4))  # class 2 absent everywhere
    values = ss.dice_loss(x, labels, mode="multiclass", empty="penalize_fp", reduction="none")
    e = np.exp(x - x.max(1, keepdims=True))
    p = (e / e.sum(1, keepdims=True))[:, 2].sum(axis=(1, 2))
    np.testing.assert_allclose(values[:, 2], p / (p + 1), rtol=1e-12)
    np.testing.assert_allclose(values[:, :2], ss.dice_loss(x, labels, mode="multiclass", reduction="none")[:, :2])
    fn = lambda v: ss.dice_loss(v, labels, mode="multiclass", empty="penalize_fp")  # noqa: E731
    _, grad = ss.dice_loss(x, labels, mode="multiclass", empty="penalize_fp", return_grad=True)
    np.testing.assert_allclose(grad, numeric_grad(fn, x), rtol=1e-5, atol=1e-8)


def test_compound_is_sum_of_parts():
    x, g = problem(9, shape=(3, 1, 8, 8))
    both = ss.dice_bce_loss(x, g, empty="penalize_fp")
    parts = ss.dice_loss(x, g, empty="penalize_fp") + ss.bce_loss(x, g)
    assert both == pytest.approx(parts, rel=1e-12)


def test_edges_float32_and_ignored():
    x = np.where(np.arange(15) % 2 == 0, 30.0, -30.0).reshape(1, 1, 3, 5).astype(np.float32)
    value, grad = ss.dice_loss(x, np.zeros_like(x), empty="penalize_fp", return_grad=True)
    assert value == pytest.approx(8 / 9, rel=1e-6) and np.all(np.isfinite(grad))
    g = np.full((1, 1, 2, 2), 255.0)
    value, grad = ss.dice_loss(np.ones((1, 1, 2, 2)), g, ignore_index=255, empty="penalize_fp", return_grad=True)
    assert value == 0.0 and not grad.any()


def test_inputs_not_modified():
    x, g = problem(10)
    x0, g0 = x.copy(), g.copy()
    ss.tversky_loss(x, g, empty="penalize_fp", return_grad=True, mode="multilabel")
    assert np.array_equal(x, x0) and np.array_equal(g, g0)


def test_refusals_name_the_option():
    x, g = problem(11)
    raises_naming(ValueError, ss.sensitivity_specificity_loss, x, g, mode="multilabel", empty="penalize_fp",
                  names=["empty", "penalize_fp", "specificity"])
    raises_naming(ValueError, ss.dice_loss, x, g, mode="multilabel", empty="penalise", names=["empty", "penalize_fp"])


def test_soft_mask_weighs_the_penalty():
    # P = sum m p = 0.5 + 0.25 + 0.25 = 1: loss 1/2, gradient m_i / (P + 1)^2.
    p = np.array([0.5, 0.5, 0.25, 0.0]).reshape(1, 1, 2, 2)
    m = np.array([1.0, 0.5, 1.0, 1.0]).reshape(1, 1, 2, 2)
    value, grad = ss.masked_dice_loss(p, np.zeros_like(p), m, from_logits=False, empty="penalize_fp",
                                      return_grad=True)
    assert value == pytest.approx(0.5, abs=1e-12)
    np.testing.assert_allclose(grad, m / 4, atol=1e-12)
