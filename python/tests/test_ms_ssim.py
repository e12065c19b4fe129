"""Multi-scale SSIM: ``ssim_loss(..., scale_weights=(w_1, ..., w_M))`` against an independent
float64 NumPy oracle (written here from the specification, sharing no code with the library's
other SSIM oracles).

Definition checked (Wang, Simoncelli & Bovik 2003; MONAI ``MultiScaleSSIMMetric``), per
(image, channel) plane of p (sigmoid of the logits, softmax over channels in multiclass mode,
or the input itself with ``from_logits=False``) and g (target; one-hot of a label map in
multiclass mode):

* scale 1 is the plane itself; scale j+1 is the 2x average pooling of scale j along every
  spatial axis (kernel 2, stride 2, a trailing odd row/column/slice dropped);
* at every scale the same normalised Gaussian window (``win_size``, ``kernel_sigma``) is
  applied separably along every spatial axis without padding ('valid'), giving
  ``cs = (2 s_pg + c2) / (s_p + s_g + c2)`` and ``S = (2 mu_p mu_g + c1) / (mu_p^2 + mu_g^2 + c1) * cs``
  with ``c1 = (k1 R)^2``, ``c2 = (k2 R)^2``;
* ``v_j = mean(cs_j)`` for j < M and ``v_M = mean(S_M)``;
* ``MS = prod_j max(v_j, 0) ** w_j``, loss per plane ``1 - MS``, reduced over the kept
  (image, channel) planes like ``ssim_loss`` (mean, sum, none -> (N, C')).

``scale_weights=None`` is the single-scale ``1 - mean(S)`` (unclamped). Gradients are checked
against central differences of the oracle.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import assert_close

#: Wang et al.'s five weights, as the specification says the package exports them.
WANG_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

VALUE_RTOL, VALUE_ATOL = 1e-9, 1e-12


# ---------------------------------------------------------------------------------------------
# Oracle
# ---------------------------------------------------------------------------------------------

def gaussian_taps(win_size: int, sigma: float) -> np.ndarray:
    """The 1-D window: exp(-d^2 / (2 sigma^2)) at d = -(w-1)/2 ... (w-1)/2, normalised to sum 1."""
    d = np.arange(win_size, dtype=np.float64) - (win_size - 1) / 2
    taps = np.exp(-0.5 * (d / sigma) ** 2)
    return taps / taps.sum()


def valid_filter(a: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering of an (N, C, *spatial) array along every spatial axis:
    ``out[i] = sum_k taps[k] a[i + k]`` (no padding: an axis of length n gives n - w + 1)."""
    w = len(taps)
    for ax in range(2, a.ndim):
        n_out = a.shape[ax] - w + 1
        assert n_out >= 1
        a = sum(t * np.take(a, np.arange(k, k + n_out), axis=ax) for k, t in enumerate(taps))
    return a


def avg_pool2(a: np.ndarray) -> np.ndarray:
    """2x average pooling (kernel 2, stride 2) along every spatial axis of (N, C, *spatial);
    an odd trailing row/column/slice is dropped (size floor(n / 2), as F.avg_pool2d)."""
    for ax in range(2, a.ndim):
        m = a.shape[ax] // 2
        even = np.take(a, np.arange(0, 2 * m, 2), axis=ax)
        odd = np.take(a, np.arange(1, 2 * m, 2), axis=ax)
        a = 0.5 * (even + odd)
    return a


def ssim_and_cs_maps(p, g, taps, c1, c2):
    """The SSIM map S and the contrast-structure map cs ('valid' size) of every plane."""
    mu_p, mu_g = valid_filter(p, taps), valid_filter(g, taps)
    var_p = valid_filter(p * p, taps) - mu_p ** 2
    var_g = valid_filter(g * g, taps) - mu_g ** 2
    cov = valid_filter(p * g, taps) - mu_p * mu_g
    cs = (2 * cov + c2) / (var_p + var_g + c2)
    luminance = (2 * mu_p * mu_g + c1) / (mu_p ** 2 + mu_g ** 2 + c1)
    return luminance * cs, cs


def probabilities(input, target, mode, from_logits):
    """(p, g) as float64 (N, C, *spatial) arrays, every channel kept."""
    x = np.asarray(input, dtype=np.float64)
    if mode == "multiclass":
        if from_logits:
            e = np.exp(x - x.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
        else:
            p = x
        t = np.asarray(target)
        if t.ndim == x.ndim - 1:  # label map -> one-hot
            g = np.stack([t == k for k in range(x.shape[1])], axis=1).astype(np.float64)
        else:
            g = t.astype(np.float64)
    else:
        p = 1.0 / (1.0 + np.exp(-x)) if from_logits else x
        g = np.asarray(target, dtype=np.float64)
    return p, g


def scale_values(p, g, n_scales, *, win_size=11, kernel_sigma=1.5, k1=0.01, k2=0.03, data_range=1.0):
    """v of shape (N, C, M): mean cs at scales 1..M-1, mean S at scale M.
    Raises ValueError('input: ...') when a spatial size at some used scale is < win_size."""
    taps = gaussian_taps(win_size, kernel_sigma)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    values = []
    for j in range(n_scales):
        if min(p.shape[2:]) < win_size:
            raise ValueError(f"input: spatial shape {p.shape[2:]} at scale {j + 1} is smaller than win_size")
        s_map, cs_map = ssim_and_cs_maps(p, g, taps, c1, c2)
        axes = tuple(range(2, p.ndim))
        values.append((s_map if j == n_scales - 1 else cs_map).mean(axis=axes))
        p, g = avg_pool2(p), avg_pool2(g)
    return np.stack(values, axis=-1)


def ms_ssim_loss(input, target, *, mode="binary", from_logits=True, reduction="mean",
                 include_background=True, grad_output=None, scale_weights=None, **ssim_options):
    """Oracle of ``ss.ssim_loss`` with and without ``scale_weights`` (float64).

    ``grad_output`` (with reduction='none') returns ``sum(grad_output * losses)`` instead,
    the scalar whose gradient is the library's vector-Jacobian product."""
    p, g = probabilities(input, target, mode, from_logits)
    if scale_weights is None:
        v = scale_values(p, g, 1, **ssim_options)
        losses = 1.0 - v[..., 0]
    else:
        w = np.asarray(scale_weights, dtype=np.float64)
        v = scale_values(p, g, len(w), **ssim_options)
        losses = 1.0 - np.prod(np.maximum(v, 0.0) ** w, axis=-1)
    first = 0 if include_background else 1  # (the library refuses False in binary mode)
    losses = losses[:, first:]
    if grad_output is not None:
        assert reduction == "none"
        return float(np.sum(np.asarray(grad_output) * losses))
    if reduction == "none":
        return losses
    return float(losses.sum() if reduction == "sum" else losses.mean())


def oracle_values(input, target, scale_weights, *, mode="binary", from_logits=True, **ssim_options):
    """The per-plane v_j of the oracle, shape (N, C, M) (for choosing and checking test data)."""
    p, g = probabilities(input, target, mode, from_logits)
    return scale_values(p, g, len(scale_weights), **ssim_options)


def central_differences(f, x, coords, h=1e-6):
    """(f(x + h e_i) - f(x - h e_i)) / 2h at each coordinate tuple in ``coords``."""
    out = []
    for c in coords:
        xp, xm = x.copy(), x.copy()
        xp[c] += h
        xm[c] -= h
        out.append((f(xp) - f(xm)) / (2 * h))
    return np.array(out)


def random_coords(rng, shape, count=12):
    flat = rng.choice(int(np.prod(shape)), size=count, replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


# ---------------------------------------------------------------------------------------------
# Test data: smooth structures (they survive pooling) and predictions correlated with them
# ---------------------------------------------------------------------------------------------

def blob_field(rng, shape, cell=4):
    """A piecewise-constant random field in [0, 1): uniform values on cells of ``cell`` voxels
    per spatial axis (N, C kept), so structure remains at coarse scales."""
    spatial = shape[2:]
    coarse = rng.random(shape[:2] + tuple(-(-n // cell) for n in spatial))
    for ax in range(2, len(shape)):
        coarse = np.repeat(coarse, cell, axis=ax)
    return coarse[(slice(None), slice(None)) + tuple(slice(0, n) for n in spatial)]


def binary_blobs(rng, shape, cell=4):
    return (blob_field(rng, shape, cell) < 0.5).astype(np.float64)


def soft_blobs(rng, shape, cell=4):
    """Smooth soft labels in (0.05, 0.95): the blob field lightly averaged along every axis."""
    f = blob_field(rng, shape, cell)
    for ax in range(2, len(shape)):
        f = (f + np.roll(f, 1, axis=ax) + np.roll(f, -1, axis=ax)) / 3
    return 0.05 + 0.9 * f


def correlated_logits(rng, g, gain=2.5, noise=1.2):
    """Logits that mostly agree with g (so every cs_j mean is clearly positive)."""
    return gain * (2 * g - 1) + noise * rng.normal(size=g.shape)


def multiclass_case(rng, n, c, spatial, cell=4):
    """(logits (n, c, *spatial), label map (n, *spatial)) with blob-shaped classes."""
    field = blob_field(rng, (n, c) + tuple(spatial), cell)
    labels = field.argmax(axis=1)
    onehot = np.stack([labels == k for k in range(c)], axis=1).astype(np.float64)
    return 2.5 * onehot + 1.0 * rng.normal(size=onehot.shape), labels


def binary_case(rng, shape, from_logits=True, cell=4):
    g = binary_blobs(rng, shape, cell)
    x = correlated_logits(rng, g)
    if not from_logits:
        x = 1.0 / (1.0 + np.exp(-x))
    return x, g


# ---------------------------------------------------------------------------------------------
# 1. Oracle self-checks (independent of the new option)
# ---------------------------------------------------------------------------------------------

def test_oracle_pooling_is_block_mean_and_drops_odd_edge():
    a = np.random.default_rng(0).normal(size=(2, 3, 9, 7, 5))
    want = a[:, :, :8, :6, :4].reshape(2, 3, 4, 2, 3, 2, 2, 2).mean(axis=(3, 5, 7))
    np.testing.assert_allclose(avg_pool2(a), want, rtol=1e-14, atol=1e-15)
    assert avg_pool2(np.zeros((1, 1, 45, 40))).shape == (1, 1, 22, 20)


@pytest.mark.parametrize("case", ["2d", "3d", "multiclass"])
def test_oracle_single_scale_matches_library(case):
    """scale_weights=None in the oracle is the installed single-scale ssim_loss (value and, via
    central differences of the oracle, gradient); with scale_weights=(1.0,) the oracle gives
    the same value (the single scale's mean SSIM is positive here)."""
    rng = np.random.default_rng(11)
    if case == "2d":
        x, g = binary_case(rng, (2, 1, 21, 19))
        opts = dict(win_size=7)
    elif case == "3d":
        x, g = binary_case(rng, (1, 2, 12, 11, 10))
        opts = dict(mode="multilabel", win_size=5, kernel_sigma=1.1)
    else:
        x, g = multiclass_case(rng, 2, 3, (18, 17))
        opts = dict(mode="multiclass", win_size=5, include_background=False)
    want = ms_ssim_loss(x, g, **opts)
    assert_close(ss.ssim_loss(x, g, **opts), want, 1e-10, 1e-13, what="single-scale value")
    assert_close(ms_ssim_loss(x, g, scale_weights=(1.0,), **opts), want, 1e-13, 1e-15, what="(1.0,) vs None")
    _, grad = ss.ssim_loss(x, g, return_grad=True, **opts)
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, g, **opts), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="single-scale gradient")


@pytest.mark.parametrize("shape,weights,win", [((2, 1, 48, 40), (0.2, 0.3, 0.5), 7),
                                               ((1, 2, 24, 26, 22), (0.6, 0.4), 5),
                                               ((1, 1, 48, 48), WANG_WEIGHTS, 3)])
def test_oracle_identical_images_give_one(shape, weights, win):
    g = soft_blobs(np.random.default_rng(3), shape)
    v = oracle_values(g, g, weights, from_logits=False, win_size=win)
    np.testing.assert_allclose(v, 1.0, rtol=0, atol=1e-12)
    loss = ms_ssim_loss(g, g, from_logits=False, reduction="none", scale_weights=weights, win_size=win)
    np.testing.assert_allclose(loss, 0.0, atol=1e-12)


def test_oracle_test_data_has_positive_scale_values():
    """The generated value/gradient cases stay away from the max(v, 0) clamp."""
    rng = np.random.default_rng(21)
    x, g = binary_case(rng, (2, 1, 45, 47))
    assert oracle_values(x, g, (0.2, 0.3, 0.5), win_size=7).min() > 0.1
    x, g = multiclass_case(rng, 2, 3, (40, 44))
    assert oracle_values(x, g, (0.5, 0.5, 1.0), mode="multiclass", win_size=5).min() > 0.1


# ---------------------------------------------------------------------------------------------
# 2. Values against the oracle
# ---------------------------------------------------------------------------------------------

VALUE_CASES = [
    # id, shape, mode, scale_weights, options
    ("2d-3scales", (2, 1, 48, 40), "binary", (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-odd", (2, 1, 45, 47), "binary", (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-wang-win3", (1, 1, 48, 52), "binary", WANG_WEIGHTS, dict(win_size=3, kernel_sigma=0.8)),
    ("2d-constants", (2, 1, 37, 44), "binary", (1.0, 2.0), dict(win_size=9, kernel_sigma=2.0, k1=0.02,
                                                               k2=0.05, data_range=1.5)),
    ("3d-2scales", (1, 2, 24, 26, 22), "multilabel", (0.4, 0.6), dict(win_size=5)),
    ("3d-3scales-odd", (1, 1, 23, 26, 21), "binary", (0.3, 0.3, 0.4), dict(win_size=5)),
    ("1d", (3, 1, 101), "binary", (0.25, 0.25, 0.5), dict(win_size=7)),
    ("multilabel-nobg", (2, 3, 40, 36), "multilabel", (0.3, 0.7), dict(win_size=7, include_background=False)),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("cid,shape,mode,weights,opts", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_matches_oracle(cid, shape, mode, weights, opts, from_logits, reduction):
    rng = np.random.default_rng(zlib.crc32(cid.encode()))
    x, g = binary_case(rng, shape, from_logits=from_logits)
    kw = dict(mode=mode, from_logits=from_logits, reduction=reduction, scale_weights=weights, **opts)
    got = ss.ssim_loss(x, g, **kw)
    want = ms_ssim_loss(x, g, **kw)
    if reduction == "none":
        c_kept = shape[1] - (0 if opts.get("include_background", True) else 1)
        assert np.shape(got) == (shape[0], c_kept)
    else:
        assert isinstance(got, float)
    assert_close(got, want, VALUE_RTOL, VALUE_ATOL, what=f"{cid} value")


def test_value_soft_targets():
    rng = np.random.default_rng(7)
    g = soft_blobs(rng, (2, 2, 40, 42))
    x = correlated_logits(rng, g, gain=3.0, noise=0.8)
    kw = dict(mode="multilabel", reduction="none", scale_weights=(0.3, 0.3, 0.4), win_size=5)
    assert_close(ss.ssim_loss(x, g, **kw), ms_ssim_loss(x, g, **kw), VALUE_RTOL, VALUE_ATOL, what="soft")


@pytest.mark.parametrize("include_background", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("from_logits", [True, False])
def test_value_multiclass_label_map(include_background, reduction, from_logits):
    rng = np.random.default_rng(13)
    x, labels = multiclass_case(rng, 2, 3, (40, 44))
    if not from_logits:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        x = e / e.sum(axis=1, keepdims=True)
    kw = dict(mode="multiclass", from_logits=from_logits, reduction=reduction,
              include_background=include_background, scale_weights=(0.5, 0.5, 1.0), win_size=5)
    got = ss.ssim_loss(x, labels, **kw)
    assert_close(got, ms_ssim_loss(x, labels, **kw), VALUE_RTOL, VALUE_ATOL, what="multiclass")
    # A dense one-hot target is the same as the label map.
    onehot = np.stack([labels == k for k in range(3)], axis=1).astype(np.float64)
    assert_close(ss.ssim_loss(x, onehot, **kw), got, 1e-13, 1e-15, what="one-hot vs label map")


def test_none_is_single_scale_and_list_equals_tuple():
    rng = np.random.default_rng(17)
    x, g = binary_case(rng, (2, 1, 30, 28))
    assert ss.ssim_loss(x, g, win_size=5, scale_weights=None) == ss.ssim_loss(x, g, win_size=5)
    a = ss.ssim_loss(x, g, win_size=5, scale_weights=(0.2, 0.8))
    assert ss.ssim_loss(x, g, win_size=5, scale_weights=[0.2, 0.8]) == a


def test_identical_images_give_zero_loss_and_gradient():
    g = soft_blobs(np.random.default_rng(19), (2, 1, 40, 40))
    loss, grad = ss.ssim_loss(g, g, from_logits=False, return_grad=True, win_size=5,
                              scale_weights=(0.2, 0.3, 0.5))
    assert abs(loss) < 1e-12
    assert np.abs(grad).max() < 1e-10


def test_weights_change_the_loss_as_the_oracle_says():
    """Scaling every weight by t raises MS to the power t (so 1 - MS changes)."""
    rng = np.random.default_rng(23)
    x, g = binary_case(rng, (1, 1, 40, 40))
    a = ss.ssim_loss(x, g, win_size=5, scale_weights=(0.25, 0.25, 0.5))
    b = ss.ssim_loss(x, g, win_size=5, scale_weights=(0.5, 0.5, 1.0))
    assert_close(1 - b, (1 - a) ** 2, 1e-12, 1e-15, what="MS^2")


# ---------------------------------------------------------------------------------------------
# 3. Gradients: central differences of the oracle
# ---------------------------------------------------------------------------------------------

GRAD_CASES = [
    ("2d", (2, 1, 45, 40), "binary", True, (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-probs", (2, 1, 48, 41), "binary", False, (0.2, 0.3, 0.5), dict(win_size=7)),
    ("2d-wang", (1, 1, 48, 49), "binary", True, WANG_WEIGHTS, dict(win_size=3, kernel_sigma=0.8)),
    ("3d", (1, 2, 24, 26, 22), "multilabel", True, (0.4, 0.6), dict(win_size=5)),
    ("3d-sum-nobg", (1, 2, 21, 24, 20), "multilabel", False, (0.3, 0.3, 0.4),
     dict(win_size=5, reduction="sum", include_background=False)),
]


@pytest.mark.parametrize("cid,shape,mode,from_logits,weights,opts", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_central_differences(cid, shape, mode, from_logits, weights, opts):
    rng = np.random.default_rng(zlib.crc32(cid.encode()) + 1)
    x, g = binary_case(rng, shape, from_logits=from_logits)
    kw = dict(mode=mode, from_logits=from_logits, scale_weights=weights, **opts)
    loss, grad = ss.ssim_loss(x, g, return_grad=True, **kw)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert_close(loss, ms_ssim_loss(x, g, **kw), VALUE_RTOL, VALUE_ATOL, what="value")
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, g, **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what=f"{cid} gradient")


@pytest.mark.parametrize("include_background", [True, False])
def test_gradient_multiclass(include_background):
    rng = np.random.default_rng(37)
    x, labels = multiclass_case(rng, 2, 3, (40, 36))
    kw = dict(mode="multiclass", scale_weights=(0.5, 0.5, 1.0), win_size=5, include_background=include_background)
    loss, grad = ss.ssim_loss(x, labels, return_grad=True, **kw)
    assert_close(loss, ms_ssim_loss(x, labels, **kw), VALUE_RTOL, VALUE_ATOL, what="value")
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, labels, **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="multiclass gradient")


def test_gradient_grad_output_vjp():
    rng = np.random.default_rng(41)
    x, g = binary_case(rng, (2, 3, 40, 34))
    u = rng.normal(size=(2, 3))
    kw = dict(mode="multilabel", reduction="none", scale_weights=(0.3, 0.7), win_size=7)
    losses, grad = ss.ssim_loss(x, g, return_grad=True, grad_output=u, **kw)
    assert_close(losses, ms_ssim_loss(x, g, **kw), VALUE_RTOL, VALUE_ATOL, what="values")
    coords = random_coords(rng, x.shape)
    num = central_differences(lambda z: ms_ssim_loss(z, g, grad_output=u, **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="vjp")


@pytest.mark.parametrize("case", ["2d", "3d", "multiclass"])
def test_single_weight_is_ssim_loss(case):
    """scale_weights=(1.0,): exactly ssim_loss's value, its gradient to 1e-12."""
    rng = np.random.default_rng(43)
    if case == "2d":
        x, g = binary_case(rng, (2, 1, 33, 30))
        opts = dict(win_size=7)
    elif case == "3d":
        x, g = binary_case(rng, (1, 2, 14, 13, 12))
        opts = dict(mode="multilabel", win_size=5)
    else:
        x, g = multiclass_case(rng, 2, 3, (20, 22))
        opts = dict(mode="multiclass", win_size=5, include_background=False)
    want, want_grad = ss.ssim_loss(x, g, return_grad=True, **opts)
    got, got_grad = ss.ssim_loss(x, g, return_grad=True, scale_weights=(1.0,), **opts)
    assert got == want, f"value {got!r} != ssim_loss {want!r} (diff {got - want:.3e})"
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=1e-12 * np.abs(want_grad).max())


# ---------------------------------------------------------------------------------------------
# 4. float32
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,mode,weights,win", [((2, 1, 48, 40), "binary", (0.2, 0.3, 0.5), 7),
                                                    ((1, 2, 24, 26, 22), "multilabel", (0.4, 0.6), 5)])
def test_float32_agrees_with_float64(shape, mode, weights, win):
    rng = np.random.default_rng(47)
    x, g = binary_case(rng, shape)
    x32, g32 = x.astype(np.float32), g.astype(np.float32)
    kw = dict(mode=mode, scale_weights=weights, win_size=win)
    l32, g32_grad = ss.ssim_loss(x32, g32, return_grad=True, **kw)
    l64, g64_grad = ss.ssim_loss(x32.astype(np.float64), g32.astype(np.float64), return_grad=True, **kw)
    assert g32_grad.dtype == np.float32
    assert_close(l32, l64, 1e-5, 1e-7, what="float32 value")
    scale = np.abs(g64_grad).max()
    np.testing.assert_allclose(g32_grad, g64_grad, rtol=1e-4, atol=1e-5 * scale)


# ---------------------------------------------------------------------------------------------
# 5. Negative cs mean: MS clamps to 0, loss 1, zero gradient
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("from_logits", [False, True])
def test_anticorrelated_gives_one_and_zero_gradient(from_logits):
    rng = np.random.default_rng(53)
    g = soft_blobs(rng, (2, 1, 44, 40))
    p = 1.0 - g
    x = np.log(p / (1 - p)) if from_logits else p
    weights = (0.2, 0.3, 0.5)
    v = oracle_values(x, g, weights, from_logits=from_logits, win_size=5)
    assert (v[..., 0] < 0).all()  # the oracle agrees that the first cs mean is negative
    assert ms_ssim_loss(x, g, from_logits=from_logits, scale_weights=weights, win_size=5) == 1.0
    loss, grad = ss.ssim_loss(x, g, from_logits=from_logits, return_grad=True, scale_weights=weights, win_size=5)
    assert loss == 1.0
    assert not grad.any(), f"max |grad| = {np.abs(grad).max():.3e}"


def test_clamp_is_per_plane():
    """One anti-correlated plane (loss 1, zero gradient) next to an ordinary one."""
    rng = np.random.default_rng(59)
    x, g = binary_case(rng, (2, 1, 44, 40), from_logits=False)
    x[0] = 1.0 - soft_blobs(rng, (1, 1, 44, 40))[0]
    g[0] = 1.0 - x[0]
    kw = dict(from_logits=False, reduction="none", scale_weights=(0.2, 0.3, 0.5), win_size=5)
    want = ms_ssim_loss(x, g, **kw)
    assert want[0, 0] == 1.0 and 0 < want[1, 0] < 1
    losses, grad = ss.ssim_loss(x, g, return_grad=True, grad_output=np.ones((2, 1)), **kw)
    assert_close(losses, want, VALUE_RTOL, VALUE_ATOL, what="values")
    assert not grad[0].any()
    coords = [c for c in random_coords(rng, x.shape, 24) if c[0] == 1][:12]
    num = central_differences(lambda z: ms_ssim_loss(z, g, grad_output=np.ones((2, 1)), **kw), x, coords)
    assert_close(np.array([grad[c] for c in coords]), num, 1e-5, 1e-9, what="ordinary plane gradient")


# ---------------------------------------------------------------------------------------------
# 6. Errors and the hybrids
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
# 7. The exported weights
# ---------------------------------------------------------------------------------------------

def test_ms_ssim_weights_exported():
    w = ss.MS_SSIM_WEIGHTS
    assert len(w) == 5
    np.testing.assert_allclose(w, WANG_WEIGHTS, rtol=0, atol=1e-12)
    # Wang et al.'s published (rounded) weights sum to 1.0001, not 1 (MONAI and
    # pytorch_msssim use them unnormalised); the exported tuple keeps the published values.
    assert math.isclose(sum(w), 1.0001, rel_tol=0, abs_tol=1e-9)
    assert all(isinstance(v, float) for v in w)
