"""The compounds with a distance-map part, Dice + boundary (dice_boundary_loss) and Dice +
Hausdorff-DT (dice_hausdorff_dt_loss): NumPy oracles on random problems (oracles_hybrid.py),
finite-difference gradients (the Hausdorff weight held at the input), edge cases, bad
input, the class form and inputs not modified."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_hybrid as oh
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming
from hybrid_cases import FAMILIES, TOL
from strategies import include_background, problems, smooth_values


@st.composite
def distance_cases(draw, name):
    pr = draw(problems(max_side=6))
    opts = dict(pr.common(), reduction=draw(st.sampled_from(["mean", "sum"])),
                include_background=include_background(draw, pr), smooth_nr=draw(smooth_values),
                smooth_dr=draw(smooth_values), batch=draw(st.booleans()),
                empty=draw(st.sampled_from(["smooth", "skip", "penalize_fp"])))
    if name == "dice_boundary_loss":
        opts.update(generalized=draw(st.booleans()), lambda_dice=draw(st.sampled_from([1.0, 0.5, 0.0])),
                    lambda_boundary=draw(st.sampled_from([0.01, 1.0, 0.0])))
        if opts["generalized"]:
            opts["weight_type"] = draw(st.sampled_from(["square", "simple", "uniform"]))
    else:
        opts["alpha"] = draw(st.sampled_from([2.0, 1.0, 0.5]))
    return pr, opts


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", oh.DISTANCE_HYBRIDS)
@given(data=st.data())
def test_distance_compounds_match_oracle(name, dtype, data):
    pr, opts = data.draw(distance_cases(name))
    pr = pr.astype(dtype)
    if pr.from_logits and np.any(np.abs(pr.x) < 1e-6):
        return  # the thresholded prediction map is ambiguous at p = 0.5
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    assert_close(got, oh.ORACLES[name](pr.x, pr.g, **opts), *TOL[dtype], what=f"{name} {opts}")


DISTANCE_FAMILIES = {k: v for k, v in FAMILIES.items() if "3-D" not in k}


@pytest.mark.parametrize("family", list(DISTANCE_FAMILIES))
def test_dice_boundary_gradient(family, rng):
    shape, opts = DISTANCE_FAMILIES[family]
    opts = dict(opts, lambda_boundary=0.5)
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = (rng.integers(0, shape[1], (shape[0],) + shape[2:]) if opts.get("mode") == "multiclass"
         else (rng.random(shape) < 0.5).astype(np.float64))
    if "ignore_index" in opts:
        g.flat[[1, 4, 7]] = 255
    _, grad = ss.dice_boundary_loss(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: ss.dice_boundary_loss(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=family)


@pytest.mark.parametrize("family", list(DISTANCE_FAMILIES))
def test_dice_hausdorff_gradient_holds_the_weight(family, rng):
    """The gradient is that of lam * Dice + HD with lam = HD/Dice held at the input."""
    shape, opts = DISTANCE_FAMILIES[family]
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = (rng.integers(0, shape[1], (shape[0],) + shape[2:]) if opts.get("mode") == "multiclass"
         else (rng.random(shape) < 0.5).astype(np.float64))
    if "ignore_index" in opts:
        g.flat[[1, 4, 7]] = 255
    value, grad = ss.dice_hausdorff_dt_loss(x, g, return_grad=True, **opts)
    dice, hd = ss.dice_loss(x, g, **opts), ss.hausdorff_dt_loss(x, g, **opts)
    lam = hd / dice
    assert value == pytest.approx(2 * hd, rel=1e-12)
    numeric = numeric_grad(lambda xs: lam * ss.dice_loss(xs, g, **opts) + ss.hausdorff_dt_loss(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=family)


@pytest.mark.parametrize("name", oh.DISTANCE_HYBRIDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distance_compounds_edges(name, dtype):
    for g in (np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.eye(3).reshape(1, 1, 3, 3)):
        g = g.astype(dtype)
        for x in (np.where(g > 0, 30.0, -30.0), np.where(g > 0, -30.0, 30.0), np.full(g.shape, 200.0)):
            loss, grad = getattr(ss, name)(x.astype(dtype), g, return_grad=True)
            assert np.isfinite(loss) and np.all(np.isfinite(grad)) and grad.dtype == dtype
    x = np.random.default_rng(0).normal(size=(1, 1, 3, 3)).astype(dtype)
    loss, grad = getattr(ss, name)(x, np.full(x.shape, 255.0, dtype), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()
    loss, grad = getattr(ss, name)(np.array([[[[0.7]]]], dtype), np.ones((1, 1, 1, 1), dtype), return_grad=True)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", oh.DISTANCE_HYBRIDS)
def test_distance_compounds_bad_input(name, rng):
    fn = getattr(ss, name)
    x, g = np.zeros((2, 1, 3, 4)), np.ones((2, 1, 3, 4))
    raises_naming(ValueError, fn, x, np.ones((2, 1, 3, 5)), names=["target"])
    raises_naming(ValueError, fn, x, g * 2, names=["target"])
    raises_naming(ValueError, fn, x, g, reduction="none", names=["reduction"])
    raises_naming(TypeError, fn, x, g, no_such_option=1)
    if name == "dice_boundary_loss":
        raises_naming(ValueError, fn, x, g, lambda_boundary=-1.0, names=["lambda_boundary"])
        raises_naming(ValueError, fn, x, g, generalized=False, weight_type="simple", names=["weight_type"])
        raises_naming(TypeError, fn, x, g, generalized=1, names=["generalized"])
    else:
        raises_naming(ValueError, fn, x, g, alpha=0.0, names=["alpha"])
    x0 = rng.normal(size=(1, 1, 4, 4))
    g0 = (rng.random(x0.shape) < 0.5) * 1.0
    a, b = x0.copy(), g0.copy()
    assert ss.LOSS_CLASSES[name]()(x0, g0) == fn(x0, g0)
    np.testing.assert_array_equal(a, x0)
    np.testing.assert_array_equal(b, g0)
