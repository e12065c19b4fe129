"""Distance-map losses given bad input: non-finite or out-of-range values, wrong shapes,
modes, reductions and dtypes, unknown options, and each loss's own bad options (issue 4)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import DISTANCE_LOSSES
from oracles_boundary import CROSS_ENTROPY_LOSSES, data


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("name", DISTANCE_LOSSES)
def test_bad_input(name):
    fn = getattr(ss, name)
    x, g = data((1, 1, 4, 4))
    with pytest.raises(ValueError, match="input"):
        fn(np.where(np.eye(4, dtype=bool)[None, None], np.nan, x), g)
    with pytest.raises(ValueError, match="input"):
        fn(x * 10, g, from_logits=False)
    with pytest.raises(ValueError, match="target"):
        fn(x, g * 3)
    with pytest.raises(ValueError, match="target"):
        fn(x, g[..., :2])
    if name in CROSS_ENTROPY_LOSSES:  # no multiclass form (see test_multiclass_*)
        with pytest.raises(ValueError, match="mode"):
            fn(np.concatenate([x, x], 1), np.concatenate([g, g], 1), mode="multiclass")
    with pytest.raises(ValueError, match="mode"):
        fn(x, g, mode="dense")
    with pytest.raises(ValueError, match="reduction"):
        fn(x, g, reduction="avg")
    with pytest.raises(TypeError, match="input"):
        fn(x.astype(complex), g)
    with pytest.raises(TypeError, match="input"):
        fn(np.array([["a"]]), g)
    with pytest.raises(ValueError, match="input"):
        fn(np.zeros((1, 1, 2, 2, 2, 2)), np.zeros((1, 1, 2, 2, 2, 2)))
    with pytest.raises(TypeError):
        fn(x, g, smooth_nr=1.0)


def test_loss_specific_bad_options():
    x, g = data((1, 1, 4, 4))
    with pytest.raises(ValueError, match="alpha"):
        ss.hausdorff_dt_loss(x, g, alpha=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        ss.log_hausdorff_dt_loss(x, g, alpha=float("nan"))
    with pytest.raises(ValueError, match="reduction"):
        ss.log_hausdorff_dt_loss(x, g, reduction="none")
    with pytest.raises(ValueError, match="shape_weight"):
        ss.shape_aware_loss(x, g, shape_weight=-0.1)
