"""Multi-scale SSIM errors: inputs too small for the scales (and the smallest sizes that
work), and bad or non-numeric ``scale_weights``."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close
from oracles_ms_ssim import VALUE_ATOL, VALUE_RTOL, WANG_WEIGHTS, binary_case, ms_ssim_loss


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,weights,win", [((1, 1, 40, 40), (0.2, 0.3, 0.5), 11),   # 40 -> 20 -> 10 < 11
                                               ((1, 1, 47, 48), WANG_WEIGHTS, 3),       # 47 -> ... -> 2 < 3
                                               ((1, 1, 24, 26, 19), (0.4, 0.6), 11),   # 19 -> 9 < 11
                                               ((1, 1, 44, 40), (0.5, 0.5), 21)])       # 40 -> 20 < 21
def test_too_small_for_the_scales(shape, weights, win):
    x = np.zeros(shape)
    with pytest.raises(ValueError) as err:
        ss.ssim_loss(x, x, win_size=win, scale_weights=weights)
    assert str(err.value).startswith("input"), str(err.value)
    with pytest.raises(ValueError, match="^input"):  # the oracle agrees
        ms_ssim_loss(x, x, win_size=win, scale_weights=weights)


def test_smallest_allowed_sizes_work():
    """Coarsest scale exactly win_size: 48 -> 24 -> 12 -> 6 -> 3 with win_size 3; 3-D too."""
    rng = np.random.default_rng(61)
    for shape, weights, win in [((1, 1, 48, 49), WANG_WEIGHTS, 3), ((1, 1, 20, 21, 23), (0.5, 0.5), 5),
                                ((1, 1, 44, 45), (0.2, 0.3, 0.5), 11)]:
        x, g = binary_case(rng, shape, cell=2)
        kw = dict(win_size=win, scale_weights=weights)
        assert_close(ss.ssim_loss(x, g, **kw), ms_ssim_loss(x, g, **kw), VALUE_RTOL, VALUE_ATOL, what=str(shape))


BAD_WEIGHTS = [(), [], (float("nan"),), (0.5, float("nan")), (float("inf"),), (0.5, -float("inf")),
               (0.0,), (0.5, 0.0), (-0.2,), (0.5, -1.0), 0.5]
#: Not numbers: TypeError, as every wrongly typed option of the package.
NOT_NUMBERS = [("a",), (0.5, "b"), (None,), (True,), (0.5, False), "ab"]


@pytest.mark.parametrize("weights", BAD_WEIGHTS, ids=[repr(w) for w in BAD_WEIGHTS])
def test_bad_scale_weights(weights):
    x = np.zeros((1, 1, 64, 64))
    with pytest.raises(ValueError, match="^scale_weights"):
        ss.ssim_loss(x, x, win_size=3, scale_weights=weights)


@pytest.mark.parametrize("weights", NOT_NUMBERS, ids=[repr(w) for w in NOT_NUMBERS])
def test_scale_weights_that_are_not_numbers(weights):
    x = np.zeros((1, 1, 64, 64))
    with pytest.raises(TypeError, match="^scale_weights"):
        ss.ssim_loss(x, x, win_size=3, scale_weights=weights)
