"""The real chest X-ray folders (Montgomery, Shenzhen, the combined "Lung Segmentation"
layout) and your own image and mask folders, read with Pillow; re-exported by
``semsegloss_swift.datasets``.

Every loader returns ``(images, masks)`` as float32 arrays of shape (N, 1, size, size):
images scaled to [0, 1], masks exactly 0 or 1. Mask files must be binary (grey levels 0/1
or 0/255, as :func:`datasets.from_arrays`); what is accepted, and the errors naming an
unreadable or non-binary file, are in ``_image_files``.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._custom_data import check_image_size
from ._image_files import read_image, read_mask

Arrays = Tuple[np.ndarray, np.ndarray]


_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def _require_dir(path: str, what: str) -> str:
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{what}: folder not found: {path}")
    return path


def _folder_argument(name: str, value) -> str:
    from ._training_args import check_path
    return os.path.expanduser(check_path(name, os.fsdecode(value) if isinstance(value, bytes) else value))


def _images_in(folder: str) -> List[str]:
    return sorted(f for f in os.listdir(folder) if f.lower().endswith(_IMAGE_EXTENSIONS)
                  and not f.startswith("."))


def _stack(pairs: Sequence[Tuple[str, Sequence[str]]], size: int, what: str) -> Arrays:
    """Reads (image path, [mask paths]) pairs; several masks are merged (logical or).
    Unreadable files and masks that are not binary raise errors naming the file."""
    size = check_image_size(size, len(pairs))
    x = np.empty((len(pairs), 1, size, size), np.float32)
    y = np.empty_like(x)
    for i, (image, mask_paths) in enumerate(pairs):
        x[i, 0] = read_image(image, size, what)
        y[i, 0] = np.maximum.reduce([read_mask(m, size, what) for m in mask_paths])
    return x, y


def _stem(name: str) -> str:
    return os.path.splitext(name)[0]


def load_montgomery(path: str, size: int = 256) -> Arrays:
    """Montgomery County set: ``path/CXR_png/*.png`` with ``path/ManualMask/leftMask/`` and
    ``path/ManualMask/rightMask/`` holding same-named masks, merged into one lung mask.

    Every image must have both masks (a missing or extra mask raises ValueError naming it).
    Images are read as grayscale, resized to ``size`` x ``size`` (bilinear; masks nearest)
    and scaled to [0, 1].
    """
    path = _folder_argument("path", path)
    images_dir = _require_dir(os.path.join(path, "CXR_png"), "montgomery")
    left_dir = _require_dir(os.path.join(path, "ManualMask", "leftMask"), "montgomery")
    right_dir = _require_dir(os.path.join(path, "ManualMask", "rightMask"), "montgomery")
    images = _images_in(images_dir)
    left, right = set(_images_in(left_dir)), set(_images_in(right_dir))
    missing = [f for f in images if f not in left or f not in right]
    if missing:
        raise ValueError(f"montgomery: {len(missing)} image(s) lack a left or right mask, e.g. {missing[:3]}")
    extra = sorted((left | right) - set(images))
    if extra:
        raise ValueError(f"montgomery: {len(extra)} mask(s) have no image in CXR_png, e.g. {extra[:3]}")
    if not images:
        raise ValueError(f"montgomery: no images in {images_dir}")
    return _stack([(os.path.join(images_dir, f), [os.path.join(left_dir, f), os.path.join(right_dir, f)])
                   for f in images], size, "montgomery")


def _pair_by_stem(images_dir: str, masks_dir: str, what: str) -> List[Tuple[str, List[str]]]:
    """Pairs images with masks named like the image or with a ``_mask`` suffix; images
    without a mask are left out (the Shenzhen set has masks for about 566 of 662)."""
    masks = {}
    for m in _images_in(masks_dir):
        stem = _stem(m)
        key = stem[:-5] if stem.endswith("_mask") else stem
        if key in masks:
            raise ValueError(f"{what}: two masks for image {key!r}: {masks[key]} and {m}")
        masks[key] = m
    images: Dict[str, str] = {}
    for f in _images_in(images_dir):
        if _stem(f) in images:
            raise ValueError(f"{what}: two images named {_stem(f)!r} in {images_dir}: {images[_stem(f)]} and {f}; "
                             "keep one")
        images[_stem(f)] = f
    unmatched = sorted(set(masks) - set(images))
    if unmatched:
        raise ValueError(f"{what}: {len(unmatched)} mask(s) have no image in {images_dir}, e.g. "
                         f"{[masks[k] for k in unmatched[:3]]}")
    pairs = [(os.path.join(images_dir, images[k]), [os.path.join(masks_dir, masks[k])])
             for k in sorted(images) if k in masks]
    if not pairs:
        raise ValueError(f"{what}: no image in {images_dir} has a mask in {masks_dir}")
    return pairs


def load_shenzhen(path: str, size: int = 256, masks: Optional[str] = None) -> Arrays:
    """Shenzhen set: ``path/CXR_png/CHNCXR_0001_0.png`` with masks named
    ``CHNCXR_0001_0_mask.png`` in ``masks`` (default: the first of ``path/mask``,
    ``path/masks`` that exists). Images without a mask are skipped."""
    path = _folder_argument("path", path)
    images_dir = _require_dir(os.path.join(path, "CXR_png"), "shenzhen")
    if masks is None:
        candidates = [os.path.join(path, d) for d in ("mask", "masks")]
        masks = next((c for c in candidates if os.path.isdir(c)), None)
        if masks is None:
            raise FileNotFoundError(f"shenzhen: no mask folder found, looked for {candidates}")
    masks = _folder_argument("masks", masks)
    return _stack(_pair_by_stem(images_dir, _require_dir(masks, "shenzhen"), "shenzhen"), size, "shenzhen")


def load_lung_segmentation(path: str, size: int = 256) -> Arrays:
    """The combined "Lung Segmentation" layout (Montgomery + Shenzhen): ``path/CXR_png`` and
    ``path/masks``, masks named like the image or with a ``_mask`` suffix."""
    path = _folder_argument("path", path)
    images_dir = _require_dir(os.path.join(path, "CXR_png"), "folder")
    masks_dir = _require_dir(os.path.join(path, "masks"), "folder")
    return _stack(_pair_by_stem(images_dir, masks_dir, "folder"), size, "folder")


def load_folders(images: str, masks: str, size: int = 256) -> Arrays:
    """Your own images in one folder and their masks in another, paired by name (``a.png``
    with ``a.png`` or ``a_mask.png``; images without a mask are left out, a mask without an
    image is an error, and so are two images of one name such as ``a.png`` and ``a.jpg``).
    Images are read as grayscale, resized (bilinear) to ``size`` and scaled to [0, 1]
    (8-bit by 255, 16-bit by 65535). Masks are binary, as for :func:`from_arrays`: grey
    levels 0/1 or 0/255 (JPEG masks: black and white, foreground above 127, see
    ``_image_files``), resized nearest; other values raise ValueError naming the file."""
    images, masks = _folder_argument("images", images), _folder_argument("masks", masks)
    _require_dir(images, "folders")
    _require_dir(masks, "folders")
    if os.path.realpath(images) == os.path.realpath(masks):
        raise ValueError(f"folders: the images and the masks are the same folder ({images}); "
                         "expected folders:IMAGES_DIR,MASKS_DIR with the masks in a folder of their own")
    return _stack(_pair_by_stem(images, masks, "folders"), size, "folders")
