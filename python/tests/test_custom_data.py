"""Your own data for the study: `datasets.from_arrays`, `load_npz`, `load_folders`, their
`--data` specifications, and `study.run_study(cfg, arrays=...)` / the CLI on them."""
import re

import numpy as np
import pytest

from semsegloss_swift import datasets as D
from semsegloss_swift import study
from semsegloss_swift.__main__ import main as cli

PIL = pytest.importorskip("PIL.Image")


def has_row(report, loss):
    """Whether the study report has a row for `loss` (marked "†" when a run predicted one
    class everywhere, as the tiny studies here may after one epoch)."""
    return re.search(r"\| %s( †)? \|" % re.escape(loss), report) is not None


def squares(n=12, size=40, seed=0):
    """uint8 images with a bright square and their 0/255 masks."""
    rng = np.random.default_rng(seed)
    y = np.zeros((n, size, size), np.uint8)
    for i in range(n):
        a, b = rng.integers(4, size // 2, 2)
        y[i, a:a + size // 3, b:b + size // 3] = 255
    x = (y // 2 + rng.integers(0, 60, y.shape)).astype(np.uint8)
    return x, y


# ---------------------------------------------------------------- from_arrays

def test_integer_images_and_0_255_masks():
    x, y = squares()
    x0, y0 = x.copy(), y.copy()
    xs, ys = D.from_arrays(x, y)
    assert xs.shape == ys.shape == (12, 1, 40, 40) and xs.dtype == ys.dtype == np.float32
    np.testing.assert_allclose(xs[:, 0], x / 255.0, rtol=0, atol=1e-7)
    assert np.array_equal(ys[:, 0], (y == 255).astype(np.float32))
    assert np.array_equal(x, x0) and np.array_equal(y, y0)  # inputs untouched
    # uint16 by 65535, booleans and 0/1 integers as they are
    xs16, _ = D.from_arrays(x.astype(np.uint16) * 257, y > 0)
    np.testing.assert_allclose(xs16, xs, atol=1e-6)
    _, ys01 = D.from_arrays(x, (y > 0).astype(np.int64))
    assert np.array_equal(ys01, ys)


def test_float_images_kept_in_unit_range_else_min_max_scaled():
    rng = np.random.default_rng(1)
    x = rng.random((3, 1, 16, 16)).astype(np.float32)
    y = (x > 0.5).astype(np.float32)
    xs, ys = D.from_arrays(x, y)
    assert np.array_equal(xs, x) and np.array_equal(ys, y)
    xs2, _ = D.from_arrays(x * 400.0 - 100.0, y)
    assert xs2.min() == 0.0 and abs(float(xs2.max()) - 1.0) < 1e-6
    np.testing.assert_allclose(xs2, (x - x.min()) / (x.max() - x.min()), atol=1e-5)
    # soft float masks are thresholded at 0.5; several image channels are kept
    _, ys3 = D.from_arrays(x, x)
    assert np.array_equal(ys3, (x > 0.5).astype(np.float32))
    rgb, _ = D.from_arrays(np.repeat(x, 3, axis=1), y)
    assert rgb.shape == (3, 3, 16, 16)


def test_min_max_scaling_does_not_overflow_narrow_floats():
    """float16 images spanning more than float16 can subtract (and float32 extremes) were
    scaled in their own type: inf - inf gave NaN images."""
    ramp = np.linspace(-60000, 60000, 64).reshape(1, 8, 8)
    for images in (ramp.astype(np.float16), ramp.astype(np.float32) * 5e33):
        xs, _ = D.from_arrays(images, np.zeros((1, 8, 8), np.uint8))
        assert np.isfinite(xs).all() and xs.min() == 0.0 and abs(float(xs.max()) - 1.0) < 1e-6
        wide = images.astype(np.float64)
        np.testing.assert_allclose(xs[0, 0], (wide[0] - wide.min()) / (wide.max() - wide.min()), atol=1e-6)


def test_resize_masks_nearest_images_bilinear():
    x, y = squares(n=2, size=40)
    xs, ys = D.from_arrays(x, y, size=32)
    assert xs.shape == ys.shape == (2, 1, 32, 32)
    assert set(np.unique(ys).tolist()) == {0.0, 1.0}
    # a constant image stays constant; a horizontal ramp stays monotone
    c, _ = D.from_arrays(np.full((1, 20, 30), 0.25), np.zeros((1, 20, 30)), size=16)
    np.testing.assert_allclose(c, 0.25, atol=1e-7)
    ramp = np.tile(np.linspace(0, 1, 30), (1, 20, 1))
    r, _ = D.from_arrays(ramp, np.zeros((1, 20, 30)), size=16)
    assert np.all(np.diff(r[0, 0, 5]) > 0)
    # enlarging agrees with Pillow's bilinear filter (to its uint8 rounding)
    small = np.random.default_rng(2).integers(0, 256, (1, 16, 16), dtype=np.uint8)
    big, _ = D.from_arrays(small, np.zeros((1, 16, 16), np.uint8), size=48)
    pil = np.asarray(PIL.fromarray(small[0]).resize((48, 48), PIL.BILINEAR), dtype=np.float32) / 255
    assert np.abs(big[0, 0] - pil).max() <= 1.5 / 255
    # masks: nearest neighbour, same as Pillow's NEAREST
    m = (np.random.default_rng(3).random((1, 16, 16)) > 0.5).astype(np.uint8)
    _, mb = D.from_arrays(np.zeros((1, 16, 16)), m, size=48)
    pil_m = np.asarray(PIL.fromarray(m[0] * 255).resize((48, 48), PIL.NEAREST)) > 127
    assert np.array_equal(mb[0, 0] > 0.5, pil_m)


@pytest.mark.parametrize("images, masks, size, error, word", [
    (np.zeros((2, 8, 8)), np.full((2, 8, 8), 2, np.uint8), None, ValueError, "masks"),
    (np.zeros((2, 8, 8)), np.full((2, 8, 8), 1.5), None, ValueError, "masks"),
    (np.full((2, 8, 8), np.nan), np.zeros((2, 8, 8)), None, ValueError, "images"),
    (np.zeros((2, 8, 8)), np.full((2, 8, 8), np.nan), None, ValueError, "masks"),
    (np.zeros((2, 8, 8)), np.zeros((3, 8, 8)), None, ValueError, "masks"),
    (np.zeros((2, 8, 8)), np.zeros((2, 8, 9)), None, ValueError, "masks"),
    (np.zeros((2, 8, 8)), np.zeros((2, 2, 8, 8)), None, ValueError, "masks"),
    (np.zeros((8, 8)), np.zeros((8, 8)), None, ValueError, "images"),
    (np.zeros((0, 8, 8)), np.zeros((0, 8, 8)), None, ValueError, "images"),
    (np.full((2, 8, 8), -3, np.int16), np.zeros((2, 8, 8)), None, ValueError, "images"),
    (np.full((2, 8, 8), "a"), np.zeros((2, 8, 8)), None, TypeError, "images"),
    (np.zeros((2, 0, 0), np.uint8), np.zeros((2, 0, 0), np.uint8), 32, ValueError, "images: height and width"),
    (np.zeros((2, 0, 0), np.uint8), np.zeros((2, 0, 0), np.uint8), None, ValueError, "images: height and width"),
    (np.zeros((2, 0, 8, 8)), np.zeros((2, 8, 8)), 32, ValueError, "images: need at least one channel"),
    (np.zeros((2, 8, 8)), np.zeros((2, 8, 8)), 8, ValueError, "size"),
    (np.zeros((2, 8, 8)), np.zeros((2, 8, 8)), 32.0, ValueError, "size"),
])
def test_bad_arrays_raise_naming_the_argument(images, masks, size, error, word):
    with pytest.raises(error, match=word):
        D.from_arrays(images, masks, size=size)


# ---------------------------------------------------------------- files and specifications

def test_npz_with_either_key_pair(tmp_path):
    x, y = squares(n=4)
    np.savez(tmp_path / "a.npz", images=x, masks=y)
    np.savez(tmp_path / "b.npz", x=x, y=y)
    ref = D.from_arrays(x, y, size=32)
    for name in ("a.npz", "b.npz"):
        got = D.load_npz(str(tmp_path / name), size=32)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
        spec = D.load(f"npz:{tmp_path / name}", size=32)
        assert np.array_equal(spec[1], ref[1])
    np.savez(tmp_path / "c.npz", pictures=x)
    with pytest.raises(ValueError, match="'images' and 'masks'"):
        D.load_npz(str(tmp_path / "c.npz"))
    with pytest.raises(FileNotFoundError, match="npz"):
        D.load(f"npz:{tmp_path / 'missing.npz'}")


def write_pngs(folder, arrays, suffix=""):
    folder.mkdir(parents=True, exist_ok=True)
    for i, a in enumerate(arrays):
        PIL.fromarray(a).save(folder / f"case{i:02d}{suffix}.png")


def test_image_and_mask_folders(tmp_path):
    x, y = squares(n=5)
    write_pngs(tmp_path / "img", x)
    write_pngs(tmp_path / "lbl", y[:4], suffix="_mask")   # case04 has no mask: an error, or left out
    with pytest.raises(ValueError, match="case04.png"):
        D.load_folders(str(tmp_path / "img"), str(tmp_path / "lbl"), size=40)
    (tmp_path / "img" / "case04.png").rename(tmp_path / "case04.png")
    xs, ys = D.load_folders(str(tmp_path / "img"), str(tmp_path / "lbl"), size=40)
    assert xs.shape == ys.shape == (4, 1, 40, 40)
    assert np.array_equal(ys[:, 0], (y[:4] > 127).astype(np.float32))
    np.testing.assert_allclose(xs[:, 0], x[:4] / 255.0, atol=1e-6)
    xs2, ys2 = D.load(f"folders:{tmp_path / 'img'},{tmp_path / 'lbl'}", size=40)
    assert np.array_equal(xs2, xs) and np.array_equal(ys2, ys)
    write_pngs(tmp_path / "lbl2", y[:1])
    PIL.fromarray(y[0]).save(tmp_path / "lbl2" / "stray.png")
    with pytest.raises(ValueError, match="no image"):
        D.load_folders(str(tmp_path / "img"), str(tmp_path / "lbl2"))
    with pytest.raises(FileNotFoundError, match="folders"):
        D.load_folders(str(tmp_path / "img"), str(tmp_path / "nowhere"))


@pytest.mark.parametrize("spec", ["folders:", "folders:onlyone", "folders:,x", "npz:"])
def test_bad_specifications(spec):
    with pytest.raises(ValueError, match="data"):
        D.load(spec)


# ---------------------------------------------------------------- the study on them

def tiny(out, **kw):
    cfg = dict(losses=["dice_bce", "jaccard"], epochs=1, size=32, batch_size=4, lr=1e-3, base_channels=4,
               depth=2, out=str(out), verbose=False)
    cfg.update(kw)
    return study.StudyConfig(**cfg)


def test_study_on_arrays_and_through_the_cli(tmp_path, capsys):
    x, y = squares(n=20)
    text = study.run_study(tiny(tmp_path / "a", data="my squares"), arrays=(x, y))
    assert text.startswith("# Loss study: my squares, 32x32")
    assert "of 20 images" in text and has_row(text, "dice_bce") and has_row(text, "jaccard")
    rgb = study.run_study(tiny(tmp_path / "rgb", losses=["dice_bce"]), arrays=(np.stack([x, x // 2, x], axis=1), y))
    assert has_row(rgb, "dice_bce")  # a 3-channel U-Net
    np.savez(tmp_path / "d.npz", images=x, masks=y)
    code = cli(["study", "--data", f"npz:{tmp_path / 'd.npz'}", "--losses", "dice_bce", "--epochs", "1",
                "--size", "32", "--batch-size", "4", "--base-channels", "4", "--depth", "2",
                "--out", str(tmp_path / "b"), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "npz:" in out and "of 20 images" in out and has_row(out, "dice_bce")
    assert cli(["study", "--data", "folders:nope", "--out", str(tmp_path / "c")]) == 2
    assert "folders:IMAGES_DIR,MASKS_DIR" in capsys.readouterr().err
    np.savez(tmp_path / "s.npz", images=np.full((4, 8, 8), "a"), masks=y[:4, :8, :8])
    assert cli(["study", "--data", f"npz:{tmp_path / 's.npz'}", "--size", "32", "--out", str(tmp_path / "e")]) == 2
    assert "images: expected a numeric array" in capsys.readouterr().err


# ---------------------------------------------------------------- label maps (classes >= 2)

def two_squares(n=20, size=32, seed=0):
    """uint8 images with a class-1 and a class-2 square, and their label maps."""
    rng = np.random.default_rng(seed)
    y = np.zeros((n, size, size), np.int64)
    for i in range(n):
        a, b = rng.integers(2, 12, 2)
        y[i, a:a + 8, b:b + 8] = 1
        c, d = rng.integers(16, 24, 2)
        y[i, c:c + 6, d:d + 6] = 2
    return (y * 90 + rng.integers(0, 60, y.shape)).astype(np.uint8), y


def test_label_maps_are_kept_and_resized_nearest():
    x, y = two_squares(n=3)
    xs, ys = D.from_arrays(x, y, classes=3)
    assert ys.shape == (3, 1, 32, 32) and ys.dtype == np.float32
    assert np.array_equal(ys[:, 0], y.astype(np.float32))
    _, yr = D.from_arrays(x, y.astype(np.float64), size=48, classes=3)
    assert set(np.unique(yr).tolist()) == {0.0, 1.0, 2.0}
    rows = np.minimum(((np.arange(48) + 0.5) * 32 / 48).astype(int), 31)
    assert np.array_equal(yr[:, 0], y[:, rows][:, :, rows].astype(np.float32))


@pytest.mark.parametrize("masks, classes, error, word", [
    (np.full((2, 8, 8), 3), 3, ValueError, "masks"),
    (np.full((2, 8, 8), -1), 3, ValueError, "masks"),
    (np.full((2, 8, 8), 0.5), 3, ValueError, "masks"),
    (np.zeros((2, 8, 8), bool), 3, TypeError, "masks"),
    (np.zeros((2, 8, 8)), 0, ValueError, "classes"),
    (np.zeros((2, 8, 8)), 2.0, ValueError, "classes"),
])
def test_bad_label_maps(masks, classes, error, word):
    with pytest.raises(error, match=word):
        D.from_arrays(np.zeros((2, 8, 8)), masks, classes=classes)


def test_label_maps_only_from_npz_or_arrays(tmp_path):
    x, y = two_squares(n=4)
    np.savez(tmp_path / "m.npz", images=x, masks=y)
    _, ys = D.load(f"npz:{tmp_path / 'm.npz'}", size=32, classes=3)
    assert np.array_equal(ys[:, 0], y.astype(np.float32))
    with pytest.raises(ValueError, match="masks"):  # binary reading of a label map
        D.load(f"npz:{tmp_path / 'm.npz'}", size=32)
    for spec in ("synthetic", f"folders:{tmp_path},{tmp_path}"):
        with pytest.raises(ValueError, match="classes"):
            D.load(spec, size=32, classes=3)


def test_multiclass_study(tmp_path, capsys):
    x, y = two_squares()
    cfg = tiny(tmp_path / "a", data="two squares", losses=["dice_ce_loss", "focal"], epochs=2, classes=3)
    text = study.run_study(cfg, arrays=(x, y))
    assert "3 exclusive classes" in text and "| loss | IoU | accuracy |" in text
    with open(tmp_path / "a" / "results.csv") as f:
        rows = f.read().splitlines()[1:]
    assert len(rows) == 2
    with open(tmp_path / "a" / "runs" / "focal-seed0" / "metrics.json") as f:
        import json
        m = json.load(f)
    for key in ("iou", "dice", "accuracy", "iou_per_image"):
        assert 0.0 <= m[key] <= 1.0
    prob = np.load(tmp_path / "a" / "runs" / "focal-seed0" / "test_prob_sample.npy")
    assert prob.shape[1] == 1 and 0.0 <= prob.min() and prob.max() <= 1.0  # p(not background)
    assert (tmp_path / "a" / "overlays.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="dice_bce cannot train on 3 exclusive classes"):
        study.run_study(tiny(tmp_path / "b", losses=["dice_bce"], classes=3), arrays=(x, y))
    np.savez(tmp_path / "m.npz", images=x, masks=y)
    code = cli(["study", "--data", f"npz:{tmp_path / 'm.npz'}", "--classes", "3", "--losses", "lovasz_softmax_loss",
                "--epochs", "1", "--size", "32", "--batch-size", "4", "--base-channels", "4", "--depth", "2",
                "--out", str(tmp_path / "c"), "--quiet"])
    assert code == 0 and has_row(capsys.readouterr().out, "lovasz_softmax_loss")
    assert cli(["study", "--classes", "3", "--losses", "focal", "--out", str(tmp_path / "d")]) == 2
    assert "binary masks" in capsys.readouterr().err


def test_an_out_folder_of_another_setup_is_refused(tmp_path):
    x, y = squares(n=20)
    x0 = x.copy()
    cfg = tiny(tmp_path, losses=["jaccard"])
    study.run_study(cfg, arrays=(x, y))
    study.run_study(cfg, arrays=(x, y))   # the same setup: the finished run is reused
    x2 = x.copy()
    x2[0, 0, 0] ^= 1                      # one pixel of other data
    with pytest.raises(ValueError, match="data_sha1"):
        study.run_study(cfg, arrays=(x2, y))
    with pytest.raises(ValueError, match="epochs 1 -> 2"):
        study.run_study(tiny(tmp_path, losses=["jaccard"], epochs=2), arrays=(x, y))
    assert np.array_equal(x, x0)          # the study does not modify its inputs
