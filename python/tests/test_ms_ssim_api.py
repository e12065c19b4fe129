"""Multi-scale SSIM beyond ``ssim_loss``: the hybrid losses (unet3p, basnet) taking and
checking ``scale_weights``, and the exported ``MS_SSIM_WEIGHTS``."""
from __future__ import annotations

import math

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close
from oracles_ms_ssim import VALUE_ATOL, VALUE_RTOL, WANG_WEIGHTS, binary_case, ms_ssim_loss


# ---------------------------------------------------------------------------------------------
# The hybrids
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode,channels", [("binary", 1), ("multilabel", 2)])
def test_hybrids_take_scale_weights(mode, channels):
    """unet3p = focal + ms-ssim + jaccard, basnet = BCE + ms-ssim + jaccard (values and
    gradients: sums of the separate losses called with the same options)."""
    rng = np.random.default_rng(67)
    x, g = binary_case(rng, (2, channels, 40, 44))
    sw = (0.2, 0.3, 0.5)
    common = dict(mode=mode, include_background=True)
    ssim_kw = dict(win_size=5, kernel_sigma=1.2, scale_weights=sw)
    ms, ms_grad = ss.ssim_loss(x, g, return_grad=True, **common, **ssim_kw)
    jac, jac_grad = ss.jaccard_loss(x, g, return_grad=True, **common)
    # The ssim part really is multi-scale here.
    assert_close(ms, ms_ssim_loss(x, g, **common, **ssim_kw), VALUE_RTOL, VALUE_ATOL, what="ms part")
    assert abs(ms - ss.ssim_loss(x, g, win_size=5, kernel_sigma=1.2, **common)) > 1e-4

    foc, foc_grad = ss.focal_loss(x, g, alpha=0.25, gamma=2.0, return_grad=True, **common)
    got, got_grad = ss.unet3p_hybrid_loss(x, g, return_grad=True, lambda_ssim=0.7, **common, **ssim_kw)
    assert_close(got, foc + 0.7 * ms + jac, 1e-12, 1e-14, what="unet3p value")
    np.testing.assert_allclose(got_grad, foc_grad + 0.7 * ms_grad + jac_grad, rtol=1e-10, atol=1e-14)

    ce, ce_grad = ss.cross_entropy_loss(x, g, return_grad=True, **common)
    got, got_grad = ss.basnet_hybrid_loss(x, g, return_grad=True, **common, **ssim_kw)
    assert_close(got, ce + ms + jac, 1e-12, 1e-14, what="basnet value")
    np.testing.assert_allclose(got_grad, ce_grad + ms_grad + jac_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", ["unet3p_hybrid_loss", "basnet_hybrid_loss"])
def test_hybrids_check_scale_weights(name):
    x = np.zeros((1, 1, 40, 40))
    with pytest.raises(ValueError, match="^input"):
        getattr(ss, name)(x, x, win_size=11, scale_weights=(0.2, 0.3, 0.5))
    with pytest.raises(ValueError, match="scale_weights"):
        getattr(ss, name)(x, x, win_size=3, scale_weights=(0.5, -1.0))
    assert getattr(ss, name)(x, x, win_size=3, scale_weights=None) == getattr(ss, name)(x, x, win_size=3)


# ---------------------------------------------------------------------------------------------
# The exported weights
# ---------------------------------------------------------------------------------------------

def test_ms_ssim_weights_exported():
    w = ss.MS_SSIM_WEIGHTS
    assert len(w) == 5
    np.testing.assert_allclose(w, WANG_WEIGHTS, rtol=0, atol=1e-12)
    # Wang et al.'s published (rounded) weights sum to 1.0001, not 1 (MONAI and
    # pytorch_msssim use them unnormalised); the exported tuple keeps the published values.
    assert math.isclose(sum(w), 1.0001, rel_tol=0, abs_tol=1e-9)
    assert all(isinstance(v, float) for v in w)
