"""semsegloss_swift.datasets: the phantom, the imbalanced variant, the real-data loaders
(on small PNG folders written here in each data set's own layout) and the split."""
import os

import numpy as np
import pytest

from semsegloss_swift import datasets as D

PIL = pytest.importorskip("PIL.Image")


def best_threshold_iou(x, y):
    """Best IoU any global intensity threshold (either polarity) reaches."""
    best, fg = 0.0, y > 0.5
    for t in np.linspace(0, 1, 201):
        for pred in (x < t, x > t):
            union = (pred | fg).sum()
            best = max(best, (pred & fg).sum() / union if union else 0.0)
    return best


def test_phantom_shapes_range_and_determinism():
    x, y = D.chest_xray_phantom(6, size=64, seed=3)
    assert x.shape == y.shape == (6, 1, 64, 64) and x.dtype == y.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1
    assert set(np.unique(y)) <= {0.0, 1.0}
    x2, y2 = D.chest_xray_phantom(6, size=64, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x3, _ = D.chest_xray_phantom(6, size=64, seed=4)
    assert not np.array_equal(x, x3)


def test_phantom_has_two_lungs_of_plausible_size_and_varies():
    _, y = D.chest_xray_phantom(16, size=96, seed=0)
    frac = y.reshape(16, -1).mean(1)
    assert (frac > 0.05).all() and (frac < 0.4).all()
    assert frac.std() > 0.005  # shapes and sizes vary
    left, right = y[..., :48].sum(axis=(1, 2, 3)), y[..., 48:].sum(axis=(1, 2, 3))
    assert (left > 0).all() and (right > 0).all()


def test_phantom_is_not_solved_by_an_intensity_threshold():
    x, y = D.chest_xray_phantom(24, size=96, seed=1)
    assert best_threshold_iou(x, y) < 0.9


def test_imbalanced_variant_is_about_one_percent_foreground():
    x, y = D.imbalanced_lesion_phantom(64, size=96, seed=0)
    assert 0.002 < y.mean() < 0.03
    assert (y.reshape(64, -1).sum(1) == 0).any()  # some images without a lesion
    assert best_threshold_iou(x, y) < 0.9


def test_phantom_refuses_more_pixels_than_a_data_set_may_hold():
    """Before 2026-12-06 size=2**40 reached NumPy (an error from inside np.mgrid) and a
    count times size squared above memory was only stopped by the allocation."""
    with pytest.raises(ValueError, match=r"^n and size: 1048576 images of 64x64 are 4294967296 pixels"):
        D.chest_xray_phantom(n=2**20, size=64)
    with pytest.raises(ValueError, match="^size: expected at most 16384"):
        D.from_arrays(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 4, 4)), size=16385)


@pytest.mark.parametrize("bad", [dict(n=0), dict(n=-2), dict(n=True), dict(size=8), dict(size=64.5),
                                 dict(opacity_probability=2.0), dict(opacity_probability="0.5"), dict(seed=-1),
                                 dict(seed=1.0), dict(size=2**40), dict(size=True)])
def test_phantom_rejects_bad_arguments(bad):
    kwargs = dict(n=2, size=32)
    kwargs.update(bad)
    with pytest.raises(ValueError, match="^" + next(iter(bad)) + ": "):
        D.chest_xray_phantom(**kwargs)
    if "opacity_probability" not in bad:
        with pytest.raises(ValueError, match="^" + next(iter(bad)) + ": "):
            D.imbalanced_lesion_phantom(**kwargs)


# ----------------------------------------------------------------------------- loaders

def write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    PIL.fromarray(array.astype(np.uint8)).save(path)


def make_case(rng, size=40):
    img = (rng.random((size, size)) * 255).astype(np.uint8)
    left = np.zeros((size, size), np.uint8)
    right = np.zeros((size, size), np.uint8)
    left[5:30, 4:15] = 255
    right[6:32, 24:36] = 255
    return img, left, right


def test_montgomery_layout_merges_left_and_right(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("MCUCXR_0001_0.png", "MCUCXR_0002_1.png"):
        img, left, right = make_case(rng)
        write_png(tmp_path / "CXR_png" / name, img)
        write_png(tmp_path / "ManualMask" / "leftMask" / name, left)
        write_png(tmp_path / "ManualMask" / "rightMask" / name, right)
    x, y = D.load_montgomery(str(tmp_path), size=32)
    assert x.shape == y.shape == (2, 1, 32, 32)
    assert 0 <= x.min() and x.max() <= 1
    assert set(np.unique(y)) == {0.0, 1.0}
    assert y[0, 0, :, :10].any() and y[0, 0, :, 20:].any()  # both lungs present
    xs, ys = D.load(f"montgomery:{tmp_path}", size=32)
    assert np.array_equal(xs, x) and np.array_equal(ys, y)


def test_montgomery_missing_mask_is_an_error(tmp_path):
    rng = np.random.default_rng(1)
    img, left, right = make_case(rng)
    write_png(tmp_path / "CXR_png" / "a.png", img)
    write_png(tmp_path / "ManualMask" / "leftMask" / "a.png", left)
    os.makedirs(tmp_path / "ManualMask" / "rightMask")
    with pytest.raises(ValueError, match="lack a left or right mask"):
        D.load_montgomery(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="folder not found"):
        D.load_montgomery(str(tmp_path / "nowhere"))


def test_shenzhen_layout_with_mask_suffix_skips_unlabelled(tmp_path):
    rng = np.random.default_rng(2)
    for k in range(3):
        img, left, right = make_case(rng)
        write_png(tmp_path / "CXR_png" / f"CHNCXR_000{k}_0.png", img)
        if k < 2:
            write_png(tmp_path / "mask" / f"CHNCXR_000{k}_0_mask.png", np.maximum(left, right))
    with pytest.warns(UserWarning, match="skipped 1 of 3 image"):
        x, y = D.load_shenzhen(str(tmp_path), size=24)
    assert x.shape == (2, 1, 24, 24)
    write_png(tmp_path / "mask" / "CHNCXR_0099_0_mask.png", np.zeros((40, 40)))
    with pytest.raises(ValueError, match="have no image"):
        D.load_shenzhen(str(tmp_path), size=24)


def test_lung_segmentation_layout_mixes_both_namings(tmp_path):
    rng = np.random.default_rng(3)
    for name, mask_name in (("MCUCXR_0001_0.png", "MCUCXR_0001_0.png"), ("CHNCXR_0001_0.png", "CHNCXR_0001_0_mask.png")):
        img, left, right = make_case(rng)
        write_png(tmp_path / "CXR_png" / name, img)
        write_png(tmp_path / "masks" / mask_name, np.maximum(left, right))
    x, y = D.load(f"folder:{tmp_path}", size=32)
    assert x.shape == (2, 1, 32, 32) and y.sum() > 0
    empty = tmp_path / "empty"
    os.makedirs(empty / "CXR_png")
    os.makedirs(empty / "masks")
    with pytest.raises(ValueError, match="no image"):
        D.load_lung_segmentation(str(empty))


@pytest.mark.parametrize("spec", ["nope", "montgomery", "synthetic:/tmp", "folder:"])
def test_load_rejects_bad_specs(spec):
    with pytest.raises(ValueError, match="data"):
        D.load(spec, size=32, n=2)


@pytest.mark.parametrize("spec", [None, 3, b"synthetic"])
def test_load_refuses_a_spec_that_is_not_a_str(spec):
    with pytest.raises(TypeError, match="^data: expected a data specification"):
        D.load(spec, size=32, n=2)


def test_split_is_80_10_10_disjoint_and_seeded():
    x = np.arange(100, dtype=np.float32).reshape(100, 1, 1, 1)
    parts = D.split(x, x.copy(), seed=5)
    assert [len(p[0]) for p in parts] == [80, 10, 10]
    seen = np.concatenate([p[0].ravel() for p in parts])
    assert sorted(seen) == list(range(100))
    again = D.split(x, x.copy(), seed=5)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(parts, again))
    assert all(np.array_equal(p[0], p[1]) for p in parts)  # x and y stay paired
    with pytest.raises(ValueError, match="fractions"):
        D.split(x, x, fractions=(0.5, 0.6))
    with pytest.raises(ValueError, match="y"):
        D.split(x, x[:5])


def split_sizes(n, fractions=(0.8, 0.1, 0.1), seed=0):
    x = np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1)
    parts = D.split(x, x.copy(), fractions, seed=seed)
    seen = sorted(np.concatenate([p[0].ravel() for p in parts]).tolist())
    assert seen == list(range(n))                                  # disjoint, nothing lost
    return [len(p[0]) for p in parts]


def test_split_gives_every_part_an_image_for_few_images():
    """n = 3..7 used to leave the validation or test part empty (n = 3: 2/1/0, n = 5: 4/0/1)."""
    for n in range(3, 40):
        sizes = split_sizes(n)
        assert min(sizes) >= 1 and sum(sizes) == n, (n, sizes)
    for n in range(4, 30):
        sizes = split_sizes(n, (0.25, 0.25, 0.25, 0.25))
        assert min(sizes) >= 1, (n, sizes)
    assert split_sizes(3) == [1, 1, 1]


def test_split_sizes_of_the_study_are_unchanged():
    """The sizes the study had before the fix (README: 704 -> 563 / 71 / 70), so that finished
    runs of an existing --out were trained on the same split."""
    assert split_sizes(704) == [563, 71, 70]
    assert split_sizes(256) == [205, 25, 26]
    assert split_sizes(20) == [16, 2, 2]
    assert split_sizes(100) == [80, 10, 10]


def test_split_parts_of_fraction_zero_stay_empty():
    assert split_sizes(10, (0.9, 0.1, 0.0)) == [9, 1, 0]
    assert split_sizes(2, (0.5, 0.0, 0.5)) == [1, 0, 1]
    assert split_sizes(5, (0.0, 1.0)) == [0, 5]


@pytest.mark.parametrize("fractions", [(float("nan"), 0.5, 0.5), (1.5, -0.5), (float("inf"), 0.0), (), "abc",
                                       (0.5, 0.6), (0.5, None, 0.5)])
def test_split_refuses_bad_fractions(fractions):
    x = np.zeros((10, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="^fractions: "):
        D.split(x, x, fractions)


def test_split_refuses_fewer_images_than_non_empty_parts():
    x = np.zeros((2, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="^x: 2 images cannot be split into 3 non-empty parts"):
        D.split(x, x)
    assert [len(p[0]) for p in D.split(x, x, (0.5, 0.5, 0.0))] == [1, 1, 0]
