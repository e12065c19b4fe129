"""The compound family (combo, exp-log, unified focal and its parts) through the public
API: NumPy oracles on random problems (hypothesis), finite-difference gradients, the
golden file shared with the Swift suite, bad input, inputs not modified."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_compound as oc
import oracles_hybrid as oh
import semsegloss_swift as ss
from conftest import REPO_ROOT, assert_close, numeric_grad, raises_naming
from strategies import include_background, problems, smooth_values

GOLDEN = json.loads((REPO_ROOT / "Tests" / "Fixtures" / "golden_compound.json").read_text())["losses"]
TOL = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 2e-5)}
REGION = {"dice_ce_loss", "dice_focal_loss", "combo_loss", "exp_log_loss", "unified_focal_loss", "asymmetric_focal_tversky_loss",
          "symmetric_focal_tversky_loss"}


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


# ------------------------------------------------------------------ gradients

FAMILIES = {
    "binary logits": ((2, 1, 3, 4), dict()),
    "binary probabilities": ((2, 1, 3, 4), dict(from_logits=False)),
    "multilabel ignore 3-D": ((1, 2, 2, 2, 3), dict(mode="multilabel", ignore_index=255.0)),
    "multilabel no background batch sum": ((2, 3, 2, 3), dict(mode="multilabel", include_background=False,
                                                              reduction="sum")),
}


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("name", oc.FAMILY)
def test_gradient_finite_differences(name, family, rng):
    shape, opts = FAMILIES[family]
    opts = dict(opts)
    if "batch" in family and name in REGION:
        opts["batch"] = True
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = (rng.random(shape) < 0.5).astype(np.float64)
    if "ignore" in family:
        g.flat[[1, 4, 7]] = 255.0
    fn = getattr(ss, name)
    _, grad = fn(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: fn(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=f"{name} {family}")


@pytest.mark.parametrize("name", [n for n in oc.PARTS])
def test_gradient_reduction_none_grad_output(name, rng):
    x, g = rng.normal(0, 2, (2, 2, 3)), (rng.random((2, 2, 3)) < 0.5) * 1.0
    fn = getattr(ss, name)
    values = fn(x, g, mode="multilabel", reduction="none")
    w = rng.normal(size=values.shape)
    _, grad = fn(x, g, mode="multilabel", reduction="none", return_grad=True, grad_output=w)
    numeric = numeric_grad(lambda xs: float((fn(xs, g, mode="multilabel", reduction="none") * w).sum()), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=name)


# ------------------------------------------------------------------ one sweep per row

# Batches with at least two (image, channel) rows per worker thread: the compound losses of a
# region and a pixel part then run both parts in one sweep per row (RegionPixelEvaluator).
ROWS = 2 * (os.cpu_count() or 1)

# Each compound loss as its parts: (weight, part name, part options) from the loss options.
SWEEP_PARTS = {
    "dice_bce_loss": lambda o: [(1.0, "dice_loss", {}), (1.0, "bce_loss", {})],
    "dice_ce_loss": lambda o: [(1.0, "dice_loss", {}), (1.0, "bce_loss", {})],
    "dice_focal_loss": lambda o: [(1.0, "dice_loss", {}), (1.0, "focal_loss", dict(alpha=None, gamma=2.0))],
    "combo_loss": lambda o: [(1 - o["alpha"], "dice_loss", {}), (o["alpha"], "balanced_bce_loss", dict(beta=o["beta"]))],
    "unified_focal_loss": lambda o: [
        (o["weight"], f"{o['variant']}_focal_tversky_loss", dict(delta=o["delta"], gamma=o["gamma"])),
        (1 - o["weight"], f"{o['variant']}_focal_loss", dict(delta=o["delta"], gamma=o["gamma"]))],
}
SWEEP_OPTIONS = {
    "combo_loss": dict(alpha=0.3, beta=0.7),
    "unified_focal_loss": dict(variant="symmetric", weight=0.4, delta=0.6, gamma=0.5),
}
# Rows of whole 1024-voxel blocks (the sweep), and odd rows (the two evaluators).
SWEEP_SHAPES = [((ROWS, 1, 128, 128), {}), ((ROWS, 1, 32, 32), {}), ((ROWS, 1, 4, 16, 48), dict(reduction="sum")),
                ((ROWS, 3, 32, 64), dict(mode="multilabel", include_background=False)), ((ROWS, 1, 7, 9), {}),
                ((ROWS, 1, 1, 1), {})]


def sweep_problem(shape, dtype, seed):
    """Logits with +-30, hard labels with an empty and a full row."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, shape)
    x.flat[0], x.flat[1], x.flat[-1] = 30.0, -30.0, 30.0
    g = (rng.random(shape) < 0.3) * 1.0
    rows = g.reshape(shape[0] * shape[1], -1)
    rows[0], rows[1] = 0.0, 1.0
    return x.astype(dtype), g.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shape,common", SWEEP_SHAPES, ids=["128x128", "32x32", "3d-sum", "multilabel-nobg", "7x9", "1x1"])
@pytest.mark.parametrize("name", list(SWEEP_PARTS))
def test_one_sweep_equals_parts(name, shape, common, dtype):
    """Value and gradient equal the weighted sum of the parts called on their own (and the
    value the NumPy oracle), the value is the same without the gradient; the input is not
    modified."""
    x, g = sweep_problem(shape, dtype, seed=len(name) + shape[-1])
    x0 = x.copy()
    opts = dict(common, **SWEEP_OPTIONS.get(name, {}))
    loss, grad = getattr(ss, name)(x, g, return_grad=True, **opts)
    assert getattr(ss, name)(x, g, **opts) == loss
    want_loss, want_grad = 0.0, np.zeros(shape)
    for w, part, part_opts in SWEEP_PARTS[name](opts):
        part_loss, part_grad = getattr(ss, part)(x, g, return_grad=True, **common, **part_opts)
        want_loss += w * part_loss
        want_grad += w * part_grad.astype(np.float64)
    rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (1e-5, 1e-7)
    assert_close(loss, want_loss, rtol, atol, what=f"{name} {shape} value")
    assert_close(grad, want_grad, rtol, atol, what=f"{name} {shape} gradient")
    oracle = oc.ORACLES.get(name)
    if oracle is not None:
        assert_close(loss, oracle(x.astype(np.float64), g.astype(np.float64), **opts), 1e-9 if dtype == np.float64 else 1e-5,
                     what=f"{name} {shape} oracle")
    assert np.array_equal(x, x0)


@pytest.mark.parametrize("name", list(SWEEP_PARTS))
def test_one_sweep_gradient_finite_differences(name):
    x, g = sweep_problem((ROWS, 1, 2, 3), np.float64, seed=7)
    x.flat[0], x.flat[1], x.flat[-1] = 3.0, -3.0, 1.0  # central differences away from saturation
    opts = SWEEP_OPTIONS.get(name, {})
    fn = getattr(ss, name)
    _, grad = fn(x, g, return_grad=True, **opts)
    assert_close(grad, numeric_grad(lambda xs: fn(xs, g, **opts), x), 1e-6, 1e-9, what=name)


@pytest.mark.parametrize("name", list(SWEEP_PARTS))
def test_one_sweep_rejects_nan(name):
    x, g = sweep_problem((ROWS, 1, 4, 4), np.float32, seed=8)
    x[ROWS - 1, 0, 3, 3] = np.nan
    raises_naming(ValueError, getattr(ss, name), x, g, names=("input",), **SWEEP_OPTIONS.get(name, {}))


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


# ------------------------------------------------------------------ invariants and edges

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


# ------------------------------------------------------------------ bad input

BAD_PARAMS = [
    ("combo_loss", "alpha", 1.5), ("combo_loss", "beta", -0.1), ("combo_loss", "beta", 1.0),
    ("dice_ce_loss", "lambda_ce", -1.0), ("dice_ce_loss", "label_smoothing", 2.0), ("dice_focal_loss", "gamma", -1.0),
    ("dice_focal_loss", "lambda_focal", np.nan), ("dice_focal_loss", "alpha", 1.5), ("exp_log_loss", "gamma_dice", -1.0),
    ("exp_log_loss", "gamma_ce", np.inf), ("exp_log_loss", "w_ce", -1.0), ("exp_log_loss", "floor", 0.0),
    ("unified_focal_loss", "weight", 2.0), ("unified_focal_loss", "delta", 1.1), ("unified_focal_loss", "gamma", 1.5),
    ("asymmetric_focal_loss", "gamma", -1.0), ("symmetric_focal_loss", "delta", np.nan),
    ("asymmetric_focal_tversky_loss", "gamma", 2.0), ("symmetric_focal_tversky_loss", "floor", 0.0),
    ("unified_focal_loss", "smooth_dr", -1.0),
]


@pytest.mark.parametrize("name,option,value", BAD_PARAMS)
def test_bad_parameter_names_argument(name, option, value):
    x, g = np.zeros((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    raises_naming(ValueError, getattr(ss, name), x, g, names=[option], **{option: value})


@pytest.mark.parametrize("name", oc.FAMILY)
def test_bad_input(name):
    fn = getattr(ss, name)
    x, g = np.zeros((2, 1, 3, 4)), np.ones((2, 1, 3, 4))
    raises_naming(ValueError, fn, x, np.ones((2, 1, 3, 5)), names=["target"])
    raises_naming(ValueError, fn, np.zeros((0, 1, 2, 2)), np.zeros((0, 1, 2, 2)), names=["input"])
    bad = x.copy()
    bad[0, 0, 1, 1] = np.nan
    raises_naming(ValueError, fn, bad, g, names=["input"])
    raises_naming(ValueError, fn, x, g * 2, names=["target"])
    raises_naming(TypeError, fn, x.astype(complex), g, names=["input"])
    raises_naming(TypeError, fn, x, g, no_such_option=1)
    raises_naming(ValueError, fn, x, g, mode="tertiary", names=["mode"])
    raises_naming(ValueError, fn, np.zeros((2, 3, 3, 4)), np.ones((2, 3, 3, 4)), names=["input"])  # binary needs 1 channel


@pytest.mark.parametrize("name", oc.COMPOUND)
def test_compound_refuses_reduction_none(name):
    x, g = np.zeros((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    raises_naming(ValueError, getattr(ss, name), x, g, reduction="none", names=["reduction"])


def test_variant_choice():
    x, g = np.zeros((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    raises_naming(ValueError, ss.unified_focal_loss, x, g, variant="diagonal", names=["variant"])


@pytest.mark.parametrize("name", oc.FAMILY)
def test_multiclass_gradient_finite_differences(name, rng):
    x = rng.normal(0, 2, (2, 3, 2, 3))
    labels = rng.integers(0, 3, (2, 2, 3))
    labels[0, 1, 1] = 255
    fn = getattr(ss, name)
    opts = dict(mode="multiclass", ignore_index=255)
    _, grad = fn(x, labels, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: fn(xs, labels, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=name)


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


def test_dice_ce_weight_needs_all_classes():
    x, labels = np.zeros((1, 3, 2, 2)), np.zeros((1, 2, 2), dtype=np.int64)
    raises_naming(ValueError, ss.dice_ce_loss, x, labels, mode="multiclass", include_background=False,
            weight=[1.0, 2.0], names=["weight"])
    raises_naming(ValueError, ss.dice_ce_loss, np.zeros((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), weight=[1.0],
            names=["weight"])


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
