"""Shared pieces of the peer comparisons (test_torch_native.py, test_torch_monai.py): the
tolerances, the random inputs, and running our loss and a peer on them in torch float64
(value and autograd gradient with respect to the input).

Inputs are small: binary (C = 1), multilabel (C = 3, sigmoid) and multiclass (C = 3,
softmax, label maps (N, H, W) for us and (N, 1, H, W) with ``to_onehot_y=True`` for MONAI),
2-D (2 x C x 9 x 7) and 3-D (2 x C x 5 x 6 x 4).

Tolerance: rtol 1e-9 where the peer does the same float64 maths (only the summation order
differs); looser, with the reason next to the constant, where MONAI rounds part of the
computation to float32 (FocalLoss casts its inputs, GeneralizedDiceLoss its weights,
HausdorffDTLoss / BoundaryLoss their distance maps, NACLLoss its filtered one-hot
target, SSIMLoss everything). Gradients: elementwise ``|ours - peer| <= tol * (|peer| +
max |peer|)``.
"""
from __future__ import annotations

import warnings

import numpy as np

from conftest import assert_close, optional_module

torch = optional_module("torch")

import semsegloss_swift.torch as sst  # noqa: E402  (after the optional-dependency gate)
from semsegloss_swift.presets import preset  # noqa: E402


# ============================================================================ tolerances

#: Same float64 maths on both sides: only the summation order differs.
EXACT = 1e-9
#: MONAI's GeneralizedDiceLoss computes its class weights from ``ground_o.float()``
#: (float32 1/G^2, relative error ~6e-8; seen: 3e-9 on the value, 3e-8 on the gradient).
F32_WEIGHTS = 1e-6
#: MONAI's FocalLoss.forward runs ``input.float()`` / ``target.float()``: the focal terms
#: (also inside DiceFocal / GeneralizedDiceFocal) are float32 (seen: 1e-7 / 3e-7).
F32_FOCAL = 2e-6
#: HausdorffDTLoss and BoundaryLoss cast their distance maps to float32 (seen: 1e-8 / 7e-8).
F32_DISTANCE = 1e-6
#: NACLLoss filters a float32 one-hot target with a float32 kernel (seen: 5e-10 / 1.3e-9).
F32_FILTER = 1e-7
#: SSIMLoss converts both images to float32 (``convert_data_type(dtype=torch.float)``) and
#: its variances E[x^2] - E[x]^2 cancel (seen: 4e-7 on the value and the gradient).
F32_SSIM = 1e-5
#: ``smooth`` of MONAI 1.6's SoftclDiceLoss (harmonic-mean epsilon, must be > 0): this
#: small it vanishes next to Tprec + Tsens ~ 1, as in our formula (no epsilon).
NO_EPSILON = 1e-300

IGNORE = 255
C = 3
SPATIAL_2D = (9, 7)
SPATIAL_3D = (5, 6, 4)
#: Class weights of the C classes.
W3 = [0.2, 1.0, 3.0]


# ============================================================================ data
# Every generator returns (input, our target, the peer's target), float64 inputs.

def _rng(seed):
    return np.random.default_rng(seed)


def _logits(rng, shape):
    """N(0, 2) logits, none within 1e-3 of 0 (sigmoid 0.5: the distance losses threshold
    there, and an L1 penalty has its kink nowhere near)."""
    z = rng.normal(0.0, 2.0, shape)
    return np.where(np.abs(z) < 1e-3, z + 0.01, z)


def _probs(rng, shape):
    """Probabilities in (0.02, 0.98) (no peer clamp at 1e-7 is active), none within 1e-3
    of the 0.5 threshold."""
    p = rng.uniform(0.02, 0.98, shape)
    return np.where(np.abs(p - 0.5) < 1e-3, p + 0.01, p)


def _hard(rng, shape, empty=()):
    """0/1 target with a foreground and a background voxel in every (image, channel),
    except the (image, channel) pairs of ``empty``, which are all background."""
    g = (rng.random(shape) < 0.4).astype(np.float64)
    for b in range(shape[0]):
        for c in range(shape[1]):
            flat = g[b, c].reshape(-1)
            flat[0], flat[1] = 1.0, 0.0
    for index in empty:
        g[index] = 0.0
    return g


def binary(seed=0, spatial=SPATIAL_2D, probs=False, empty=True, ignore=False):
    """(2, 1, *spatial); image 1 has an empty target when ``empty``; with ``ignore`` a
    block of image 0 holds the ignore value 255."""
    rng = _rng(seed)
    shape = (2, 1) + spatial
    x = _probs(rng, shape) if probs else _logits(rng, shape)
    g = _hard(rng, shape, empty=[(1,)] if empty else [])
    if ignore:
        g[0, 0, :2, :3] = IGNORE
    return x, g, g


def multilabel(seed=1, spatial=SPATIAL_2D, probs=False, empty=True, soft=False):
    """(2, 3, *spatial); (image 1, channel 2) empty when ``empty``; ``soft``: targets
    uniform in [0, 1]."""
    rng = _rng(seed)
    shape = (2, C) + spatial
    x = _probs(rng, shape) if probs else _logits(rng, shape)
    if soft:
        g = rng.uniform(0.0, 1.0, shape)
        if empty:
            g[1, 2] = 0.0
    else:
        g = _hard(rng, shape, empty=[(1, 2)] if empty else [])
    return x, g, g


def _labels(rng, n, c, spatial, absent=True):
    """Label map (n, *spatial): every class in image 0; class c-1 absent from image 1 when
    ``absent`` (its other classes present)."""
    lab = rng.integers(0, c - 1 if absent else c, (n,) + spatial)
    for b in range(n):
        k = c - 1 if (absent and b == 1) else c
        flat = lab[b].reshape(-1)
        flat[:k] = np.arange(k)
    return lab.astype(np.int64)


def _onehot(labels, c):
    return np.moveaxis(np.eye(c)[labels], -1, 1)


def multiclass(seed=2, spatial=SPATIAL_2D, c=C, absent=True, ignore=False, dense_peer=False,
               probs=False):
    """Logits (2, c, *spatial), our label map (2, *spatial) and MONAI's (2, 1, *spatial)
    (or a float64 one-hot target with ``dense_peer``); class c-1 absent from image 1 when
    ``absent``; ``ignore``: some voxels labelled 255 in both images. ``probs``: softmax
    probabilities instead of logits."""
    rng = _rng(seed)
    x = _logits(rng, (2, c) + spatial)
    if probs:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        x = e / e.sum(axis=1, keepdims=True)
    lab = _labels(rng, 2, c, spatial, absent=absent)
    if ignore:
        lab[0, -2:, :3] = IGNORE
        lab[1, -1, -1] = IGNORE
    peer = _onehot(lab, c) if dense_peer else lab[:, None]
    return x, lab, peer


def one_image(data):
    """The first image of a data generator's arrays."""
    return lambda: tuple(a[:1] for a in data())


def label_maps(data):
    """A multiclass generator whose peer target is our (N, *spatial) label map too."""
    return lambda: (lambda d: (d[0], d[1], d[1]))(data())


# ============================================================================ running both sides

def _run(fn, x, t):
    """(value, d value / d x) of fn(x, t) in torch float64, x a leaf requiring grad."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MONAI's single-channel warnings
        value = fn(xt, torch.as_tensor(t))
    assert value.dim() == 0, value.shape
    value.backward()
    return value.item(), xt.grad.detach().numpy().copy()


def _compare(ours, peer, tol, what=""):
    (v_ours, g_ours), (v_peer, g_peer) = ours, peer
    assert np.isfinite(v_peer) and np.isfinite(g_peer).all(), f"{what}: peer not finite"
    assert_close(v_ours, v_peer, rtol=tol, atol=1e-15, what=f"{what} value")
    assert_close(g_ours, g_peer, rtol=tol, atol=tol * float(np.abs(g_peer).max()), what=f"{what} gradient")
    assert np.abs(g_peer).max() > 0, f"{what}: the peer's gradient is zero (nothing compared)"


def O(loss, **overrides):
    """Our side: a torch module (``sst.Loss``) of a MONAI preset name (with overrides) or
    of a loss object."""
    if isinstance(loss, str):
        return sst.Loss(preset("monai", loss, **overrides))
    assert not overrides
    return sst.Loss(loss)
