"""Detects a dead U-Net during ``Trainer.fit``: every ReLU before the 1x1 head is off, so the
output is the head's bias at every pixel of every image, no gradient reaches any weight but
that bias, and more epochs cannot change it. The loss still falls slowly (the bias learns),
so nothing else tells the user. Small networks can start that way: ``UNet(base_channels=2,
depth=1)`` with seed 0 outputs one value for images in [0, 1] before any training (the
library's own doctests used it until 2026-12-06).

After each epoch the probe predicts a few images (logits, inference mode) and checks that
each output channel takes exactly one value over all their pixels. A network with any live
path varies from pixel to pixel (zero padding alone makes the borders differ), so there
are no false alarms in practice. It does not catch a network that has collapsed to a
nearly constant output but still learns (``study --quick`` without BatchNorm, seed 1:
logits within 0.005 of each other, one class everywhere); no threshold separates that from
early training without false alarms.
"""
from __future__ import annotations

import warnings

import numpy as np

from ._stack_level import user_stacklevel

#: Images the probe predicts after each epoch.
PROBE_IMAGES = 4


def output_is_constant(model, images: np.ndarray) -> bool:
    """Whether every output channel of `model` is one value over all pixels of `images`."""
    logits = model.predict(images[:PROBE_IMAGES], output="logits")
    flat = logits.transpose(1, 0, *range(2, logits.ndim)).reshape(logits.shape[1], -1)
    return bool(np.all(flat.max(axis=1) == flat.min(axis=1)))


def warn_dead(epoch: int, images: int) -> None:
    warnings.warn(
        f"fit: after epoch {epoch} the network outputs the same value at every pixel of {images} "
        "images: every ReLU before the output layer is off (a 'dead' network), no gradient reaches "
        "the weights, and more epochs will not change that. Start again with "
        "UNet(batch_norm=True), another seed or a lower lr.", RuntimeWarning, stacklevel=user_stacklevel())
