"""Pairing of images and masks in the folder loaders (audit of the study, 2026-12-06): an
image without a mask is an error naming it in ``folders:`` and is skipped with a warning
that counts and names it in the Shenzhen and "Lung Segmentation" layouts (their public sets
hold unlabelled images); a mask of another size than its image is refused naming both
files and sizes; and channels-last arrays get an error that says so."""
import warnings

import numpy as np
import pytest

from semsegloss_swift import datasets as D
from semsegloss_swift.__main__ import main as cli

PIL = pytest.importorskip("PIL.Image")


def png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.fromarray(np.asarray(array, np.uint8)).save(path)


def image(seed, shape=(40, 40)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def mask(shape=(40, 40)):
    m = np.zeros(shape, np.uint8)
    m[shape[0] // 4:shape[0] // 2, shape[1] // 4:shape[1] // 2] = 255
    return m


def own_folders(tmp_path, n=6, unlabelled=("a3",)):
    """img/a0..a{n-1}.png, msk/ with the same names except `unlabelled`."""
    for k in range(n):
        png(tmp_path / "img" / f"a{k}.png", image(k))
        if f"a{k}" not in unlabelled:
            png(tmp_path / "msk" / f"a{k}.png", mask())
    return str(tmp_path / "img"), str(tmp_path / "msk")


# ---------------------------------------------------------------- images without a mask

def test_an_image_without_a_mask_is_an_error_naming_it_in_folders(tmp_path):
    """``folders:`` with 6 images and 5 masks refuses the set, naming a3.png and the count.
    Before 2026-12-06 a3.png was dropped silently ("5 images -> ...") although a mask without
    an image was already an error and README says missing files raise errors naming them."""
    images, masks = own_folders(tmp_path)
    with pytest.raises(ValueError, match=r"^folders: 1 of 6 image\(s\) in .*img have no mask in .*msk .*: a3\.png; "):
        D.load_folders(images, masks, size=32)
    with pytest.raises(ValueError, match="a3.png"):
        D.load(f"folders:{images},{masks}", size=32)


def test_unlabelled_skip_leaves_images_out_with_a_warning_counting_them(tmp_path):
    """``load_folders(..., unlabelled="skip")``: the images without a mask are left out with a
    UserWarning that says how many and which (new on 2026-12-06; before, silently)."""
    images, masks = own_folders(tmp_path, unlabelled=("a1", "a3"))
    with pytest.warns(UserWarning, match=r"^folders: skipped 2 of 6 image\(s\) .*: a1\.png, a3\.png$"):
        x, y = D.load_folders(images, masks, size=32, unlabelled="skip")
    assert x.shape == y.shape == (4, 1, 32, 32)
    with pytest.raises(ValueError, match="^unlabelled: expected 'error' or 'skip'"):
        D.load_folders(images, masks, unlabelled="drop")
    with warnings.catch_warnings():   # all labelled: no warning
        warnings.simplefilter("error")
        images, masks = own_folders(tmp_path / "all", unlabelled=())
        assert len(D.load_folders(images, masks, size=32, unlabelled="skip")[0]) == 6


def test_the_cli_names_the_image_without_a_mask_in_one_line(tmp_path, capsys):
    """The CLI: exit 2 and one line naming a3.png (before 2026-12-06: exit 0, a3.png dropped)."""
    images, masks = own_folders(tmp_path)
    code = cli(["study", "--data", f"folders:{images},{masks}", "--size", "32", "--epochs", "1",
                "--losses", "dice_bce", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "a3.png" in err[0] and "1 of 6 image(s)" in err[0] and "Traceback" not in err[0]


def shenzhen(tmp_path, n=5, unlabelled=(3, 4), masks="mask"):
    for k in range(n):
        png(tmp_path / "CXR_png" / f"CHNCXR_{k:04d}_0.png", image(k))
        if k not in unlabelled:
            png(tmp_path / masks / f"CHNCXR_{k:04d}_0_mask.png", mask())
    return str(tmp_path)


def test_shenzhen_skips_unlabelled_images_with_a_warning_counting_and_naming_them(tmp_path):
    """The public Shenzhen set has masks for about 566 of its 662 images, so unlabelled
    images are skipped (README), but now with a warning saying how many and which. Before
    2026-12-06 12 images with 2 unlabelled just gave "10 images", without a word."""
    path = shenzhen(tmp_path)
    with pytest.warns(UserWarning) as record:
        x, y = D.load_shenzhen(path, size=32)
    assert x.shape == (3, 1, 32, 32)
    (message,) = [str(w.message) for w in record]
    assert message.startswith("shenzhen: skipped 2 of 5 image(s)")
    assert message.endswith(": CHNCXR_0003_0.png, CHNCXR_0004_0.png")


def test_lung_segmentation_skips_unlabelled_images_with_a_warning(tmp_path):
    """The combined layout holds the Shenzhen images, unlabelled ones included: skipped with
    a warning (before 2026-12-06: silently)."""
    path = shenzhen(tmp_path, unlabelled=(0,), masks="masks")
    with pytest.warns(UserWarning, match=r"^folder: skipped 1 of 5 image\(s\) .*: CHNCXR_0000_0\.png$"):
        x, _ = D.load(f"folder:{path}", size=32)
    assert len(x) == 4


def test_a_long_list_of_unlabelled_images_is_shortened(tmp_path):
    path = shenzhen(tmp_path, n=16, unlabelled=range(1, 16))
    with pytest.warns(UserWarning, match=r"skipped 15 of 16 image\(s\) .*CHNCXR_0010_0\.png, \.\.\. \(5 more\)$"):
        x, _ = D.load_shenzhen(path, size=16)
    assert len(x) == 1


# ---------------------------------------------------------------- mask size

def test_a_mask_of_another_size_is_refused_naming_both_files_and_sizes(tmp_path):
    """A 60x20 mask paired with a 40x40 image is refused: they are paired pixel by pixel, so
    it is the mask of another image or a rotated one. Before 2026-12-06 both were resized to
    --size and the pair trained silently."""
    images, masks = own_folders(tmp_path, unlabelled=())
    png(tmp_path / "msk" / "a1.png", mask((20, 60)))
    with pytest.raises(ValueError, match=r"^folders: mask .*msk/a1\.png is 60x20 pixels but its image .*img/a1\.png "
                                         r"is 40x40; a mask must have its image's size"):
        D.load_folders(images, masks, size=32)


def test_a_rotated_mask_is_refused(tmp_path):
    """Same pixel count, transposed (40x60 against 60x40): refused too (before 2026-12-06 accepted)."""
    png(tmp_path / "img" / "a.png", image(0, (40, 60)))
    png(tmp_path / "msk" / "a_mask.png", mask((60, 40)))
    with pytest.raises(ValueError, match=r"is 40x60 pixels but its image .* is 60x40"):
        D.load_folders(str(tmp_path / "img"), str(tmp_path / "msk"), size=32)


def test_montgomery_and_shenzhen_masks_must_have_their_images_size(tmp_path):
    """Montgomery's left and right masks, and Shenzhen's masks, follow the same rule."""
    name = "MCUCXR_0001_0.png"
    png(tmp_path / "m" / "CXR_png" / name, image(0))
    png(tmp_path / "m" / "ManualMask" / "leftMask" / name, mask())
    png(tmp_path / "m" / "ManualMask" / "rightMask" / name, mask((40, 41)))
    with pytest.raises(ValueError, match=r"^montgomery: mask .*rightMask/MCUCXR_0001_0\.png is 41x40 pixels"):
        D.load_montgomery(str(tmp_path / "m"), size=32)
    path = shenzhen(tmp_path / "s", n=2, unlabelled=())
    png(tmp_path / "s" / "mask" / "CHNCXR_0001_0_mask.png", mask((80, 80)))
    with pytest.raises(ValueError, match=r"^shenzhen: mask .*CHNCXR_0001_0_mask\.png is 80x80 pixels"):
        D.load_shenzhen(path, size=32)


def test_masks_of_the_images_size_still_load_at_any_image_size(tmp_path):
    png(tmp_path / "img" / "a.png", image(0, (30, 50)))
    png(tmp_path / "msk" / "a.png", mask((30, 50)))
    png(tmp_path / "img" / "b.png", image(1, (64, 64)))
    png(tmp_path / "msk" / "b.png", mask((64, 64)))
    x, y = D.load_folders(str(tmp_path / "img"), str(tmp_path / "msk"), size=32)
    assert x.shape == y.shape == (2, 1, 32, 32) and y.sum() > 0


# ---------------------------------------------------------------- channels-last arrays

@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channels_last_images_get_an_error_that_says_so(tmp_path, channels):
    """Images saved as (N, H, W, C), the usual layout of RGB arrays. Before 2026-12-06 they
    were read as N, C=H, H=W, W=C and the error blamed the masks: "masks: shape (10, 1, 32,
    32) does not match images (10, 32, 32, 3)"."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10, 32, 32, channels), dtype=np.uint8)
    masks = (rng.random((10, 32, 32)) > 0.5).astype(np.uint8)
    expected = (r"^images: shape \(10, 32, 32, %d\) looks channels-last \(N, H, W, C with C = %d; the masks are "
                r"32x32\); expected \(N, H, W\) or \(N, C, H, W\): pass np\.moveaxis\(images, -1, 1\)$"
                % (channels, channels))
    with pytest.raises(ValueError, match=expected):
        D.from_arrays(images, masks)
    with pytest.raises(ValueError, match=expected):
        D.from_arrays(images, masks[:, None])
    np.savez(tmp_path / "nhwc.npz", images=images, masks=masks)
    with pytest.raises(ValueError, match=r"^npz: .*nhwc\.npz: images: .*channels-last.*np\.moveaxis\(images, -1, 1\)"):
        D.load_npz(str(tmp_path / "nhwc.npz"), size=32)
    x, y = D.from_arrays(np.moveaxis(images, -1, 1), masks)   # the fix the message gives
    assert x.shape == (10, channels, 32, 32) and y.shape == (10, 1, 32, 32)


def test_the_channels_last_hint_only_when_the_shapes_are_unambiguous():
    """Channels-first images that match their masks load; shapes that do not fit either
    reading keep the masks' message."""
    rng = np.random.default_rng(1)
    masks = (rng.random((4, 8, 8)) > 0.5).astype(np.uint8)
    x, _ = D.from_arrays(rng.random((4, 3, 8, 8)), masks)   # (N, C, H, W) with C = 3: fine
    assert x.shape == (4, 3, 8, 8)
    for images in (rng.random((4, 8, 8, 5)),     # 5 channels: not a channel axis we guess
                   rng.random((4, 9, 8, 3)),     # H does not match the masks
                   rng.random((5, 8, 8, 3))):    # N does not match
        with pytest.raises(ValueError, match="^masks: shape"):
            D.from_arrays(images, masks)


def test_channels_last_masks_get_a_hint():
    """Masks (N, H, W, 1): the error says they look channels-last and gives masks[..., 0];
    before 2026-12-06 it only said that the shape was not (N, H, W) or (N, 1, H, W)."""
    masks = np.zeros((4, 8, 8, 1), np.uint8)
    with pytest.raises(ValueError, match=r"^masks: .*got \(4, 8, 8, 1\), which looks channels-last .*masks\[\.\.\., 0\]$"):
        D.from_arrays(np.zeros((4, 8, 8)), masks)


def test_the_cli_reports_a_channels_last_npz_in_one_line(tmp_path, capsys):
    """The CLI on a channels-last npz: one line with the fix (before 2026-12-06: it blamed the masks)."""
    images = np.zeros((10, 32, 32, 3), np.uint8)
    np.savez(tmp_path / "nhwc.npz", images=images, masks=np.zeros((10, 32, 32), np.uint8))
    code = cli(["study", "--data", f"npz:{tmp_path / 'nhwc.npz'}", "--size", "32", "--epochs", "1",
                "--losses", "dice_bce", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "looks channels-last" in err[0] and "np.moveaxis(images, -1, 1)" in err[0] and "masks: shape" not in err[0]
