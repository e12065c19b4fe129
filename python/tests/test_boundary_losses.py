"""Distance-map losses (Hausdorff-DT, log HD-DT, boundary, distance-penalized CE, shape-aware)
and the Hausdorff erosion loss against NumPy + SciPy oracles, finite differences and bad
input (issue 4)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import semsegloss_swift as ss
from conftest import DISTANCE_LOSSES
from oracles_hausdorff_er import forward_backward as erosion_forward_backward

RNG = np.random.default_rng(7)


# ---------------------------------------------------------------- oracles (one row = one image-channel)

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def edt(m, spacing=None):
    """SciPy's exact EDT, in units of `spacing` (BL's `resolution`)."""
    return ndimage.distance_transform_edt(m, sampling=spacing)


def two_sided(m, spacing=None):
    if not m.any() or m.all():
        return np.zeros(m.shape)
    return edt(m, spacing) + edt(~m, spacing)


def kervadec_phi(m, spacing=None):
    if not m.any() or m.all():
        return np.zeros(m.shape)
    return edt(~m, spacing) * ~m - (edt(m, spacing) - 1) * m


def caliva_weight(m, valid, spacing=None):
    if not m.any() or m.all():
        return np.ones(m.shape)
    phi = np.zeros(m.shape)
    for side, e in ((m, edt(m, spacing)), (~m, edt(~m, spacing))):
        sel = side & valid
        if not sel.any():
            continue
        top, low = e[sel].max(), e[sel].min()
        phi[side] = (top - e[side]) / (top - low) if top > low else 1.0
    return 1 + phi


def surface(m):
    return m & ~ndimage.binary_erosion(m, border_value=0)


def shape_weight(pm, gm, w, spacing=None):
    sp, sg = surface(pm), surface(gm)
    if not sp.any() or not sg.any():
        return np.ones(pm.shape)
    return np.full(pm.shape, 1 + w * edt(~sg, spacing)[sp].mean())


def bce(x, g, from_logits):
    if from_logits:
        lp = -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))
        lq = -(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))
        return -(g * lp + (1 - g) * lq), sigmoid(x) - g
    p = np.clip(x, 1e-7, 1 - 1e-7)
    inside = (x > 1e-7) & (x < 1 - 1e-7)
    return -(g * np.log(p) + (1 - g) * np.log(1 - p)), np.where(inside, -(g / p - (1 - g) / (1 - p)), 0)


def oracle(name, x, g, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None, include_background=True,
           alpha=2.0, shape_weight_=1.0, spacing=None):
    """Per-voxel loss and d/dx, then the reduction; returns (value, grad). For the Hausdorff
    erosion loss, whose voxels are coupled, grad is d(sum of the row's losses)/dx."""
    valid = np.ones(x.shape, bool) if ignore_index is None else g != ignore_index
    if not include_background:
        valid[:, 0] = False
    gc = np.where(valid, g, 0.0)
    p = sigmoid(x) if from_logits else x
    dp = p * (1 - p) if from_logits else np.ones_like(x)
    loss = np.zeros(x.shape)
    grad = np.zeros(x.shape)
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            gm = (gc[b, c] > 0.5)
            pm = x[b, c] > (0 if from_logits else 0.5)
            pr, gr, xr = p[b, c], gc[b, c], x[b, c]
            if name == "hausdorff_er_loss":
                loss1, dl = erosion_forward_backward(pr[None], gr[None], valid=valid[b, c][None], alpha=alpha,
                                                     upstream=np.ones((1,) + pr.shape))
                loss[b, c], grad[b, c] = loss1[0], dl[0] * dp[b, c]
            elif name.endswith("hausdorff_dt_loss"):
                w = two_sided(gm, spacing) ** alpha + two_sided(pm, spacing) ** alpha
                loss[b, c] = (pr - gr) ** 2 * w
                grad[b, c] = 2 * (pr - gr) * w * dp[b, c]
            elif name == "boundary_loss":
                phi = kervadec_phi(gm, spacing)
                loss[b, c] = pr * phi
                grad[b, c] = phi * dp[b, c]
            else:
                if name == "distance_penalized_ce_loss":
                    w = caliva_weight(gm, valid[b, c], spacing)
                else:
                    w = shape_weight(pm & valid[b, c], gm, shape_weight_, spacing)
                l, d = bce(xr, gr, from_logits)
                loss[b, c], grad[b, c] = w * l, w * d
    loss[~valid] = 0
    grad[~valid] = 0
    count = valid.sum()
    if reduction == "none":
        return loss, grad
    total = loss.sum()
    if reduction == "mean":
        total, grad = (total / count, grad / count) if count else (0.0, grad * 0)
    if name == "log_hausdorff_dt_loss":
        return np.log1p(total), grad / (1 + total)
    return total, grad


def central_differences(fn, x, target, h=1e-6, **opts):
    """d fn(x, target, **opts) / dx by central differences, element by element."""
    num = np.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        num.flat[i] = (fn(xp, target, **opts) - fn(xm, target, **opts)) / (2 * h)
    return num


def data(shape, rng=RNG, probabilities=False):
    x = rng.normal(0, 2, shape)
    if probabilities:
        x = sigmoid(x)
    g = (rng.random(shape) < 0.4).astype(np.float64)
    return x, g


def blob_data(shape, rng=RNG):
    """Smooth masks (a few balls) with noisy logits: realistic distance maps."""
    grid = np.indices(shape[2:])
    g = np.zeros(shape, bool)
    for b in range(shape[0]):
        for c in range(shape[1]):
            for _ in range(2):
                centre = [rng.uniform(0, n) for n in shape[2:]]
                r = rng.uniform(2, max(3, min(shape[2:]) / 3))
                g[b, c] |= sum((q - m) ** 2 for q, m in zip(grid, centre)) <= r * r
    g = g.astype(np.float64)
    x = 3 * (2 * g - 1) + rng.normal(0, 2.5, shape)
    return x, g


# ---------------------------------------------------------------- values and gradients vs oracle

CASES = [
    ("binary 2-D", (2, 1, 24, 20), {}),
    ("binary 3-D", (1, 1, 6, 10, 9), {}),
    ("multilabel", (2, 3, 16, 12), {"mode": "multilabel"}),
    ("no background", (2, 3, 12, 12), {"mode": "multilabel", "include_background": False}),
    ("probabilities", (2, 1, 18, 15), {"from_logits": False}),
    ("sum", (2, 1, 10, 11), {"reduction": "sum"}),
    ("1-D", (3, 2, 40), {"mode": "multilabel"}),
]


@pytest.mark.parametrize("name", DISTANCE_LOSSES)
@pytest.mark.parametrize("label,shape,opts", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_matches_oracle(name, label, shape, opts, dtype):
    x, g = blob_data(shape)
    if not opts.get("from_logits", True):
        x = sigmoid(x)
    extra = {"alpha": 1.5} if "hausdorff" in name and label == "multilabel" else {}
    value, grad = getattr(ss, name)(x.astype(dtype), g.astype(dtype), return_grad=True, **opts, **extra)
    want, want_grad = oracle(name, x.astype(dtype).astype(np.float64), g, **opts, **extra)
    rtol = 1e-10 if dtype == np.float64 else 2e-5
    assert grad.dtype == dtype and grad.shape == x.shape
    assert value == pytest.approx(want, rel=rtol, abs=rtol)
    np.testing.assert_allclose(grad, want_grad, rtol=rtol, atol=rtol * np.abs(want_grad).max())


#: Not the erosion loss: its voxels are coupled, so the vector-Jacobian product with
#: grad_output is not grad_output times the gradient (test_hausdorff_er.py checks it).
@pytest.mark.parametrize("name", [n for n in DISTANCE_LOSSES if n not in ("log_hausdorff_dt_loss", "hausdorff_er_loss")])
def test_ignore_index_and_reduction_none(name):
    x, g = blob_data((2, 2, 14, 13))
    g[:, :, ::3, ::2] = 255
    opts = dict(mode="multilabel", ignore_index=255)
    values, grad = getattr(ss, name)(x, g, reduction="none", return_grad=True, **opts)
    want, want_grad = oracle(name, x, g, reduction="none", **opts)
    np.testing.assert_allclose(values, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-12)
    assert (values[g == 255] == 0).all() and (grad[g == 255] == 0).all()
    w = RNG.normal(size=x.shape)
    _, vjp = getattr(ss, name)(x, g, reduction="none", return_grad=True, grad_output=w, **opts)
    np.testing.assert_allclose(vjp, w * want_grad, rtol=1e-10, atol=1e-12)
    mean = getattr(ss, name)(x, g, **opts)
    assert mean == pytest.approx(want.sum() / (g != 255).sum(), rel=1e-10)


@pytest.mark.parametrize("name", DISTANCE_LOSSES)
@pytest.mark.parametrize("opts", [{}, {"from_logits": False}, {"mode": "multilabel", "ignore_index": 255},
                                  {"reduction": "sum"}], ids=str)
def test_finite_differences(name, opts):
    shape = (2, 2 if opts.get("mode") else 1, 5, 6)
    x, g = data(shape, probabilities=not opts.get("from_logits", True))
    if "ignore_index" in opts:
        g.flat[::4] = 255
    _, grad = getattr(ss, name)(x, g, return_grad=True, **opts)
    np.testing.assert_allclose(grad, central_differences(getattr(ss, name), x, g, **opts), rtol=1e-5, atol=1e-7)


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


# ---------------------------------------------------------------- multiclass

#: Distance losses weighting a binary cross-entropy: no multiclass mode.
CROSS_ENTROPY_LOSSES = ("distance_penalized_ce_loss", "shape_aware_loss")
MULTICLASS_LOSSES = [n for n in DISTANCE_LOSSES if n not in CROSS_ENTROPY_LOSSES]


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def multiclass_data(shape, rng=RNG):
    """Logits favouring a label map of a few blobs, the label map, and its one-hot form."""
    grid = np.indices(shape[2:])
    labels = np.zeros((shape[0],) + shape[2:], np.int64)
    for b in range(shape[0]):
        for c in range(1, shape[1]):
            centre = [rng.uniform(0, n) for n in shape[2:]]
            r = rng.uniform(2, max(3, min(shape[2:]) / 3))
            labels[b][sum((q - m) ** 2 for q, m in zip(grid, centre)) <= r * r] = c
    one_hot = np.moveaxis(np.eye(shape[1])[labels], -1, 1)
    return 3 * one_hot + rng.normal(0, 2, shape), labels, one_hot


@pytest.mark.parametrize("name", MULTICLASS_LOSSES)
@pytest.mark.parametrize("opts", [{}, {"include_background": False}, {"reduction": "sum"}], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 14, 12), (1, 4, 5, 7, 6)], ids=["2-D", "3-D"])
def test_multiclass_is_the_oracle_on_softmax_probabilities(name, opts, shape):
    z, labels, one_hot = multiclass_data(shape)
    p = softmax(z)
    value, grad = getattr(ss, name)(z, labels, mode="multiclass", return_grad=True, **opts)
    want, dp = oracle(name, p, one_hot, mode="multilabel", from_logits=False, **opts)
    want_grad = p * (dp - (p * dp).sum(axis=1, keepdims=True))  # softmax chain rule
    assert value == pytest.approx(want, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12)
    dense = getattr(ss, name)(z, one_hot, mode="multiclass", return_grad=True, **opts)
    assert dense[0] == value and np.array_equal(dense[1], grad)


@pytest.mark.parametrize("name", MULTICLASS_LOSSES)
def test_multiclass_finite_differences_and_ignore_index(name):
    z, labels, _ = multiclass_data((2, 3, 5, 6))
    labels.flat[::5] = 255
    opts = dict(mode="multiclass", ignore_index=255)
    _, grad = getattr(ss, name)(z, labels, return_grad=True, **opts)
    np.testing.assert_allclose(grad, central_differences(getattr(ss, name), z, labels, **opts), rtol=1e-5, atol=1e-7)
    assert (np.moveaxis(grad, 1, -1)[labels == 255] == 0).all()


def test_multiclass_known_values():
    p1 = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    p = np.stack([1 - p1, p1])[None, :, None, :]
    labels = np.array([[[1, 1, 1, 0, 0]]])
    # phi_1 = [-2, -1, 0, 1, 2], phi_0 = [3, 2, 1, 0, -1]: (-2.2 + 0.1) / 10
    value, grad = ss.boundary_loss(p, labels, mode="multiclass", from_logits=False, return_grad=True)
    assert value == pytest.approx(-0.21, abs=1e-12)
    np.testing.assert_allclose(grad.ravel(), [0.3, 0.2, 0.1, 0, -0.1, -0.2, -0.1, 0, 0.1, 0.2], atol=1e-12)
    q1 = np.array([0.9, 0.6, 0.2, 0.1])
    q = np.stack([1 - q1, q1])[None, :, None, :]
    assert ss.hausdorff_dt_loss(q, labels[..., :4] * 0 + np.array([1, 1, 0, 0]), mode="multiclass",
                                from_logits=False) == pytest.approx(0.14, abs=1e-12)


@pytest.mark.parametrize("name", MULTICLASS_LOSSES)
def test_multiclass_bad_labels(name):
    z, labels, _ = multiclass_data((1, 3, 4, 4))
    with pytest.raises(ValueError, match="target"):
        getattr(ss, name)(z, labels + 3, mode="multiclass")
    with pytest.raises(ValueError, match="target"):
        getattr(ss, name)(z, labels[:, :2], mode="multiclass")
    with pytest.raises(ValueError, match="input"):
        getattr(ss, name)(z[:, :1], labels * 0, mode="multiclass")


# ---------------------------------------------------------------- edge cases

@pytest.mark.parametrize("name", DISTANCE_LOSSES)
def test_empty_full_and_all_ignored(name):
    fn = getattr(ss, name)
    for x, g in ((np.full((1, 1, 4, 5), -3.0), np.zeros((1, 1, 4, 5))), (np.full((1, 1, 4, 5), 3.0), np.ones((1, 1, 4, 5)))):
        value, grad = fn(x, g, return_grad=True)
        want, want_grad = oracle(name, x, g)
        assert value == pytest.approx(want, abs=1e-12)
        np.testing.assert_allclose(grad, want_grad, atol=1e-12)
    x = RNG.normal(size=(1, 1, 3, 3))
    value, grad = fn(x, np.full(x.shape, 255.0), ignore_index=255, return_grad=True)
    assert value == 0.0 and not grad.any()


@pytest.mark.parametrize("name", DISTANCE_LOSSES)
def test_one_pixel_object_border_and_confident_logits(name):
    fn = getattr(ss, name)
    g = np.zeros((1, 1, 9, 9)); g[0, 0, 4, 4] = 1
    g2 = np.zeros((1, 1, 9, 9)); g2[0, 0, :, :3] = 1  # touches the border
    for target in (g, g2):
        for scale in (30.0, -30.0, 1.0):
            x = scale * (2 * target - 1)
            value, grad = fn(x, target, return_grad=True)
            want, want_grad = oracle(name, x, target)
            assert np.isfinite(value) and np.isfinite(grad).all()
            assert value == pytest.approx(want, rel=1e-10, abs=1e-12)
            # The erosion loss at ±30: (p - g)^2 is 1 - O(1e-13) on many voxels, so which one
            # is the row's maximum depends on the summation order (gradients ~1e-13 either way).
            atol = 1e-11 if name == "hausdorff_er_loss" else 1e-14
            np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=atol)
            v32 = fn(x.astype(np.float32), target.astype(np.float32))
            assert np.isfinite(v32)


def test_boundary_loss_is_negative_at_the_optimum():
    g = np.zeros((1, 1, 12, 12)); g[0, 0, 2:10, 3:9] = 1
    assert ss.boundary_loss(g, g, from_logits=False) < 0
    assert ss.boundary_loss(g, g, from_logits=False) < ss.boundary_loss(0.5 * np.ones_like(g), g, from_logits=False)


def test_log_hausdorff_is_log1p_of_hausdorff():
    x, g = blob_data((2, 1, 16, 16))
    a, ga = ss.hausdorff_dt_loss(x, g, return_grad=True)
    b, gb = ss.log_hausdorff_dt_loss(x, g, return_grad=True)
    assert b == pytest.approx(np.log1p(a), rel=1e-12)
    np.testing.assert_allclose(gb, ga / (1 + a), rtol=1e-12)


def test_classes_and_monai_style_mean():
    x, g = blob_data((2, 1, 10, 10))
    assert ss.HausdorffDTLoss(alpha=1.0)(x, g) == ss.hausdorff_dt_loss(x, g, alpha=1.0)
    assert ss.ShapeAwareLoss(shape_weight=0.5)(x, g) == ss.shape_aware_loss(x, g, shape_weight=0.5)
    assert ss.LOSS_CLASSES["distance_penalized_ce_loss"] is ss.DistancePenalizedCELoss
    assert ss.LOSS_CLASSES["log_hausdorff_dt_loss"] is ss.LogHausdorffDTLoss
    assert ss.BoundaryLoss()(x, g) == ss.boundary_loss(x, g)


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
