"""Bad input to the compound family (combo, exp-log, unified focal and its parts): out-of-range
parameters, shapes, NaN, dtypes, unknown options and modes, ``reduction="none"`` for the
compounds, the unified focal variant, Dice + CE class weights; every error names the
argument."""
from __future__ import annotations

import numpy as np
import pytest

import oracles_compound as oc
import semsegloss_swift as ss
from conftest import raises_naming


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


def test_dice_ce_weight_needs_all_classes():
    x, labels = np.zeros((1, 3, 2, 2)), np.zeros((1, 2, 2), dtype=np.int64)
    raises_naming(ValueError, ss.dice_ce_loss, x, labels, mode="multiclass", include_background=False,
            weight=[1.0, 2.0], names=["weight"])
    raises_naming(ValueError, ss.dice_ce_loss, np.zeros((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), weight=[1.0],
            names=["weight"])
