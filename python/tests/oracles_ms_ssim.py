"""Multi-scale SSIM oracle: an independent float64 NumPy implementation of
``ssim_loss(..., scale_weights=(w_1, ..., w_M))`` (written from the specification, sharing no
code with the library's other SSIM oracles), the central differences the gradient tests use,
and the test-data builders of test_ms_ssim_*.py.

Definition implemented (Wang, Simoncelli & Bovik 2003; MONAI ``MultiScaleSSIMMetric``), per
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

``scale_weights=None`` is the single-scale ``1 - mean(S)`` (unclamped).
"""
from __future__ import annotations

import numpy as np

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
