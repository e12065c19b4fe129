"""Every loss of the catalogue (`ss.LOSSES`) through the Python API, in every mode it takes:
central differences against the analytic gradient in float64, the edge cases of the
project's standard (empty and full masks, logits of +-30, 1x1 and odd sizes, 3-D, all
voxels ignored) with finite results, unmodified inputs and float32 close to float64, and a
clear ValueError naming the argument for the modes a loss does not take.

The family test files check each loss against its NumPy oracle and its option families;
this sweep guards the properties every loss shares, so that a new loss or a change in the
C layer cannot miss one.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import semsegloss_swift as ss

NAMES = sorted(ss.LOSSES)
#: Softmax losses: need at least two channels.
MULTICLASS_ONLY = {"cross_entropy_loss", "top_k_ce_loss", "nacl_loss", "poly_loss",
                   "generalized_wasserstein_dice_loss"}
#: Sigmoid-per-channel losses that reject mode="multiclass" (each names its softmax sibling).
NO_MULTICLASS = {"bce_loss", "weighted_bce_loss", "balanced_bce_loss", "dice_bce_loss", "lovasz_hinge_loss",
                 "distance_penalized_ce_loss", "shape_aware_loss"}
#: Losses with an SSIM part: the window (11) needs images at least that large, and no
#: ignore_index.
WINDOWED = {"ssim_loss", "unet3p_hybrid_loss", "basnet_hybrid_loss"}
#: lam = HD / Dice is held constant in the gradient (documented; SegLoss detaches it), so
#: the gradient is not the derivative of the value. Checked against its parts instead.
DETACHED_WEIGHT = {"dice_hausdorff_dt_loss"}


def options(name):
    return inspect.signature(ss.LOSSES[name]).parameters


def spatial(name, three_d=False):
    if name in WINDOWED:
        return (11, 11, 12) if three_d else (12, 13)
    return (3, 4, 5) if three_d else (5, 6)


def cases(name):
    """(id, input, target, options) for every mode the loss takes, float64."""
    rng = np.random.default_rng(sorted(ss.LOSSES).index(name))
    out = []
    if name not in MULTICLASS_ONLY:
        for tag, sp in (("binary", spatial(name)), ("binary-3d", spatial(name, True))):
            x = rng.standard_normal((2, 1) + sp) * 1.5
            out.append((tag, x, (rng.random(x.shape) < 0.4).astype(np.float64), {}))
        if "from_logits" in options(name):
            x = rng.standard_normal((2, 1) + spatial(name)) * 1.5
            out.append(("probabilities", 1 / (1 + np.exp(-x)), (rng.random(x.shape) < 0.4).astype(np.float64),
                        {"from_logits": False}))
        if "mode" in options(name):
            x = rng.standard_normal((2, 2) + spatial(name)) * 1.5
            out.append(("multilabel", x, (rng.random(x.shape) < 0.4).astype(np.float64), {"mode": "multilabel"}))
    if name not in NO_MULTICLASS and "mode" in options(name):
        sp = spatial(name)
        x = rng.standard_normal((2, 3) + sp) * 1.5
        labels = rng.integers(0, 3, (2,) + sp)
        out.append(("multiclass", x, labels, {"mode": "multiclass"}))
        if "ignore_index" in options(name) and name not in WINDOWED:
            labels = labels.copy()
            labels[0, 0, :3] = 255
            out.append(("multiclass-ignore", x, labels, {"mode": "multiclass", "ignore_index": 255}))
    return out


SWEEP = [(name, tag, x, t, kw) for name in NAMES for tag, x, t, kw in cases(name)]
SWEEP_IDS = [f"{name}-{tag}" for name, tag, *_ in SWEEP]


def test_every_loss_has_a_case():
    assert {name for name, *_ in SWEEP} == set(ss.LOSSES)


@pytest.mark.parametrize("name,tag,x,t,kw", SWEEP, ids=SWEEP_IDS)
def test_gradient_matches_central_differences(name, tag, x, t, kw):
    fn = ss.LOSSES[name]
    value, grad = fn(x, t, return_grad=True, **kw)
    assert np.isfinite(value) and grad.shape == x.shape and grad.dtype == np.float64
    rng = np.random.default_rng(7)
    coords = [tuple(int(rng.integers(0, s)) for s in x.shape) for _ in range(6)]
    if name in DETACHED_WEIGHT:
        # (HD / Dice) grad(Dice) + grad(HD), both parts differentiated numerically.
        dice, hd = (lambda v: ss.dice_loss(v, t, **kw)), (lambda v: ss.hausdorff_dt_loss(v, t, **kw))
        lam = hd(x) / dice(x)
        parts = [dice, hd]
    else:
        lam, parts = None, [lambda v: fn(v, t, **kw)]
    eps = 1e-6
    for c in coords:
        def diff(f):
            up, down = x.copy(), x.copy()
            up[c] += eps
            down[c] -= eps
            return (f(up) - f(down)) / (2 * eps)
        numeric = diff(parts[0]) * lam + diff(parts[1]) if lam is not None else diff(parts[0])
        assert abs(grad[c] - numeric) <= 1e-6 + 1e-4 * abs(numeric), \
            f"{name} ({tag}) at {c}: analytic {grad[c]!r}, central difference {numeric!r}"


EDGE = ["empty", "empty-predicted", "full", "logits+-30", "1x1", "odd", "3d-odd"]


def edge_arrays(name, kind, dtype):
    """Binary (or, for the softmax losses, two-channel one-hot) input and target."""
    rng = np.random.default_rng(EDGE.index(kind))
    sp = {"1x1": (1, 1), "odd": (3, 7), "3d-odd": (3, 1, 5)}.get(kind, (4, 5))
    if name in WINDOWED:
        sp = (11, 13) if kind != "3d-odd" else (11, 11, 13)
    shape = (2, 1) + sp
    if kind == "empty":
        x, g = np.full(shape, -30.0), np.zeros(shape)
    elif kind == "empty-predicted":
        x, g = np.full(shape, 30.0), np.zeros(shape)
    elif kind == "full":
        x, g = np.full(shape, 30.0), np.ones(shape)
    elif kind == "logits+-30":
        g = (rng.random(shape) < 0.5).astype(np.float64)
        x = np.where(rng.random(shape) < 0.5, 30.0, -30.0)
    else:
        x, g = rng.standard_normal(shape) * 2, (rng.random(shape) < 0.4).astype(np.float64)
    if name in MULTICLASS_ONLY:  # the same problem as two softmax channels
        x, g = np.concatenate([-x / 2, x / 2], axis=1), np.concatenate([1 - g, g], axis=1)
    return x.astype(dtype), g.astype(dtype)


@pytest.mark.parametrize("kind", EDGE)
@pytest.mark.parametrize("name", NAMES)
def test_edge_cases_are_finite_and_leave_inputs_alone(name, kind):
    results = {}
    for dtype in (np.float64, np.float32):
        x, g = edge_arrays(name, kind, dtype)
        x0, g0 = x.copy(), g.copy()
        value, grad = ss.LOSSES[name](x, g, return_grad=True)
        assert np.array_equal(x, x0) and np.array_equal(g, g0), f"{name}: input modified"
        assert grad.shape == x.shape and grad.dtype == dtype
        assert np.isfinite(value), f"{name} ({kind}, {dtype.__name__}): loss {value}"
        assert np.all(np.isfinite(grad)), f"{name} ({kind}, {dtype.__name__}): non-finite gradient"
        results[dtype] = (float(value), grad.astype(np.float64))
    (v64, g64), (v32, g32) = results[np.float64], results[np.float32]
    # float32 agrees with float64 up to its rounding (the distance maps and sorts are
    # exact in both; saturated sigmoids clamp at the dtype's epsilon, hence the atol).
    assert abs(v32 - v64) <= 2e-3 * max(1.0, abs(v64)), f"{name} ({kind}): f32 {v32} vs f64 {v64}"
    assert np.max(np.abs(g32 - g64)) <= 2e-3 * max(1.0, float(np.max(np.abs(g64)))), f"{name} ({kind}): gradients"


@pytest.mark.parametrize("name", [n for n in NAMES if "ignore_index" in options(n) and n not in WINDOWED])
def test_all_voxels_ignored_gives_zero_loss_and_gradient(name):
    rng = np.random.default_rng(3)
    if name in MULTICLASS_ONLY:
        x, t, kw = rng.standard_normal((2, 3, 4, 5)), np.full((2, 4, 5), 255), {"mode": "multiclass"}
    else:
        x, t, kw = rng.standard_normal((2, 1, 4, 5)), np.full((2, 1, 4, 5), 255.0), {}
    value, grad = ss.LOSSES[name](x, t, ignore_index=255, return_grad=True, **kw)
    assert value == 0.0 and np.all(grad == 0.0), f"{name}: loss {value}, max |grad| {np.abs(grad).max()}"


@pytest.mark.parametrize("name", sorted(NO_MULTICLASS))
def test_sigmoid_losses_reject_multiclass_by_name(name):
    x, labels = np.zeros((1, 3, 4, 4)), np.zeros((1, 4, 4), np.int64)
    with pytest.raises(ValueError, match=r"^mode: "):
        ss.LOSSES[name](x, labels, mode="multiclass")


@pytest.mark.parametrize("name", sorted(MULTICLASS_ONLY))
def test_softmax_losses_reject_one_channel_by_name(name):
    with pytest.raises(ValueError, match=r"^input: .*at least 2 channels"):
        ss.LOSSES[name](np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize("name", sorted(WINDOWED))
def test_windowed_losses_reject_small_images_and_ignore_index_by_name(name):
    x = np.zeros((1, 1, 5, 5))
    with pytest.raises(ValueError, match=r"^input: .*win_size"):
        ss.LOSSES[name](x, x)
    y = np.zeros((1, 1, 12, 12))
    with pytest.raises(ValueError, match=r"^ignore_index: "):
        ss.LOSSES[name](y, y, ignore_index=255)


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
@pytest.mark.parametrize("name", [n for n in NAMES if n not in MULTICLASS_ONLY])
def test_mask_without_channel_axis_is_told_the_remedy(name, dtype):
    """Logits (N, 1, H, W) with masks (N, H, W): a ValueError naming `target` that says to
    pass target[:, None], for every loss that takes one channel; with the axis added the
    call works."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 1) + spatial(name))
    mask = (rng.random((2,) + spatial(name)) < 0.4).astype(dtype)
    with pytest.raises(ValueError, match=r"^target: .*target\[:, None\]"):
        ss.LOSSES[name](x, mask)
    assert np.isfinite(ss.LOSSES[name](x, mask[:, None]))
