"""Bad input raises the documented exception naming the argument; inputs are never
modified; non-contiguous arrays and other dtypes are accepted; result types."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import ALL_LOSSES, METRIC_NAMES, PIXEL_LOSSES, REGION_LOSSES

SHAPE = (2, 1, 3, 4)
CALLS = [(n, getattr(ss, n)) for n in ALL_LOSSES] + [(n, getattr(ss.metrics, n)) for n in METRIC_NAMES] \
    + [("confusion_counts", ss.metrics.confusion_counts)]
CALL_IDS = [c[0] for c in CALLS]


def probs(shape=SHAPE, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


def target(shape=SHAPE, seed=1):
    return (np.random.default_rng(seed).random(shape) < 0.5).astype(np.float64)


def raises(exc, fn, *args, names=(), **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    for name in names:
        assert name in msg, f"{name!r} not in message {msg!r}"
    return msg


# ------------------------------------------------------------------ shapes and values

@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_target_shape_mismatch(name, fn):
    raises(ValueError, fn, probs(), target((2, 1, 3, 5)), names=["target"])
    raises(ValueError, fn, probs(), target((2, 3, 4)), names=["target"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.int64, bool])
def test_mask_without_channel_axis_says_how_to_add_it(name, fn, dtype):
    """The commonest slip: masks (N, H, W) for logits (N, 1, H, W). Float, integer (a label
    map to the library) and bool masks all get the same remedy, which then works."""
    mask = target((2, 3, 4)).astype(dtype)
    raises(ValueError, fn, probs(), mask, names=["target", "target[:, None]"])
    fn(probs(), mask[:, None])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_binary_input_without_channel_axis_says_how_to_add_it(name, fn):
    raises(ValueError, fn, probs((2, 3, 4)), target((2, 3, 4)), names=["input", "input[:, None]"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_other_target_mismatch_gets_no_channel_hint(name, fn):
    """The hint only where it is the remedy: not for a wrong spatial size, nor for a
    multilabel input (several channels) with a mask of one."""
    msg = raises(ValueError, fn, probs(), target((2, 1, 3, 5)), names=["target"])
    assert "[:, None]" not in msg
    msg = raises(ValueError, fn, probs((2, 2, 3, 4)), target((2, 3, 4)), mode="multilabel", names=["target"])
    assert "target[:, None]" not in msg


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("shape", [(4,), (2, 1), (1, 1, 2, 2, 2, 2)])
def test_wrong_ndim(name, fn, shape):
    raises(ValueError, fn, probs(shape), target(shape), names=["input"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("shape", [(0, 1, 2, 2), (1, 1, 0, 3), (1, 0, 2, 2)])
def test_empty_array(name, fn, shape):
    raises(ValueError, fn, np.zeros(shape), np.zeros(shape), names=["input"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("from_logits", [True, False])
def test_non_finite_input(name, fn, bad, from_logits):
    x = probs()
    x[1, 0, 2, 1] = bad
    raises(ValueError, fn, x, target(), from_logits=from_logits, names=["input"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_probabilities_outside_unit_interval(name, fn):
    x = probs()
    x[0, 0, 0, 0] = 1.5
    raises(ValueError, fn, x, target(), from_logits=False, names=["input"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -0.5, 2.0])
def test_bad_target_values(name, fn, bad):
    g = target()
    g[0, 0, 1, 1] = bad
    raises(ValueError, fn, probs(), g, names=["target"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_target_255_without_ignore_index_suggests_it(name, fn):
    g = target()
    g[0, 0, 1, 1] = 255
    raises(ValueError, fn, probs(), g, names=["target", "ignore_index"])
    fn(probs(), g, ignore_index=255)  # and the suggestion works


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("which", ["input", "target"])
@pytest.mark.parametrize("kind", ["complex", "str", "object"])
def test_unsupported_dtype(name, fn, which, kind):
    arrays = {"input": probs(), "target": target()}
    a = arrays[which]
    arrays[which] = {"complex": a.astype(np.complex128), "str": a.astype(str),
                     "object": a.astype(object)}[kind]
    raises(TypeError, fn, arrays["input"], arrays["target"], names=[which])


# ------------------------------------------------------------------ options

@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_unknown_keyword(name, fn):
    raises(TypeError, fn, probs(), target(), smoothing=1.0, names=["smoothing"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_unknown_mode(name, fn):
    raises(ValueError, fn, probs(), target(), mode="binray", names=["mode"])


@pytest.mark.parametrize("name,fn", [c for c in CALLS if c[0] != "confusion_counts"],
                         ids=[i for i in CALL_IDS if i != "confusion_counts"])
def test_unknown_reduction(name, fn):
    raises(ValueError, fn, probs(), target(), reduction="average", names=["reduction"])


@pytest.mark.parametrize("name", REGION_LOSSES + ("dice_bce_loss",))
def test_unknown_empty_policy_loss(name):
    raises(ValueError, getattr(ss, name), probs(), target(), empty="nan", names=["empty"])


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_unknown_empty_policy_metric(name):
    raises(ValueError, getattr(ss.metrics, name), probs(), target(), empty="smooth", names=["empty"])


@pytest.mark.parametrize("name", REGION_LOSSES + ("dice_bce_loss",))
@pytest.mark.parametrize("option", ["smooth_nr", "smooth_dr"])
def test_negative_smoothing(name, option):
    raises(ValueError, getattr(ss, name), probs(), target(), **{option: -1e-3}, names=[option])


@pytest.mark.parametrize("alpha", [-0.1, 1.5, np.nan])
def test_focal_alpha_outside_unit_interval(alpha):
    raises(ValueError, ss.focal_loss, probs(), target(), alpha=alpha, names=["alpha"])


@pytest.mark.parametrize("name", ["focal_loss", "focal_tversky_loss"])
def test_negative_gamma(name):
    raises(ValueError, getattr(ss, name), probs(), target(), gamma=-0.5, names=["gamma"])


@pytest.mark.parametrize("name", ["bce_loss", "dice_bce_loss"])
@pytest.mark.parametrize("value", [0.0, -1.0, np.inf])
def test_pos_weight_not_positive(name, value):
    raises(ValueError, getattr(ss, name), probs(), target(), pos_weight=value, names=["pos_weight"])


@pytest.mark.parametrize("name", ["tversky_loss", "focal_tversky_loss"])
@pytest.mark.parametrize("option", ["alpha", "beta"])
def test_tversky_negative_weights(name, option):
    raises(ValueError, getattr(ss, name), probs(), target(), **{option: -0.1}, names=[option])


def test_focal_tversky_zero_floor_with_small_gamma():
    raises(ValueError, ss.focal_tversky_loss, probs(), target(), gamma=0.5, floor=0.0, names=["floor"])


@pytest.mark.parametrize("option", ["lambda_dice", "lambda_bce"])
def test_dice_bce_negative_lambda(option):
    raises(ValueError, ss.dice_bce_loss, probs(), target(), **{option: -1.0}, names=[option])


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_grad_output_needs_reduction_none(name, reduction):
    raises(ValueError, getattr(ss, name), probs(), target(), reduction=reduction, return_grad=True,
           grad_output=np.ones(SHAPE), names=["grad_output"])


@pytest.mark.parametrize("name", PIXEL_LOSSES + REGION_LOSSES)
def test_grad_output_wrong_shape(name):
    raises(ValueError, getattr(ss, name), probs(), target(), reduction="none", return_grad=True,
           grad_output=np.ones((3, 3)), names=["grad_output"])


@pytest.mark.parametrize("name", PIXEL_LOSSES + REGION_LOSSES)
def test_grad_output_not_finite(name):
    fn = getattr(ss, name)
    out_shape = fn(probs(), target(), reduction="none").shape
    w = np.ones(out_shape)
    w.flat[0] = np.nan
    raises(ValueError, fn, probs(), target(), reduction="none", return_grad=True, grad_output=w,
           names=["grad_output"])


def test_dice_bce_reduction_none():
    raises(ValueError, ss.dice_bce_loss, probs(), target(), reduction="none", names=["reduction"])


#: Calls without a multiclass mode (sigmoid-only losses): a clear error naming mode.
NO_MULTICLASS = [c for c in CALLS if c[0] in ALL_LOSSES and c[0] not in REGION_LOSSES and c[0] != "focal_loss"]


@pytest.mark.parametrize("name,fn", NO_MULTICLASS, ids=[c[0] for c in NO_MULTICLASS])
def test_multiclass_rejected_where_undefined(name, fn):
    shape = (2, 3, 3, 4)
    raises(ValueError, fn, probs(shape), target(shape), mode="multiclass", names=["mode"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_include_background_false_in_binary_mode(name, fn):
    raises(ValueError, fn, probs(), target(), include_background=False, names=["include_background"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_binary_mode_needs_one_channel(name, fn):
    shape = (2, 2, 3, 3)
    raises(ValueError, fn, probs(shape), target(shape), names=["input"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
@pytest.mark.parametrize("value", [1, 0, "yes", None, 1.0])
def test_from_logits_not_bool(name, fn, value):
    raises(TypeError, fn, probs(), target(), from_logits=value, names=["from_logits"])


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_return_grad_not_bool(name):
    raises(TypeError, getattr(ss, name), probs(), target(), return_grad=1, names=["return_grad"])


@pytest.mark.parametrize("name,fn", CALLS, ids=CALL_IDS)
def test_ignore_index_not_finite(name, fn):
    raises(ValueError, fn, probs(), target(), ignore_index=float("nan"), names=["ignore_index"])


@pytest.mark.parametrize("name,fn", [c for c in CALLS if c[0] not in ALL_LOSSES],
                         ids=[i for i in CALL_IDS if i not in ALL_LOSSES])
@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.2, 1.5, float("nan")])
def test_metric_threshold_outside_open_interval(name, fn, threshold):
    raises(ValueError, fn, probs(), target(), threshold=threshold, names=["threshold"])


@pytest.mark.parametrize("beta", [0.0, -1.0, float("inf")])
def test_f_beta_beta_not_positive(beta):
    raises(ValueError, ss.metrics.f_beta, probs(), target(), beta=beta, names=["beta"])


@pytest.mark.parametrize("name", REGION_LOSSES)
def test_numeric_option_given_a_string(name):
    raises(TypeError, getattr(ss, name), probs(), target(), smooth_nr="1e-5", names=["smooth_nr"])
