"""distance_weighted_dice_loss through the public API: a SciPy oracle (exact EDTs), SegLoss's
DistBinaryDiceLoss formula written out in NumPy, finite-difference gradients, SegLoss's NaN
cases, edges and bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

import oracles as core
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming
from strategies import include_background, problems

NAME = "distance_weighted_dice_loss"


def weights(mask, valid, spacing=None):
    """w = 1 + phi of one plane: phi = (M - e)/(M - m) per side over the valid voxels."""
    if mask.all() or not mask.any():
        return np.ones(mask.shape)
    e = np.where(mask, ndimage.distance_transform_edt(mask, sampling=spacing),
                 ndimage.distance_transform_edt(~mask, sampling=spacing))
    phi = np.zeros(mask.shape)
    for side in (mask, ~mask):
        sel = side & valid
        if sel.any():
            top, low = e[sel].max(), e[sel].min()
            phi[side] = (top - e[side]) / (top - low) if top > low else 1.0
    return 1 + phi


def oracle(input, target, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
           include_background=True, smooth_nr=1e-5, smooth_dr=1e-5, batch=False, empty="smooth", spacing=None):
    p, g, valid = core.probabilities_and_targets(input, target, mode, from_logits, ignore_index)
    w = np.ones(p.shape)
    for b in range(p.shape[0]):
        for c in range(p.shape[1]):
            w[b, c] = weights((g[b, c] > 0.5) & valid[b, c], valid[b, c], spacing)
    c0 = 0 if include_background else 1
    axes = tuple(range(2, p.ndim))
    tp, ps, gs = ((p * g * w).sum(axes), p.sum(axes), g.sum(axes))
    nv = valid.sum(axes)
    if batch:
        tp, ps, gs, nv = tp.sum(0), ps.sum(0), gs.sum(0), nv.sum(0)
    losses = 1 - (2 * tp + smooth_nr) / (ps + gs + smooth_dr)
    if empty == "penalize_fp":  # an empty target: P/(P + 1)
        losses = np.where(gs == 0, ps / (ps + 1), losses)
    losses = losses[..., c0:]
    keep = (nv > 0)[..., c0:]
    if empty == "skip":
        keep &= (gs > 0)[..., c0:]
    if reduction == "none":  # NaN for a skipped entry; 0 for one without valid voxels
        return np.where(keep, losses, np.where((nv > 0)[..., c0:] & (empty == "skip"), np.nan, 0.0))
    total = losses[keep].sum()
    return total / max(keep.sum(), 1) if reduction == "mean" else total


def segloss_dist_binary_dice(logits, labels, smooth=1e-5):
    """SegLoss's DistBinaryDiceLoss.forward in NumPy: 2-channel softmax, its
    compute_edts_forPenalizedLoss (pos/max + neg/max) + 1, Dice of channel 1 per image."""
    e = np.exp(logits - logits.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    gt = labels.astype(bool)
    dist = np.zeros(gt.shape)
    for i in range(gt.shape[0]):
        pos = ndimage.distance_transform_edt(gt[i])
        pos = (pos.max() - pos) * gt[i]
        neg = ndimage.distance_transform_edt(~gt[i])
        neg = (neg.max() - neg) * ~gt[i]
        with np.errstate(invalid="ignore", divide="ignore"):
            dist[i] = pos / pos.max() + neg / neg.max()
    dist += 1
    axes = tuple(range(1, gt.ndim))
    tp = (p[:, 1] * gt * dist).sum(axes)
    dc = (2 * tp + smooth) / (p[:, 1].sum(axes) + gt.sum(axes) + smooth)
    return 1 - dc.mean()


@pytest.mark.parametrize("spacing", [(2.0, 0.5), (1.0, 3.0, 0.7)], ids=["2-D", "3-D"])
def test_spacing_matches_oracle(rng, spacing):
    """Anisotropic voxels change the normalised maps (distances in spacing units)."""
    shape = (2, 1) + (7, 9, 8)[:len(spacing)]
    x = rng.normal(0, 2, shape)
    g = (rng.random(shape) < 0.4).astype(np.float64)
    got, grad = ss.distance_weighted_dice_loss(x, g, spacing=spacing, return_grad=True)
    assert got == pytest.approx(oracle(x, g, spacing=spacing), rel=1e-12)
    assert got != ss.distance_weighted_dice_loss(x, g)
    fn = lambda v: ss.distance_weighted_dice_loss(v, g, spacing=spacing)  # noqa: E731
    np.testing.assert_allclose(grad, numeric_grad(fn, x), rtol=1e-5, atol=1e-8)
    raises_naming(ValueError, ss.distance_weighted_dice_loss, x, g, spacing=(1.0,) * (len(spacing) + 1),
                  names=["spacing"])


def test_doc_example():
    p = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
    g = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    got = ss.distance_weighted_dice_loss(p, g, from_logits=False, smooth_nr=0, smooth_dr=0)
    assert got == pytest.approx(1 - 2 * (2 * 0.9 + 2 * 0.7) / 3.9, rel=1e-12)


def test_segloss_formula_3d(rng):
    """SegLoss's own computation on 3-D blobs where it is defined: the same numbers."""
    logits = rng.normal(0, 2, (2, 2, 6, 7, 8))
    zz, yy, xx = np.mgrid[:6, :7, :8]
    labels = np.stack([((zz - 2.5) ** 2 + (yy - 3) ** 2 + (xx - 4) ** 2 < 7).astype(np.int64),
                       ((zz - 3) ** 2 / 4 + (yy - 2) ** 2 + (xx - 5) ** 2 / 2 < 3).astype(np.int64)])
    want = segloss_dist_binary_dice(logits, labels)
    got = ss.distance_weighted_dice_loss(logits, labels, mode="multiclass", include_background=False)
    assert got == pytest.approx(want, rel=1e-12)


def test_segloss_nan_cases_are_finite(rng):
    """A one-voxel-thin line and an empty image: SegLoss divides 0 by 0."""
    logits = rng.normal(0, 2, (2, 2, 3, 5, 5))
    labels = np.zeros((2, 3, 5, 5), np.int64)
    labels[0, :, 2, :] = 1  # a thin slab: every object voxel at distance 1
    with np.errstate(invalid="ignore"):
        assert np.isnan(segloss_dist_binary_dice(logits, labels))
    loss, grad = ss.distance_weighted_dice_loss(logits, labels, mode="multiclass", include_background=False,
                                                return_grad=True)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(oracle(logits, labels, mode="multiclass", include_background=False), rel=1e-12)
    # the empty image alone is plain Dice
    empty = ss.distance_weighted_dice_loss(logits[1:], labels[1:], mode="multiclass", include_background=False)
    assert empty == pytest.approx(ss.dice_loss(logits[1:], labels[1:], mode="multiclass", include_background=False),
                                  rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(data=st.data())
def test_matches_oracle(dtype, data):
    pr = data.draw(problems()).astype(dtype)
    opts = dict(pr.common(), reduction=data.draw(st.sampled_from(["mean", "sum", "none"])),
                include_background=include_background(data.draw, pr),
                batch=data.draw(st.booleans()), empty=data.draw(st.sampled_from(["smooth", "skip", "penalize_fp"])),
                smooth_nr=data.draw(st.sampled_from([1e-5, 1.0, 0.0])), smooth_dr=data.draw(st.sampled_from([1e-5, 1.0])))
    got = ss.distance_weighted_dice_loss(pr.x, pr.g, **opts)
    tol = (1e-10, 1e-12) if dtype == np.float64 else (2e-5, 2e-5)
    assert_close(got, oracle(pr.x, pr.g, **opts), *tol, what=f"{opts}")


FAMILIES = {
    "binary logits 2-D": ((2, 1, 5, 6), dict()),
    "multilabel probabilities ignore batch": ((1, 2, 4, 4), dict(mode="multilabel", from_logits=False,
                                                                 ignore_index=255.0, batch=True)),
    "3-D smooth 1": ((1, 1, 3, 3, 4), dict(smooth_nr=1.0, smooth_dr=1.0)),
    "multiclass labels no background": ((2, 3, 4, 4), dict(mode="multiclass", include_background=False)),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_gradient_finite_differences(family, rng):
    shape, opts = FAMILIES[family]
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    if opts.get("mode") == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        g = (rng.random(shape) < 0.5).astype(np.float64)
        if "ignore_index" in opts:
            g.flat[[1, 6]] = 255
    _, grad = ss.distance_weighted_dice_loss(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: ss.distance_weighted_dice_loss(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=family)


def test_edges_and_bad_input(rng):
    fn = ss.distance_weighted_dice_loss
    for g in (np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.eye(3).reshape(1, 1, 3, 3), np.ones((1, 1, 1, 1))):
        for s in (30.0, -30.0, 300.0):
            loss, grad = fn(np.full(g.shape, s), g, return_grad=True)
            assert np.isfinite(loss) and -1 <= loss <= 1 and np.all(np.isfinite(grad))
    loss, grad = fn(rng.normal(size=(1, 1, 2, 2)), np.full((1, 1, 2, 2), 255.0), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()
    x, g = np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3))
    raises_naming(ValueError, fn, x, g, smooth_nr=-1.0, names=["smooth_nr"])
    raises_naming(ValueError, fn, x, g, empty="never", names=["empty"])
    raises_naming(ValueError, fn, x, g * 2, names=["target"])
    raises_naming(ValueError, fn, x, g[0], names=["target"])
    raises_naming(TypeError, ss.LOSS_CLASSES[NAME], soft_label=True, names=["soft_label"])
    bad = x.copy()
    bad[0, 0, 1, 1] = np.nan
    raises_naming(ValueError, fn, bad, g, names=["input"])
    x0, g0 = x.copy(), g.copy()
    ss.LOSS_CLASSES[NAME]()(x, g, return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
