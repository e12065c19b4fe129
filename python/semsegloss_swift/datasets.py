"""Datasets for the loss study: a synthetic chest X-ray phantom, an imbalanced lesion
variant, loaders for the real Montgomery / Shenzhen / "Lung Segmentation" folders, and your
own data (arrays, an ``.npz`` file, or an image folder with a mask folder).

All functions return ``(images, masks)`` as float32 arrays of shape (N, 1, size, size):
images scaled to [0, 1], masks exactly 0 or 1.

>>> from semsegloss_swift import datasets
>>> x, y = datasets.chest_xray_phantom(4, size=64, seed=0)
>>> x.shape, y.shape, x.dtype, float(y.max())
((4, 1, 64, 64), (4, 1, 64, 64), dtype('float32'), 1.0)
"""
from __future__ import annotations

import numbers
import os
from typing import Tuple

import numpy as np

from ._custom_data import check_image_size, from_arrays, load_npz
from ._split import split
from .datasets_folders import load_folders, load_lung_segmentation, load_montgomery, load_shenzhen

__all__ = ["chest_xray_phantom", "imbalanced_lesion_phantom", "load_montgomery", "load_shenzhen",
           "load_lung_segmentation", "from_arrays", "load_npz", "load_folders", "load", "split"]

Arrays = Tuple[np.ndarray, np.ndarray]


# ----------------------------------------------------------------------------- helpers

def _check_count_size(n: int, size: int, seed: int) -> None:
    def integer(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not integer(n) or n < 1:
        raise ValueError(f"n: expected a positive integer, got {n!r}")
    check_image_size(size, n, argument="n and size")
    if not integer(seed) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")


def _blur(img: np.ndarray, radius: int) -> np.ndarray:
    """Separable box blur applied twice (close to a Gaussian), edge-replicated."""
    if radius < 1:
        return img
    out = img
    k = 2 * radius + 1
    for _ in range(2):
        for axis in (0, 1):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (radius + 1, radius)
            c = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis)
            out = (np.take(c, range(k, c.shape[axis]), axis=axis)
                   - np.take(c, range(0, c.shape[axis] - k), axis=axis)) / k
    return out


def _lung_shape(yy, xx, cy, cx, ry, rx, angle, medial_sign, flatten):
    """An egg-shaped lung field: rounded apex, broad base, a flattened medial border and a
    domed diaphragm. Returns a boolean mask."""
    ca, sa = np.cos(angle), np.sin(angle)
    v = ((yy - cy) * ca + (xx - cx) * sa) / ry          # vertical, + downwards
    u = (-(yy - cy) * sa + (xx - cx) * ca) / rx         # horizontal
    width = 0.75 + 0.35 * np.clip(v, -1, 1)             # narrow apex, wide base
    inside = (u / width) ** 2 + v ** 2 <= 1
    medial = medial_sign * u < flatten                  # flatten the side facing the heart
    dome = v < 0.85 - 0.25 * (u * medial_sign + 1) ** 2 * 0.3
    return inside & medial & dome


def chest_xray_phantom(n: int = 64, size: int = 128, seed: int = 0,
                       opacity_probability: float = 0.3) -> Arrays:
    """Synthetic frontal chest radiographs with exact lung masks.

    Each image has a thorax, two lung fields of random shape, size, position, tilt and
    darkness, a heart shadow overlapping the left lung (excluded from the mask, as in the
    Montgomery/Shenzhen annotations), a spine, clavicles and ribs crossing the lungs, with
    random exposure, an illumination gradient, blur and noise; with probability
    ``opacity_probability`` bright opacities (consolidation-like) sit inside the lungs and
    stay in the mask. The mask is not recoverable by an intensity threshold (see the tests:
    the best global threshold stays below IoU 0.9).

    Parameters
    ----------
    n : int
        Number of images.
    size : int, default 128
        Height and width (>= 16).
    seed : int
        Seed of the generator; the same seed gives the same images.
    opacity_probability : float, default 0.3

    Returns
    -------
    images, masks : ndarray, float32, shape (n, 1, size, size)

    Examples
    --------
    >>> x, y = chest_xray_phantom(2, size=32, seed=1)
    >>> bool(((y == 0) | (y == 1)).all()), 0.1 < float(y.mean()) < 0.5
    (True, True)
    """
    _check_count_size(n, size, seed)
    if (isinstance(opacity_probability, bool) or not isinstance(opacity_probability, numbers.Real)
            or not 0 <= opacity_probability <= 1):
        raise ValueError(f"opacity_probability: expected a number in [0, 1], got {opacity_probability!r}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    images = np.empty((n, 1, size, size), np.float32)
    masks = np.empty((n, 1, size, size), np.float32)
    for i in range(n):
        img = np.full((size, size), 0.08)
        # thorax and soft tissue
        tcx, tcy = 0.5 + rng.normal(0, 0.02), 0.55 + rng.normal(0, 0.02)
        thorax = ((xx - tcx) / rng.uniform(0.40, 0.47)) ** 2 + ((yy - tcy) / rng.uniform(0.48, 0.56)) ** 2 <= 1
        img[thorax] = rng.uniform(0.50, 0.62)
        # lungs (image left = patient right)
        lung_dark = rng.uniform(0.15, 0.32)
        mask = np.zeros((size, size), bool)
        for side in (-1, 1):
            cx = 0.5 + side * rng.uniform(0.15, 0.21)
            lung = _lung_shape(yy, xx, cy=rng.uniform(0.44, 0.52), cx=cx,
                               ry=rng.uniform(0.27, 0.34), rx=rng.uniform(0.12, 0.17),
                               angle=side * rng.uniform(-0.05, 0.15), medial_sign=-side,
                               flatten=rng.uniform(0.35, 0.75))
            mask |= lung & thorax
        img[mask] = lung_dark + rng.uniform(-0.04, 0.04)
        # heart shadow over the left lung's medial part (removed from the mask)
        hcx, hcy = 0.5 + rng.uniform(0.04, 0.10), rng.uniform(0.62, 0.70)
        heart = ((xx - hcx) / rng.uniform(0.12, 0.17)) ** 2 + ((yy - hcy) / rng.uniform(0.10, 0.14)) ** 2 <= 1
        img[heart] = rng.uniform(0.55, 0.68)
        mask &= ~heart
        # spine / mediastinum
        spine = np.abs(xx - 0.5 - rng.normal(0, 0.01)) < rng.uniform(0.035, 0.05)
        img[spine & thorax] += 0.12
        # ribs: curved bright bands across the lungs (in the mask: they overlay the lung)
        n_ribs = rng.integers(6, 10)
        for k in range(n_ribs):
            y0 = 0.18 + k * rng.uniform(0.065, 0.08)
            curve = y0 + rng.uniform(0.25, 0.45) * (xx - 0.5) ** 2 + 0.04 * np.abs(xx - 0.5)
            band = np.abs(yy - curve) < rng.uniform(0.006, 0.014)
            img[band & thorax & ~spine] += rng.uniform(0.06, 0.14)
        # clavicles
        for side in (-1, 1):
            cl = np.abs(yy - (0.16 + 0.25 * side * (xx - 0.5) + rng.normal(0, 0.01))) < 0.012
            img[cl & (side * (xx - 0.5) > 0.02) & (np.abs(xx - 0.5) < 0.35)] += 0.2
        # opacities inside the lungs
        if rng.random() < opacity_probability and mask.any():
            ys, xs = np.nonzero(mask)
            for _ in range(rng.integers(1, 4)):
                j = rng.integers(len(ys))
                r = rng.uniform(0.03, 0.09)
                blob = np.exp(-(((yy - ys[j] / size) ** 2 + (xx - xs[j] / size) ** 2) / (2 * r * r)))
                img += rng.uniform(0.2, 0.4) * blob * mask
        # exposure, illumination, blur, noise
        img = img * rng.uniform(0.8, 1.2) + rng.uniform(-0.08, 0.08)
        img += rng.uniform(-0.1, 0.1) * (yy - 0.5) + rng.uniform(-0.1, 0.1) * (xx - 0.5)
        img = _blur(img, max(1, size // 96))
        img += rng.normal(0, rng.uniform(0.02, 0.05), img.shape)
        images[i, 0] = np.clip(img, 0, 1)
        masks[i, 0] = mask
    return images, masks


def imbalanced_lesion_phantom(n: int = 64, size: int = 128, seed: int = 0) -> Arrays:
    """The chest phantom with a different target: small lesions (nodule-like blobs) inside
    the lungs, about 1 % foreground, some images without any lesion — the highly
    imbalanced setting in which focal-type losses are claimed to win.

    Returns
    -------
    images, masks : ndarray, float32, shape (n, 1, size, size)

    Examples
    --------
    >>> x, y = imbalanced_lesion_phantom(8, size=64, seed=0)
    >>> 0.002 < float(y.mean()) < 0.03
    True
    """
    _check_count_size(n, size, seed)
    rng = np.random.default_rng(seed + 7919)
    images, lungs = chest_xray_phantom(n, size, seed, opacity_probability=0.0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    masks = np.zeros_like(lungs)
    for i in range(n):
        ys, xs = np.nonzero(lungs[i, 0])
        count = rng.choice([0, 1, 1, 2, 2, 3])
        img = images[i, 0].astype(np.float64)
        for _ in range(count if len(ys) else 0):
            j = rng.integers(len(ys))
            cy, cx = ys[j] / size, xs[j] / size
            ry, rx = rng.uniform(0.02, 0.05, 2)
            lesion = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            edge = np.exp(-np.maximum(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 - 1, 0) * 4)
            img += rng.uniform(0.08, 0.2) * edge       # faint, with soft edges
            masks[i, 0][lesion] = 1
        images[i, 0] = np.clip(img + rng.normal(0, 0.01, img.shape), 0, 1)
    return images, masks


def load(spec: str, size: int = 128, n: int = 704, seed: int = 0, classes: int = 1) -> Arrays:
    """Loads a data set from a study specification: ``synthetic``, ``imbalanced``,
    ``montgomery:PATH``, ``shenzhen:PATH``, ``folder:PATH`` (the "Lung Segmentation" layout),
    ``npz:FILE`` (:func:`load_npz`) or ``folders:IMAGES,MASKS`` (:func:`load_folders`).
    ``n`` and ``seed`` apply to the synthetic ones (704 = the study's image count); every
    set is resized to ``size`` x ``size``. ``classes`` >= 2 (label maps) needs ``npz:``; the
    other sets have binary masks."""
    if not isinstance(spec, str):
        raise TypeError(f"data: expected a data specification (str) such as 'synthetic' or 'npz:FILE', got {spec!r}")
    kind, _, path = spec.partition(":")
    if classes != 1 and kind != "npz":
        raise ValueError(f"classes: {spec!r} has binary masks; label maps of {classes} classes come from "
                         "npz:FILE (or study.run_study(..., arrays=...))")
    if kind == "npz" and path:
        return load_npz(os.path.expanduser(path), size, classes)
    if kind == "synthetic" and not path:
        return chest_xray_phantom(n, size, seed)
    if kind == "imbalanced" and not path:
        return imbalanced_lesion_phantom(n, size, seed)
    if kind == "folders" and path:
        images, comma, masks = path.partition(",")
        if not comma or not images or not masks:
            raise ValueError(f"data: expected folders:IMAGES_DIR,MASKS_DIR, got {spec!r}")
        return load_folders(images, masks, size)
    loaders = {"montgomery": load_montgomery, "shenzhen": load_shenzhen, "folder": load_lung_segmentation}
    if kind in loaders and path:
        return loaders[kind](os.path.expanduser(path), size)
    raise ValueError("data: expected synthetic, imbalanced, montgomery:PATH, shenzhen:PATH, folder:PATH, "
                     f"npz:FILE or folders:IMAGES_DIR,MASKS_DIR, got {spec!r}")
