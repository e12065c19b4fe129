"""The real chest X-ray folders (Montgomery, Shenzhen, the combined "Lung Segmentation"
layout) and your own image and mask folders, read with Pillow; re-exported by
``semsegloss_swift.datasets``.

Every loader returns ``(images, masks)`` as float32 arrays of shape (N, 1, size, size):
images scaled to [0, 1], masks exactly 0 or 1. Mask files must be binary (grey levels 0/1
or 0/255, as :func:`datasets.from_arrays`); what is accepted, and the errors naming an
unreadable or non-binary file, are in ``_image_files``. A mask must have its image's size
(ValueError naming both files). A mask without an image is an error; so is an image without
a mask in :func:`load_folders` (unless ``unlabelled="skip"``), while the Shenzhen and "Lung
Segmentation" layouts, whose public sets hold unlabelled images, skip them with a
UserWarning that counts and names them.
"""
from __future__ import annotations

import os
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._custom_data import check_image_size
from ._image_files import read_image, read_mask
from ._stack_level import user_stacklevel


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
    Unreadable files, masks that are not binary and masks of another size than their image
    (they are paired pixel by pixel) raise errors naming the files."""
    size = check_image_size(size, len(pairs))
    x = np.empty((len(pairs), 1, size, size), np.float32)
    y = np.empty_like(x)
    for i, (image, mask_paths) in enumerate(pairs):
        x[i, 0], (width, height) = read_image(image, size, what)
        masks = []
        for m in mask_paths:
            mask, (mask_width, mask_height) = read_mask(m, size, what)
            if (mask_width, mask_height) != (width, height):
                raise ValueError(f"{what}: mask {m} is {mask_width}x{mask_height} pixels but its image {image} "
                                 f"is {width}x{height}; a mask must have its image's size (they are paired "
                                 "pixel by pixel): is it the mask of another image, or rotated?")
            masks.append(mask)
        y[i, 0] = np.maximum.reduce(masks)
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


#: How many file names a message lists.
_NAMES_SHOWN = 10


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f", ... ({len(names) - _NAMES_SHOWN} more)" if len(names) > _NAMES_SHOWN else "")


def _pair_by_stem(images_dir: str, masks_dir: str, what: str, unlabelled: str) -> List[Tuple[str, List[str]]]:
    """Pairs images with masks named like the image or with a ``_mask`` suffix. A mask
    without an image is an error; an image without a mask too (`unlabelled` "error"), or
    it is left out with a warning that counts and names the images left out ("skip", for
    layouts whose public sets have unlabelled images: Shenzhen has masks for about 566 of
    its 662 images)."""
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
    unlabelled_images = [images[k] for k in sorted(images) if k not in masks]
    if unlabelled_images and unlabelled == "error":
        raise ValueError(f"{what}: {len(unlabelled_images)} of {len(images)} image(s) in {images_dir} have no mask "
                         f"in {masks_dir} (named like the image, or with _mask): {_names(unlabelled_images)}; "
                         "add their masks, or move unlabelled images out of the images folder")
    if unlabelled_images:
        warnings.warn(f"{what}: skipped {len(unlabelled_images)} of {len(images)} image(s) in {images_dir} that have "
                      f"no mask in {masks_dir}: {_names(unlabelled_images)}", UserWarning,
                      stacklevel=user_stacklevel())
    return pairs


def load_shenzhen(path: str, size: int = 256, masks: Optional[str] = None) -> Arrays:
    """Shenzhen set: ``path/CXR_png/CHNCXR_0001_0.png`` with masks named
    ``CHNCXR_0001_0_mask.png`` in ``masks`` (default: the first of ``path/mask``,
    ``path/masks`` that exists). Images without a mask are skipped (the public set has masks
    for about 566 of its 662 images), with a UserWarning that counts and names them; a mask
    without an image raises ValueError naming it."""
    path = _folder_argument("path", path)
    images_dir = _require_dir(os.path.join(path, "CXR_png"), "shenzhen")
    if masks is None:
        candidates = [os.path.join(path, d) for d in ("mask", "masks")]
        masks = next((c for c in candidates if os.path.isdir(c)), None)
        if masks is None:
            raise FileNotFoundError(f"shenzhen: no mask folder found, looked for {candidates}")
    masks = _folder_argument("masks", masks)
    return _stack(_pair_by_stem(images_dir, _require_dir(masks, "shenzhen"), "shenzhen", "skip"), size, "shenzhen")


def load_lung_segmentation(path: str, size: int = 256) -> Arrays:
    """The combined "Lung Segmentation" layout (Montgomery + Shenzhen): ``path/CXR_png`` and
    ``path/masks``, masks named like the image or with a ``_mask`` suffix. As in Shenzhen
    (whose images it holds), images without a mask are skipped with a UserWarning that counts
    and names them; a mask without an image raises ValueError naming it."""
    path = _folder_argument("path", path)
    images_dir = _require_dir(os.path.join(path, "CXR_png"), "folder")
    masks_dir = _require_dir(os.path.join(path, "masks"), "folder")
    return _stack(_pair_by_stem(images_dir, masks_dir, "folder", "skip"), size, "folder")


def load_folders(images: str, masks: str, size: int = 256, *, unlabelled: str = "error") -> Arrays:
    """Your own images in one folder and their masks in another, paired by name (``a.png``
    with ``a.png`` or ``a_mask.png``; a mask without an image is an error, and so are two
    images of one name such as ``a.png`` and ``a.jpg``, and an image without a mask: a
    ValueError naming the images, unless ``unlabelled="skip"``, which leaves them out with a
    UserWarning that counts and names them). A mask must have its image's size.
    Images are read as grayscale, resized (bilinear) to ``size`` and scaled to [0, 1]
    (8-bit by 255, 16-bit by 65535). Masks are binary, as for :func:`from_arrays`: grey
    levels 0/1 or 0/255 (JPEG masks: black and white, foreground above 127, see
    ``_image_files``), resized nearest; other values raise ValueError naming the file."""
    if unlabelled not in ("error", "skip"):
        raise ValueError(f"unlabelled: expected 'error' or 'skip', got {unlabelled!r}")
    images, masks = _folder_argument("images", images), _folder_argument("masks", masks)
    _require_dir(images, "folders")
    _require_dir(masks, "folders")
    if os.path.realpath(images) == os.path.realpath(masks):
        raise ValueError(f"folders: the images and the masks are the same folder ({images}); "
                         "expected folders:IMAGES_DIR,MASKS_DIR with the masks in a folder of their own")
    return _stack(_pair_by_stem(images, masks, "folders", unlabelled), size, "folders")
