"""Surface-distance metrics (HD, HD95, ASSD, NSD) against NumPy + SciPy oracles (issue 4)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

import semsegloss_swift as ss
from semsegloss_swift import metrics

RNG = np.random.default_rng(99)


# ---------------------------------------------------------------- oracle (medpy / MONAI recipe)

def surface(mask):
    """mask ^ binary_erosion(mask), default (face) structure, outside = background."""
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def directed(a, b, spacing):
    """Distances from each surface voxel of a to the surface of b (C order)."""
    sa, sb = surface(a), surface(b)
    if not sb.any():
        return np.full(int(sa.sum()), np.inf)
    field = ndimage.distance_transform_edt(~sb, sampling=spacing)
    return field[sa]


def oracle(name, p, g, spacing=None, percentile=None, directed_only=False, mode="pooled", tolerance=1.0):
    if not p.any() or not g.any():
        if name == "normalized_surface_dice" and (p.any() or g.any()):
            return 0.0
        return math.nan
    ab, ba = directed(p, g, spacing), directed(g, p, spacing)
    if name == "hausdorff_distance":
        if percentile is None:
            return ab.max() if directed_only else max(ab.max(), ba.max())
        if directed_only:
            return np.percentile(ab, percentile)
        if mode == "pooled":
            return np.percentile(np.concatenate([ab, ba]), percentile)
        return max(np.percentile(ab, percentile), np.percentile(ba, percentile))
    if name == "average_surface_distance":
        return ab.mean() if directed_only else np.concatenate([ab, ba]).mean()
    return ((ab <= tolerance).sum() + (ba <= tolerance).sum()) / (ab.size + ba.size)


def blobs(shape, count, rng=RNG):
    """Random union of balls: realistic masks with a few objects."""
    grid = np.indices(shape)
    mask = np.zeros(shape, bool)
    for _ in range(count):
        centre = [rng.uniform(0, n) for n in shape]
        radius = rng.uniform(1, max(2, min(shape) / 3))
        mask |= sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius ** 2
    return mask


CASES = [((1, 1, 40, 50), None), ((2, 1, 32, 32), (0.5, 2.0)), ((1, 1, 8, 16, 12), (3.0, 1.0, 0.7)),
         ((2, 2, 20, 24), (1.0, 1.0)), ((1, 1, 60), (0.25,))]


def batch(shape):
    n, c = shape[:2]
    p = np.stack([np.stack([blobs(shape[2:], 3) for _ in range(c)]) for _ in range(n)])
    g = np.stack([np.stack([blobs(shape[2:], 2) for _ in range(c)]) for _ in range(n)])
    return p.astype(np.float64), g.astype(np.float64)


@pytest.mark.parametrize("shape,spacing", CASES, ids=str)
@pytest.mark.parametrize("variant", [
    ("hausdorff_distance", {}), ("hausdorff_distance", {"percentile": 95}),
    ("hausdorff_distance", {"percentile": 95, "percentile_mode": "max_of_directed"}),
    ("hausdorff_distance", {"directed": True}), ("hausdorff_distance", {"percentile": 50, "directed": True}),
    ("average_surface_distance", {}), ("average_surface_distance", {"directed": True}),
    ("normalized_surface_dice", {"tolerance": 1.0}), ("normalized_surface_dice", {"tolerance": 2.5}),
], ids=lambda v: f"{v[0]}{v[1]}")
def test_metric_matches_oracle(shape, spacing, variant):
    name, opts = variant
    p, g = batch(shape)
    mode = "multilabel" if shape[1] > 1 else "binary"
    got = getattr(metrics, name)(p, g, spacing=spacing, mode=mode, reduction="none", **opts)
    assert got.shape == shape[:2]
    kw = dict(percentile=opts.get("percentile"), directed_only=opts.get("directed", False),
              mode="pooled" if opts.get("percentile_mode", "pooled") == "pooled" else "max",
              tolerance=opts.get("tolerance", 1.0))
    want = np.array([[oracle(name, p[i, j] > 0.5, g[i, j] > 0.5, spacing, **kw) for j in range(shape[1])]
                     for i in range(shape[0])])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    mean = getattr(metrics, name)(p, g, spacing=spacing, mode=mode, **opts)
    assert mean == pytest.approx(np.nanmean(want), rel=1e-12)


def test_one_pixel_objects_and_border():
    p = np.zeros((1, 1, 15, 15))
    g = np.zeros((1, 1, 15, 15))
    p[0, 0, 3, 4] = 1
    g[0, 0, 10, 12] = 1
    assert metrics.hausdorff_distance(p, g) == pytest.approx(math.hypot(7, 8))
    assert metrics.average_surface_distance(p, g) == pytest.approx(math.hypot(7, 8))
    assert metrics.normalized_surface_dice(p, g, tolerance=10.0) == 0.0
    assert metrics.normalized_surface_dice(p, g, tolerance=11.0) == 1.0
    # objects touching the image border: the border row/column is surface
    p = np.zeros((1, 1, 10, 10)); p[..., :4, :] = 1
    g = np.zeros((1, 1, 10, 10)); g[..., :6, :] = 1
    for name in ("hausdorff_distance", "average_surface_distance"):
        assert getattr(metrics, name)(p, g) == pytest.approx(oracle(name, p[0, 0] > 0, g[0, 0] > 0))
    assert metrics.hausdorff_distance(p, g) == 2.0


def test_full_masks_and_identical():
    full = np.ones((1, 1, 6, 7))
    assert metrics.hausdorff_distance(full, full) == 0.0
    assert metrics.normalized_surface_dice(full, full, tolerance=0.0) == 1.0
    p, g = batch((2, 1, 20, 20))
    assert metrics.hausdorff_distance(p, p) == 0.0
    assert metrics.average_surface_distance(g, g) == 0.0


def test_empty_policies():
    z = np.zeros((1, 1, 5, 5))
    some = z.copy(); some[..., 2, 2] = 1
    for fn in (metrics.hausdorff_distance, metrics.average_surface_distance):
        assert math.isnan(fn(z, z)) and math.isnan(fn(some, z)) and math.isnan(fn(z, some))
        assert fn(z, z, empty=(0.0, "inf")) == 0.0
        assert fn(some, z, empty=(0.0, "inf")) == math.inf
        assert fn(z, some, empty=("nan", "image_diagonal"), spacing=(3.0, 4.0)) == pytest.approx(25.0)
        assert fn(z, some, empty=("nan", 7.5)) == 7.5
    assert math.isnan(metrics.normalized_surface_dice(z, z, tolerance=1.0))
    assert metrics.normalized_surface_dice(some, z, tolerance=1.0) == 0.0
    assert metrics.normalized_surface_dice(z, z, tolerance=1.0, empty=(1.0, 0.0)) == 1.0
    # NaN entries leave the mean
    p = np.concatenate([z, some]); g = np.concatenate([z, some])
    assert metrics.hausdorff_distance(p, g) == 0.0
    np.testing.assert_array_equal(metrics.hausdorff_distance(p, g, reduction="none"), [[np.nan], [0.0]])


def test_threshold_logits_ignore_and_background():
    g = np.zeros((1, 1, 1, 8)); g[..., 1:3] = 1
    z = np.full((1, 1, 1, 8), -3.0); z[..., 1:4] = 2.0
    assert metrics.hausdorff_distance(z, g, from_logits=True) == 1.0
    assert metrics.hausdorff_distance(1 / (1 + np.exp(-z)), g, threshold=0.85) == 1.0
    assert math.isnan(metrics.hausdorff_distance(1 / (1 + np.exp(-z)), g, threshold=0.9))  # empty prediction
    gi = g.copy(); gi[..., 3] = 255
    assert metrics.hausdorff_distance(z, gi, from_logits=True, ignore_index=255) == 0.0
    two_p = np.concatenate([np.ones_like(g), (z > 0).astype(float)], axis=1)
    two_g = np.concatenate([np.ones_like(g), g], axis=1)
    out = metrics.hausdorff_distance(two_p, two_g, mode="multilabel", include_background=False, reduction="none")
    assert out.shape == (1, 1) and out[0, 0] == 1.0
    assert metrics.hausdorff_distance(two_p.astype(np.float32), two_g.astype(np.float32), mode="multilabel",
                                      reduction="sum") == 1.0


def test_bad_input():
    p, g = batch((1, 1, 8, 8))
    with pytest.raises(ValueError, match="spacing"):
        metrics.hausdorff_distance(p, g, spacing=(1.0, -1.0))
    with pytest.raises(ValueError, match="spacing"):
        metrics.hausdorff_distance(p, g, spacing=(1.0, 1.0, 1.0))
    with pytest.raises(TypeError, match="spacing"):
        metrics.hausdorff_distance(p, g, spacing="x")
    with pytest.raises(ValueError, match="percentile"):
        metrics.hausdorff_distance(p, g, percentile=120)
    with pytest.raises(ValueError, match="percentile_mode"):
        metrics.hausdorff_distance(p, g, percentile=95, percentile_mode="max")
    with pytest.raises(ValueError, match="tolerance"):
        metrics.normalized_surface_dice(p, g, tolerance=-1.0)
    with pytest.raises(TypeError):
        metrics.normalized_surface_dice(p, g)  # tolerance is required
    with pytest.raises(ValueError, match="empty"):
        metrics.hausdorff_distance(p, g, empty="zero")
    with pytest.raises(ValueError, match="empty"):
        metrics.normalized_surface_dice(p, g, tolerance=1.0, empty=("nan", "image_diagonal"))
    with pytest.raises(ValueError, match="input"):
        metrics.hausdorff_distance(p * 3, g)
    with pytest.raises(ValueError, match="input"):
        metrics.hausdorff_distance(np.full_like(p, np.nan), g, from_logits=True)
    with pytest.raises(ValueError, match="target"):
        metrics.hausdorff_distance(p, g * 2)
    with pytest.raises(ValueError, match="target"):
        metrics.hausdorff_distance(p, g[..., :4])
    with pytest.raises(TypeError, match="input"):
        metrics.hausdorff_distance(p.astype(complex), g)
    with pytest.raises(TypeError, match="directed"):
        metrics.hausdorff_distance(p, g, directed="yes")
    with pytest.raises(ValueError, match="mode"):
        metrics.hausdorff_distance(np.concatenate([p, g], 1), np.concatenate([g, p], 1), mode="exclusive")
