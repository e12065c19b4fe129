"""Gradients of the sums of whole losses (generalized_dice_focal_loss, dice_top_k_loss,
unet3p_hybrid_loss, basnet_hybrid_loss) against central finite differences in every mode
(the problem families of hybrid_cases.py)."""
from __future__ import annotations

import numpy as np
import pytest

import oracles_hybrid as oh
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad
from hybrid_cases import FAMILIES


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("name", oh.HYBRIDS)
def test_gradient_finite_differences(name, family, rng):
    shape, opts = FAMILIES[family]
    opts = dict(opts)
    if name in oh.SSIM_HYBRIDS:
        if "ignore_index" in opts:
            return
        opts["win_size"] = 3
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    if opts.get("mode") == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        g = (rng.random(shape) < 0.5).astype(np.float64)
    if "ignore_index" in opts:
        g.flat[[1, 4, 7]] = 255
    fn = getattr(ss, name)
    _, grad = fn(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: fn(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=f"{name} {family}")
