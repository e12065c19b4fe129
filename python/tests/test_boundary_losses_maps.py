"""Distance-map losses: how the maps are measured and scaled — anisotropic ``spacing``
(physical units, against the oracle in oracles_boundary.py, finite differences, errors, the
hybrids) and ``normalize_map`` of the boundary loss (issue 4)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import DISTANCE_LOSSES
from oracles_boundary import RNG, blob_data, central_differences, data, kervadec_phi, oracle, sigmoid, softmax


# ---------------------------------------------------------------- anisotropic spacing

SPACED = [n for n in DISTANCE_LOSSES if n != "hausdorff_er_loss"]  # erosions have no metric
SPACING_CASES = [
    ("2-D", (2, 1, 16, 13), (2.5, 0.7), {}),
    ("3-D CT-like", (1, 1, 5, 9, 8), (3.0, 0.8, 0.8), {}),
    ("multilabel, ignore", (2, 2, 10, 9), (1.0, 4.0), {"mode": "multilabel", "ignore_index": 255}),
]


@pytest.mark.parametrize("name", SPACED)
@pytest.mark.parametrize("label,shape,spacing,opts", SPACING_CASES, ids=[c[0] for c in SPACING_CASES])
def test_spacing_matches_oracle(name, label, shape, spacing, opts):
    """Distances in physical units, as SciPy's ``sampling`` and BL's ``resolution``."""
    x, g = blob_data(shape)
    if "ignore_index" in opts:
        g[:, :, ::4, ::3] = 255
    value, grad = getattr(ss, name)(x, g, return_grad=True, spacing=spacing, **opts)
    want, want_grad = oracle(name, x, g, spacing=spacing, **opts)
    assert value == pytest.approx(want, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-10 * np.abs(want_grad).max())
    # A unit spacing is the default; an anisotropic one changes the maps.
    assert getattr(ss, name)(x, g, spacing=[1.0] * (len(shape) - 2), **opts) == getattr(ss, name)(x, g, **opts)


@pytest.mark.parametrize("name", SPACED)
def test_spacing_finite_differences_and_errors(name):
    x, g = data((2, 1, 5, 6))
    fn = getattr(ss, name)
    _, grad = fn(x, g, return_grad=True, spacing=(1.5, 0.5))
    np.testing.assert_allclose(grad, central_differences(fn, x, g, spacing=(1.5, 0.5)), rtol=1e-5, atol=1e-7)
    for bad in [(1.0,), (1.0, 2.0, 3.0), (1.0, -2.0), (0.0, 1.0), (float("nan"), 1.0), (float("inf"), 1.0)]:
        with pytest.raises(ValueError, match="spacing"):
            fn(x, g, spacing=bad)


def test_uniform_spacing_scales_the_maps():
    """With every axis s: Hausdorff-DT weights scale by s^alpha, the boundary map is
    s * EDT outside and -(s * EDT - 1) inside."""
    x, g = blob_data((2, 1, 12, 11))
    assert ss.hausdorff_dt_loss(x, g, spacing=(2.0, 2.0)) == pytest.approx(4 * ss.hausdorff_dt_loss(x, g), rel=1e-12)
    assert ss.hausdorff_dt_loss(x, g, alpha=1.5, spacing=(3.0, 3.0)) == pytest.approx(
        3 ** 1.5 * ss.hausdorff_dt_loss(x, g, alpha=1.5), rel=1e-12)


def test_spacing_reaches_the_hybrids():
    x, g = blob_data((2, 1, 12, 11))
    sp = (2.0, 0.5)
    got = ss.dice_boundary_loss(x, g, spacing=sp, lambda_boundary=0.3)
    want = ss.generalized_dice_loss(x, g) + 0.3 * ss.boundary_loss(x, g, spacing=sp)
    assert got == pytest.approx(want, rel=1e-12)
    # Balanced Dice + HD-DT: the value is 2 HD.
    assert ss.dice_hausdorff_dt_loss(x, g, spacing=sp) == pytest.approx(2 * ss.hausdorff_dt_loss(x, g, spacing=sp),
                                                                          rel=1e-12)


# ---------------------------------------------------------------- normalised boundary maps

def normalized_phi(gm, how, spacing=None):
    """Kervadec's map scaled as ``normalize_map`` says: by max |phi| of the map, or by the
    image diagonal sqrt(sum (n_i s_i)^2)."""
    phi = kervadec_phi(gm, spacing)
    if how == "max":
        m = np.abs(phi).max()
        return phi / m if m > 0 else phi
    if how == "diagonal":
        s = np.ones(gm.ndim) if spacing is None else np.asarray(spacing, float)
        return phi / np.sqrt(np.sum((np.asarray(gm.shape) * s) ** 2))
    return phi


@pytest.mark.parametrize("how", ["none", "max", "diagonal"])
@pytest.mark.parametrize("shape,spacing", [((3, 1, 12, 11), None), ((2, 2, 5, 6, 7), (2.0, 1.0, 0.5))],
                         ids=["2d", "3d-spacing"])
def test_normalize_map_matches_oracle(how, shape, spacing):
    x, g = blob_data(shape)
    g[0, 0] = 0  # an empty map: stays 0 under every scaling
    p = sigmoid(x)
    loss = np.zeros(shape)
    dphi = np.zeros(shape)
    for b in range(shape[0]):
        for c in range(shape[1]):
            phi = normalized_phi(g[b, c] > 0.5, how, spacing)
            loss[b, c], dphi[b, c] = p[b, c] * phi, phi * p[b, c] * (1 - p[b, c])
    mode = "binary" if shape[1] == 1 else "multilabel"
    value, grad = ss.boundary_loss(x, g, mode=mode, spacing=spacing, normalize_map=how, return_grad=True)
    assert value == pytest.approx(loss.mean(), rel=1e-10, abs=1e-14)
    np.testing.assert_allclose(grad, dphi / loss.size, rtol=1e-10, atol=1e-14)
    if how == "max":
        assert np.abs(ss.boundary_loss(x, g, mode=mode, spacing=spacing, normalize_map=how, reduction="none")).max() <= 1


def test_normalize_map_finite_differences_hybrid_multiclass_and_errors():
    x, g = data((2, 1, 5, 6))
    for how in ["max", "diagonal"]:
        for fn in [ss.boundary_loss, ss.dice_boundary_loss]:
            _, grad = fn(x, g, return_grad=True, normalize_map=how)
            np.testing.assert_allclose(grad, central_differences(fn, x, g, normalize_map=how), rtol=1e-5, atol=1e-7)
        got = ss.dice_boundary_loss(x, g, normalize_map=how, lambda_boundary=0.3)
        want = ss.generalized_dice_loss(x, g) + 0.3 * ss.boundary_loss(x, g, normalize_map=how)
        assert got == pytest.approx(want, rel=1e-12)
    # multiclass: the per-class maps of the one-hot target, scaled the same way
    z = RNG.normal(0, 2, (2, 3, 6, 5))
    labels = RNG.integers(0, 3, (2, 6, 5))
    onehot = np.moveaxis(np.eye(3)[labels], -1, 1)
    pm = softmax(z)
    for how in ["max", "diagonal"]:
        want = np.mean([[pm[b, c] * normalized_phi(onehot[b, c] > 0.5, how) for c in range(3)]
                        for b in range(2)])  # mean over (image, class, voxel), as multilabel
        assert ss.boundary_loss(z, labels, mode="multiclass", normalize_map=how) == pytest.approx(want, rel=1e-10)
    for bad in ["maximum", "", None, 1, True]:
        with pytest.raises(ValueError, match="^normalize_map: expected one of 'none', 'max', 'diagonal'"):
            ss.boundary_loss(x, g, normalize_map=bad)
        with pytest.raises(ValueError, match="^normalize_map"):
            ss.dice_boundary_loss(x, g, normalize_map=bad)
