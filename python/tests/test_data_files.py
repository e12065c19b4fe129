"""Data files of the study (audit of the loaders): mask files follow `from_arrays`' rule
(0/1 or 0/255, JPEG with a tolerance), 16-bit images keep their precision, and broken or
ambiguous files (truncated, not an image, too large, a renamed .npy, two images of one
name, the images folder given as masks) raise errors naming the file, in Python and on the
command line."""
import os
import re
import struct
import zlib

import numpy as np
import pytest

from semsegloss_swift import datasets as D
from semsegloss_swift.__main__ import main as cli

PIL = pytest.importorskip("PIL.Image")

SQUARE = np.zeros((32, 32), np.uint8)
SQUARE[8:24, 6:20] = 1


def pair(tmp_path, mask, mask_name="a.png", image=None, **save):
    """An images folder with a.png and a masks folder with `mask` saved as `mask_name`."""
    (tmp_path / "img").mkdir(parents=True, exist_ok=True)
    (tmp_path / "msk").mkdir(parents=True, exist_ok=True)
    if image is None:
        image = np.random.default_rng(0).integers(0, 256, mask.shape[:2], dtype=np.uint8)
    PIL.fromarray(image).save(tmp_path / "img" / "a.png")
    PIL.fromarray(mask).save(tmp_path / "msk" / mask_name, **save)
    return str(tmp_path / "img"), str(tmp_path / "msk")


def masks_of(tmp_path, mask, **kw):
    return D.load_folders(*pair(tmp_path, mask, **kw), size=32)[1][0, 0]


# ---------------------------------------------------------------- mask values

def test_0_1_and_0_255_masks_give_the_same_mask(tmp_path):
    """A 0/1 label PNG used to give an empty mask (threshold 127)."""
    assert np.array_equal(masks_of(tmp_path / "a", SQUARE), SQUARE)
    assert np.array_equal(masks_of(tmp_path / "b", SQUARE * 255), SQUARE)
    assert np.array_equal(masks_of(tmp_path / "c", SQUARE.astype(bool)), SQUARE)      # 1-bit PNG
    grey_rgb = np.repeat(SQUARE[..., None] * 255, 3, axis=2)
    assert np.array_equal(masks_of(tmp_path / "d", grey_rgb), SQUARE)                  # grey saved as RGB
    palette = PIL.fromarray(SQUARE * 255).convert("P")
    images, _ = pair(tmp_path / "e", SQUARE)
    palette.save(tmp_path / "e" / "msk" / "a.png")
    assert np.array_equal(D.load_folders(images, str(tmp_path / "e" / "msk"), 32)[1][0, 0], SQUARE)


@pytest.mark.parametrize("name, mask, words", [
    ("labels", SQUARE * 2 + (np.arange(32) < 4)[:, None] * 200, ["0/1 or 0/255", "[0, 2, 200]"]),
    ("grey", SQUARE * 128, ["0/1 or 0/255", "[0, 128]"]),
    ("red", np.stack([SQUARE * 255, np.zeros_like(SQUARE), np.zeros_like(SQUARE)], axis=2), ["colour"]),
    ("transparent", np.stack([SQUARE * 255] * 3 + [SQUARE * 255], axis=2), ["transparent"]),
])
def test_masks_that_are_not_binary_are_refused_naming_the_file(tmp_path, name, mask, words):
    """Label 2 used to be background and 200 foreground; a pure-red mask grey 76, background."""
    images, masks = pair(tmp_path, mask.astype(np.uint8))
    with pytest.raises(ValueError) as e:
        D.load_folders(images, masks, 32)
    assert str(e.value).startswith(f"folders: mask {masks}{os.sep}a.png")
    for word in words:
        assert word in str(e.value)


def test_jpeg_masks_have_a_documented_tolerance(tmp_path):
    yy, xx = np.mgrid[:64, :64]
    lung = ((((yy - 30) / 20.0) ** 2 + ((xx - 28) / 14.0) ** 2) <= 1).astype(np.uint8)
    got = masks_of(tmp_path / "a", lung * 255, mask_name="a.jpg", quality=75)  # compression noise: accepted
    expected = np.asarray(PIL.fromarray(lung * 255).resize((32, 32), PIL.NEAREST)) > 127
    assert np.array_equal(got, expected)
    with pytest.raises(ValueError, match=r"mask .*a\.jpg is a JPEG without white pixels .* save masks as PNG"):
        masks_of(tmp_path / "b", lung, mask_name="a.jpg")                          # 0/1 in a JPEG
    with pytest.raises(ValueError, match=r"mask .*a\.jpg is a JPEG with .* mid-grey pixels"):
        masks_of(tmp_path / "c", (lung * 128 + 60).astype(np.uint8), mask_name="a.jpg")


def test_montgomery_and_shenzhen_masks_follow_the_same_rule(tmp_path):
    for k, side in enumerate(("leftMask", "rightMask")):
        os.makedirs(tmp_path / "m" / "ManualMask" / side)
        half = np.zeros((32, 32), np.uint8)
        half[4:28, 2 + 16 * k:14 + 16 * k] = 1                  # 0/1 masks, one lung each
        PIL.fromarray(half).save(tmp_path / "m" / "ManualMask" / side / "M1.png")
    os.makedirs(tmp_path / "m" / "CXR_png")
    PIL.fromarray(np.full((32, 32), 90, np.uint8)).save(tmp_path / "m" / "CXR_png" / "M1.png")
    _, y = D.load_montgomery(str(tmp_path / "m"), size=32)
    assert y.sum() == 2 * 24 * 12
    PIL.fromarray(SQUARE * 3).save(tmp_path / "m" / "ManualMask" / "rightMask" / "M1.png")
    with pytest.raises(ValueError, match=r"^montgomery: mask .*rightMask.M1\.png: expected binary masks"):
        D.load(f"montgomery:{tmp_path / 'm'}", size=32)


# ---------------------------------------------------------------- images

def test_16_bit_images_keep_their_precision(tmp_path):
    """An I;16 PNG used to be clipped at 255 by convert("L") (a 12-bit image: almost all white)."""
    ramp = (np.arange(32 * 32).reshape(32, 32) * 4).astype(np.uint16)       # 0..4092
    x, _ = D.load_folders(*pair(tmp_path, SQUARE, image=ramp), size=32)
    np.testing.assert_allclose(x[0, 0], ramp / 65535.0, rtol=0, atol=1e-7)
    x16, _ = D.load_folders(str(tmp_path / "img"), str(tmp_path / "msk"), size=16)
    assert 0.0 <= x16.min() and x16.max() <= 4092 / 65535 + 1e-7 and x16.std() > 0.01
    eight = (ramp // 16).astype(np.uint8)                                   # the same picture at 8 bits
    x8, _ = D.load_folders(*pair(tmp_path / "b", SQUARE, image=eight), size=32)
    np.testing.assert_allclose(x8[0, 0], eight / 255.0, rtol=0, atol=1e-7)


def png_declaring(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
            + chunk(b"IEND", b""))


def test_unreadable_image_files_raise_errors_naming_them(tmp_path):
    images, masks = pair(tmp_path, SQUARE)
    target = os.path.join(images, "a.png")
    good = open(target, "rb").read()
    cases = [(good[:len(good) // 2], "is not a readable image"), (b"not a png at all", "is not a readable image"),
             (b"", "is not a readable image"), (png_declaring(20000, 20000), "is too large to read")]
    for data, words in cases:
        with open(target, "wb") as f:
            f.write(data)
        with pytest.raises(ValueError) as e:
            D.load_folders(images, masks, 32)
        assert str(e.value).startswith(f"folders: image {target} {words}"), str(e.value)
    os.remove(target)
    os.mkdir(target)                                                     # a folder named a.png
    with pytest.raises(IsADirectoryError, match=f"^folders: cannot read image {target}"):
        D.load_folders(images, masks, 32)


def test_two_images_of_one_name_and_the_same_folder_twice_are_refused(tmp_path):
    images, masks = pair(tmp_path, SQUARE)
    PIL.fromarray(SQUARE * 255).save(os.path.join(images, "a.jpg"))     # a.png and a.jpg: which one?
    with pytest.raises(ValueError, match=r"^folders: two images named 'a' .*: a\.jpg and a\.png"):
        D.load_folders(images, masks, 32)
    with pytest.raises(ValueError, match="^folders: the images and the masks are the same folder"):
        D.load(f"folders:{images},{images}", size=32)
    with pytest.raises(TypeError, match="^images: "):
        D.load_folders(None, masks, 32)
    with pytest.raises(ValueError, match="^masks: the path contains a NUL byte"):
        D.load_folders(images, masks + "\0", 32)


# ---------------------------------------------------------------- .npz files

def test_broken_npz_files_raise_errors_naming_them(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (4, 32, 32), dtype=np.uint8)
    np.savez(tmp_path / "good.npz", images=x, masks=(x > 128).astype(np.uint8))
    good = (tmp_path / "good.npz").read_bytes()
    np.save(tmp_path / "one.npy", x)
    np.savez(tmp_path / "objects.npz", images=np.array([x[0], x[1][:5]], dtype=object), masks=x)
    cases = {"truncated.npz": (good[:len(good) // 2], "is not a readable .npz file"),
             "empty.npz": (b"", "is empty"),
             "one.npz": ((tmp_path / "one.npy").read_bytes(), "holds one array (an .npy file)"),
             "text.npz": (b"images,masks\n1,2\n", "is not an .npz file")}
    for name, (data, words) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match="^" + re.escape(f"npz: {tmp_path / name} {words}")):
            D.load_npz(str(tmp_path / name))
    with pytest.raises(ValueError, match=r"^npz: .*objects\.npz: cannot read arrays 'images' and 'masks'"):
        D.load_npz(str(tmp_path / "objects.npz"))
    np.savez(tmp_path / "labels.npz", images=x, masks=x % 3)
    with pytest.raises(ValueError, match=r"^npz: .*labels\.npz: masks: expected binary masks"):
        D.load_npz(str(tmp_path / "labels.npz"))
    with pytest.raises(ValueError, match="^path: the path contains a NUL byte"):
        D.load_npz(str(tmp_path / "good.npz") + "\0")
    assert D.load_npz(str(tmp_path / "good.npz").encode(), 32)[0].shape == (4, 1, 32, 32)  # bytes paths work


def test_the_cli_reports_bad_files_in_one_line(tmp_path, capsys):
    np.savez(tmp_path / "good.npz", images=np.zeros((4, 8, 8), np.uint8), masks=np.zeros((4, 8, 8), np.uint8))
    (tmp_path / "bad.npz").write_bytes((tmp_path / "good.npz").read_bytes()[:50])
    images, masks = pair(tmp_path, SQUARE)
    with open(os.path.join(images, "a.png"), "wb") as f:
        f.write(b"garbage")
    for data, name in ((f"npz:{tmp_path / 'bad.npz'}", "bad.npz"), (f"folders:{images},{masks}", "a.png")):
        assert cli(["study", "--data", data, "--size", "32", "--out", str(tmp_path / "out"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("semsegloss-swift study: error: ") and name in err and len(err.splitlines()) == 1
