"""The compound losses with a region and a pixel part evaluated in one sweep per
(image, channel) row (RegionPixelEvaluator): value and gradient equal the weighted sum of
the parts called on their own and the NumPy oracle, finite-difference gradients, NaN input
refused."""
from __future__ import annotations

import os

import numpy as np
import pytest

import oracles_compound as oc
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming


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
