"""Your own arrays for the loss study (re-exported by :mod:`semsegloss_swift.datasets`).

Arrays in memory or in an ``.npz`` file, returned as ``(images, masks)`` like the built-in
data sets: float32, images (N, C, size, size) scaled to [0, 1], masks (N, 1, size, size)
exactly 0 or 1 (image files in folders: ``datasets.load_folders``).

- :func:`from_arrays`: NumPy arrays already in memory (``semsegloss_swift.study.run_study``
  takes them directly through ``arrays=(images, masks)``);
- :func:`load_npz`: an ``.npz`` file with arrays ``images`` and ``masks`` (or ``x`` and
  ``y``); study ``--data npz:PATH``.

>>> import numpy as np
>>> from semsegloss_swift import datasets
>>> images = np.random.default_rng(0).integers(0, 256, (4, 40, 40), dtype=np.uint8)
>>> masks = (images > 128).astype(np.uint8) * 255
>>> x, y = datasets.from_arrays(images, masks, size=32)
>>> x.shape, y.shape, float(x.max()) <= 1.0, sorted(np.unique(y).tolist())
((4, 1, 32, 32), (4, 1, 32, 32), True, [0.0, 1.0])
"""
from __future__ import annotations

import os
import zipfile
import zlib
from typing import Optional, Tuple

import numpy as np

Arrays = Tuple[np.ndarray, np.ndarray]



# Generated or resized data sets stay below 4 GiB per float32 array (images, masks).
MAX_IMAGE_SIZE = 16384
MAX_PIXELS = 1 << 30


def check_image_size(size, count: int = 1, argument: str = "size") -> int:
    """`size` as an int: an integer in [16, MAX_IMAGE_SIZE] (not a bool) whose `count`
    images of size x size hold at most MAX_PIXELS pixels; else ValueError naming `size`,
    or `argument` for too many pixels (e.g. "n and size" where the count is an argument too)."""
    if not isinstance(size, (int, np.integer)) or isinstance(size, (bool, np.bool_)) or size < 16:
        raise ValueError(f"size: expected an integer >= 16, got {size!r}")
    if size > MAX_IMAGE_SIZE:
        raise ValueError(f"size: expected at most {MAX_IMAGE_SIZE}, got {size!r}")
    if int(count) * int(size) ** 2 > MAX_PIXELS:
        raise ValueError(f"{argument}: {count} images of {size}x{size} are {int(count) * int(size) ** 2} pixels, "
                         f"more than the {MAX_PIXELS} (2**30) a data set may hold")
    return int(size)


def _as_array(a, name: str) -> np.ndarray:
    """`a` as an array; ValueError naming `name` for a ragged nested list."""
    try:
        return np.asarray(a)
    except ValueError as e:
        raise ValueError(f"{name}: cannot be read as an array: its nested sequences do not all have the same "
                         f"shape ({e})") from None


def _as_nchw(a: np.ndarray, name: str, channels_allowed: bool) -> np.ndarray:
    if a.ndim == 3:
        return a[:, None]
    if a.ndim == 4 and (channels_allowed or a.shape[1] == 1):
        return a
    expected = "(N, H, W) or (N, C, H, W)" if channels_allowed else "(N, H, W) or (N, 1, H, W)"
    if a.ndim == 4 and a.shape[-1] == 1:
        raise ValueError(f"{name}: expected shape {expected}, got {a.shape}, which looks channels-last "
                         f"(N, H, W, 1): pass {name}[..., 0]")
    raise ValueError(f"{name}: expected shape {expected}, got {a.shape}")


#: Channel counts that make a last axis look like channels (grey, RGB, RGBA).
_CHANNELS = (1, 3, 4)


def _channels_last(images: np.ndarray, masks: np.ndarray) -> bool:
    """Whether (N, C, H, W)-read `images` that do not match `masks` (N, 1, H, W) are
    unambiguously channels-last: (N, H, W, C) with C 1, 3 or 4 and H, W those of the masks."""
    return (images.ndim == 4 and images.shape[-1] in _CHANNELS and images.shape[0] == masks.shape[0]
            and images.shape[1:3] == masks.shape[2:])


def _scaled_images(a: np.ndarray) -> np.ndarray:
    """Integers by their type's largest value (uint8: 255); floats as they are when in [0, 1],
    else min-max over the whole set (computed in float64: float16 or float32 extremes would
    overflow)."""
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        if info.min < 0 and a.min() < 0:
            raise ValueError(f"images: negative values in an integer array ({a.dtype}); pass floats")
        return (a / float(info.max)).astype(np.float32)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"images: expected a numeric array, got dtype {a.dtype}")
    if not np.isfinite(a).all():
        raise ValueError("images: contain NaN or infinity")
    lo, hi = float(a.min()), float(a.max())
    if lo >= 0.0 and hi <= 1.0:
        return a.astype(np.float32)
    scale = max(abs(lo), abs(hi))              # keeps hi - lo finite even for float64 extremes
    b, lo, hi = a.astype(np.float64) / scale, lo / scale, hi / scale
    return ((b - lo) / (hi - lo if hi > lo else 1.0)).astype(np.float32)


_LABEL_MAP_HINT = "; for one class of a label map pass (masks == k)"


def binary_masks(a: np.ndarray, name: str = "masks", hint: str = _LABEL_MAP_HINT) -> np.ndarray:
    """0/1 or 0/255 integers (or booleans); floats in [0, 1] thresholded at 0.5. Other values
    raise ValueError starting with `name` and ending with `hint`."""
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        values = set(np.unique(a).tolist())
        for fg in (1, 255):
            if values <= {0, fg}:
                return (a == fg).astype(np.float32)
        raise ValueError(f"{name}: expected binary masks (0/1 or 0/255), got values {sorted(values)[:8]}{hint}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name}: expected a numeric or boolean array, got dtype {a.dtype}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: contain NaN or infinity")
    if a.min() < 0 or a.max() > 1:
        raise ValueError(f"{name}: float masks must lie in [0, 1] (thresholded at 0.5), got [{a.min()}, {a.max()}]")
    return (a > 0.5).astype(np.float32)


def _label_maps(a: np.ndarray, classes: int) -> np.ndarray:
    """Integer (or integral float) class labels in [0, classes), as float32."""
    if a.dtype == np.bool_ or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"masks: expected integer class labels for classes={classes}, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.floating) and not (np.isfinite(a).all() and np.array_equal(a, np.round(a))):
        raise ValueError(f"masks: expected integer class labels for classes={classes}, got non-integral values")
    lo, hi = a.min(), a.max()
    if lo < 0 or hi >= classes:
        raise ValueError(f"masks: class labels must lie in [0, {classes}) for classes={classes}, got [{lo}, {hi}]")
    return a.astype(np.float32)


def _linear_taps(n_in: int, n_out: int):
    """Bilinear resampling along one axis, pixel centres aligned (as PIL's BILINEAR when
    enlarging; when shrinking it averages neighbours instead of all covered pixels): for
    each output pixel its two source pixels and their weights, as ((lo, w_lo), (hi, w_hi))
    with w_hi = 0 where the clipped source pixels coincide."""
    pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    pos = np.clip(pos, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    w = pos - lo
    same = lo == hi
    return (lo, np.where(same, (1 - w) + w, 1 - w)), (hi, np.where(same, 0.0, w))


def resize(a: np.ndarray, size: int, is_mask: bool) -> np.ndarray:
    """(N, C, H, W) -> (N, C, size, size): bilinear for images, nearest for masks.

    An image pixel is the sum, in float64, of its four source pixels times their row and
    column weights, added in the order (top, left), (top, right), (bottom, left), (bottom,
    right): bitwise the contraction ``einsum("ih,nchw,jw->ncij", rows, a, cols)`` with the
    (size, H) and (size, W) resampling matrices, which took minutes for a few large images
    (O(N C size^2 H W)); this takes O(N C size^2)."""
    n, c, h, w = a.shape
    if (h, w) == (size, size):
        return a
    if is_mask:
        rows = np.minimum(((np.arange(size) + 0.5) * h / size).astype(int), h - 1)
        cols = np.minimum(((np.arange(size) + 0.5) * w / size).astype(int), w - 1)
        return a[:, :, rows][:, :, :, cols]
    out = None
    for rows, row_weights in _linear_taps(h, size):
        for cols, col_weights in _linear_taps(w, size):
            term = a[:, :, rows[:, None], cols[None, :]].astype(np.float64)
            term *= row_weights[:, None]
            term *= col_weights
            if out is None:
                out = term
            else:
                out += term
    return out.astype(np.float32)


def from_arrays(images, masks, size: Optional[int] = None, classes: int = 1) -> Arrays:
    """Checks and converts your own arrays for the study.

    Parameters
    ----------
    images : array_like, (N, H, W) or (N, C, H, W)
        Channels first: channels-last images (N, H, W, C) are refused with a hint
        (``np.moveaxis(images, -1, 1)``) when the masks make that unambiguous. Integers are divided by their type's largest value (uint8: 255); floats in [0, 1]
        are kept, other floats min-max scaled over the whole set. NaN/inf are refused.
    masks : array_like, (N, H, W) or (N, 1, H, W)
        Binary: booleans, integers 0/1 or 0/255, or floats in [0, 1] (thresholded at 0.5).
        With `classes` >= 2: label maps of integer classes in [0, classes).
    size : int, optional
        Resize both to ``size`` x ``size`` (images bilinear, masks nearest); None keeps H, W.
    classes : int, default 1
        1 for binary masks, else the number of classes of the label maps.

    Returns
    -------
    (images, masks) : float32, (N, C, size, size) and (N, 1, size, size) (0/1, or the labels)
    """
    if not isinstance(classes, (int, np.integer)) or isinstance(classes, bool) or classes < 1:
        raise ValueError(f"classes: expected 1 (binary masks) or the number of classes K >= 2, got {classes!r}")
    x = _as_nchw(_as_array(images, "images"), "images", channels_allowed=True)
    y = _as_nchw(_as_array(masks, "masks"), "masks", channels_allowed=False)
    if len(x) == 0:
        raise ValueError("images: the data set is empty")
    if x.shape[1] == 0:
        raise ValueError(f"images: need at least one channel, got shape {x.shape}")
    if 0 in x.shape[2:]:
        raise ValueError(f"images: height and width must be at least 1, got shape {x.shape}")
    if x.shape[0] != y.shape[0] or x.shape[2:] != y.shape[2:]:
        if _channels_last(x, y):
            raise ValueError(f"images: shape {x.shape} looks channels-last (N, H, W, C with C = {x.shape[-1]}; the "
                             f"masks are {y.shape[2]}x{y.shape[3]}); expected (N, H, W) or (N, C, H, W): "
                             "pass np.moveaxis(images, -1, 1)")
        raise ValueError(f"masks: shape {y.shape} does not match images {x.shape} (same N, H, W)")
    x, y = _scaled_images(x), (_label_maps(y, int(classes)) if classes >= 2 else binary_masks(y))
    if size is not None:
        size = check_image_size(size, len(x))
        x, y = resize(x, size, is_mask=False), resize(y, size, is_mask=True)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def load_npz(path: str, size: Optional[int] = 256, classes: int = 1) -> Arrays:
    """An ``.npz`` file (``np.savez(path, images=..., masks=...)``; keys ``x`` and ``y`` also
    work), converted by :func:`from_arrays` (binary masks, or label maps with `classes`).
    A file that is not such an archive (empty, truncated, an ``.npy`` or text file renamed,
    pickled objects) or whose arrays do not convert raises ValueError naming it."""
    from ._training_args import check_path
    path = os.path.expanduser(check_path("path", os.fsdecode(path) if isinstance(path, bytes) else path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"npz: {path} is a folder, not an .npz file")
    if os.path.exists(path) and not os.path.isfile(path):
        raise OSError(f"npz: {path} is not a regular file (a FIFO or a device), not an .npz file")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"npz: file not found: {path}")
    with _open_npz(path) as f:
        keys = set(f.files)
        pair = next(((xk, yk) for xk, yk in (("images", "masks"), ("x", "y")) if xk in keys and yk in keys), None)
        if pair is None:
            raise ValueError(f"npz: {path} needs arrays 'images' and 'masks' (or 'x' and 'y'), has {sorted(keys)}")
        try:
            images, masks = f[pair[0]], f[pair[1]]
        except MemoryError as e:
            raise ValueError(f"npz: {path}: arrays {pair[0]!r} and {pair[1]!r} do not fit in memory ({e})") from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise ValueError(f"npz: {path}: cannot read arrays {pair[0]!r} and {pair[1]!r} "
                             f"({type(e).__name__}: {e})") from None
    try:
        return from_arrays(images, masks, size, classes)
    except (ValueError, TypeError) as e:
        raise type(e)(f"npz: {path}: {e}") from None


def _open_npz(path: str):
    """The opened archive of `path`, or ValueError naming it and what it is instead."""
    with open(path, "rb") as f:
        head = f.read(6)
    if not head:
        raise ValueError(f"npz: {path} is empty")
    if head == b"\x93NUMPY":
        raise ValueError(f"npz: {path} holds one array (an .npy file), not arrays 'images' and 'masks': "
                         "save with np.savez(path, images=..., masks=...)")
    if not head.startswith(b"PK"):
        raise ValueError(f"npz: {path} is not an .npz file (a zip archive written by np.savez)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"npz: {path} is not a readable .npz file ({type(e).__name__}: {e})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):  # pragma: no cover - excluded by the header check
        raise ValueError(f"npz: {path} is not an .npz file")
    return archive
