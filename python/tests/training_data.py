"""The tiny U-Net settings and the synthetic data (bright disks with their masks) that
test_training_{unet,fit,checkpoints,losses,targets}.py train and predict on."""
from __future__ import annotations

import numpy as np

TINY = dict(base_channels=4, depth=2, threads=2)


def disks(n, size=16, seed=0):
    """Bright disks (radius 3-6) on uniform noise, with their masks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    x = np.empty((n, 1, size, size), np.float32)
    y = np.empty_like(x)
    for i in range(n):
        r = rng.uniform(3, 6)
        cy, cx = rng.uniform(r, size - r, 2)
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        y[i, 0] = inside
        x[i, 0] = 0.6 * inside + rng.uniform(-0.4, 0.4, (size, size))
    return x, y
