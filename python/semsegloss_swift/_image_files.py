"""Reading one image or mask file with Pillow, for the folder loaders (``datasets_folders``):
which bit depths and mask values are accepted, and errors that name the file.

Images: read as grayscale; 8-bit (and colour, converted to luminance) divided by 255,
16-bit (Pillow modes ``I;16*`` and ``I``) by 65535 at full precision, 32-bit float images
kept when in [0, 1]. Masks follow :func:`datasets.from_arrays`: grey levels 0/1 or 0/255
(a colour mask must be grey: its channels equal; alpha, if any, opaque). JPEG masks are
lossy, so they get a tolerance: a pixel is foreground above 127, and the file is refused if
more than 1 % of its pixels are mid-grey (64-191) or if it has no pixel above 127 but some
above 0 (a 0/1 or label mask, which JPEG cannot keep apart from noise). Both readers also
return the file's size, which the loaders compare: a mask must have its image's size.
"""
from __future__ import annotations

import contextlib
import struct
import zlib
from typing import Iterator, Tuple

import numpy as np

from ._custom_data import binary_masks

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
#: Formats whose compression moves grey levels (JPEG; MPO: multi-picture JPEG).
_LOSSY = ("JPEG", "MPO")
_MID_GREY = (64, 191)
_MID_GREY_FRACTION = 0.01


def pillow():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("reading image folders needs Pillow: pip install pillow "
                          "(or pip install 'semsegloss-swift[plots]')") from e
    return Image


@contextlib.contextmanager
def _reading(path: str, what: str, kind: str) -> Iterator[None]:
    """Pillow's errors on `path` as ValueError (not an image, truncated, too large) or the
    same OSError (missing, unreadable, a folder), each naming the file."""
    Image = pillow()
    try:
        yield
    except Image.DecompressionBombError as e:
        raise ValueError(f"{what}: {kind} {path} is too large to read ({e})") from None
    except OSError as e:
        if e.errno is not None:    # the file system's: missing, no permission, a folder, a link loop
            error = type(e)(f"{what}: cannot read {kind} {path}: {e.strerror}")
            error.errno = e.errno
            raise error from None
        raise ValueError(f"{what}: {kind} {path} is not a readable image ({e})") from None
    except (SyntaxError, ValueError, EOFError, struct.error, zlib.error) as e:
        raise ValueError(f"{what}: {kind} {path} is not a readable image ({type(e).__name__}: {e})") from None


def read_image(path: str, size: int, what: str) -> Tuple[np.ndarray, Tuple[int, int]]:
    """(size, size) float32 in [0, 1], resized bilinearly, and the file's (width, height)."""
    Image = pillow()
    with _reading(path, what, "image"):
        with Image.open(path) as im:
            mode, original = im.mode, im.size
            if mode in _SIXTEEN_BIT or mode == "F":
                raw = np.asarray(im).astype(np.float64)
            else:      # 8-bit grey, colour, palette, 1-bit: luminance, as always
                small = np.asarray(im.convert("L").resize((size, size), Image.BILINEAR), dtype=np.float32)
                return small / 255.0, original
    if not np.isfinite(raw).all():
        raise ValueError(f"{what}: image {path} contains NaN or infinity")
    lo, hi = float(raw.min()), float(raw.max())
    if mode == "F":
        if lo < 0 or hi > 1:
            raise ValueError(f"{what}: image {path} is a 32-bit float image with values in [{lo}, {hi}]; "
                             "float images must lie in [0, 1] (or save it as 8- or 16-bit)")
        scaled = raw
    else:
        if lo < 0 or hi > 65535:
            raise ValueError(f"{what}: image {path} has values in [{lo:.0f}, {hi:.0f}]; integer images must be "
                             "8-bit (0-255) or 16-bit (0-65535)")
        scaled = raw / 65535.0
    resized = Image.fromarray(scaled.astype(np.float32)).resize((size, size), Image.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0), original


def _grey(a: np.ndarray, mode: str, path: str, what: str) -> np.ndarray:
    """The one grey channel of a mask read as (H, W) or (H, W, C)."""
    if a.ndim == 2:
        return a
    if mode in ("LA", "RGBA"):
        alpha, a = a[..., -1], a[..., :-1]
        if not (alpha == 255).all():
            raise ValueError(f"{what}: mask {path} has transparent pixels; expected an opaque black-and-white "
                             "mask (grey levels 0/1 or 0/255)")
    if (a != a[..., :1]).any():
        raise ValueError(f"{what}: mask {path} is a colour image; expected a black-and-white mask "
                         "(grey levels 0/1 or 0/255)")
    return a[..., 0]


def read_mask(path: str, size: int, what: str) -> Tuple[np.ndarray, Tuple[int, int]]:
    """(size, size) float32 of 0 and 1, resized nearest, and the file's (width, height);
    other values raise ValueError naming the file (module docstring)."""
    Image = pillow()
    with _reading(path, what, "mask"):
        with Image.open(path) as im:
            original = im.size
            lossy = im.format in _LOSSY
            if lossy:
                im = im.convert("L")
            elif im.mode in ("P", "PA"):
                im = im.convert("RGBA")   # the palette's colours, not its indices
            elif im.mode not in ("1", "L", "LA", "RGB", "RGBA", "F") + _SIXTEEN_BIT:
                im = im.convert("RGB")
            mode, a = im.mode, np.asarray(im)
    if lossy:
        foreground = _lossy_foreground(a, path, what)
    else:
        hint = "; save it with 0 for background and 1 or 255 for foreground"
        foreground = binary_masks(_grey(a, mode, path, what), f"{what}: mask {path}", hint) > 0.5
    small = Image.fromarray(foreground.astype(np.uint8) * 255).resize((size, size), Image.NEAREST)
    return (np.asarray(small) > 127).astype(np.float32), original


def _lossy_foreground(a: np.ndarray, path: str, what: str) -> np.ndarray:
    """JPEG masks (the tolerance of the module docstring)."""
    mid = ((a >= _MID_GREY[0]) & (a <= _MID_GREY[1])).mean()
    if mid > _MID_GREY_FRACTION:
        raise ValueError(f"{what}: mask {path} is a JPEG with {mid:.1%} mid-grey pixels ({_MID_GREY[0]}-"
                         f"{_MID_GREY[1]}); expected a black-and-white mask (0/255): save masks as PNG")
    if a.max() <= 127 and a.max() > 0:
        raise ValueError(f"{what}: mask {path} is a JPEG without white pixels but with grey levels up to "
                         f"{int(a.max())} (a 0/1 or label mask?); JPEG masks must be black and white (0/255): "
                         "save masks as PNG")
    return a > 127
