"""Checks `Trainer.fit` makes before its first training step, so that a call that is
going to fail fails before it changes the model (ergonomics only: the library checks the
same things again as it goes, batch by batch and at the end of each epoch)."""
from __future__ import annotations

import os
from typing import Dict

import numpy as np


def checkpoint_location(path: str) -> str:
    """`path` if a checkpoint can be written there: its folder exists and is a folder, and
    the path is not itself a folder or a special file (the library refuses those only at
    the end of the first epoch)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OSError(f"checkpoint: {path}: the folder {folder} does not exist or is not a folder")
    if os.path.exists(path) and not os.path.isfile(path):
        raise OSError(f"checkpoint: {path}: exists and is not a regular file (a folder or a device)")
    if not os.access(folder, os.W_OK):
        raise OSError(f"checkpoint: {path}: the folder {folder} is not writable")
    return path


def require_finite(name: str, x: np.ndarray) -> None:
    """ValueError naming `name` and the first non-finite value (a NaN in the last image of
    the training set used to stop `fit` after the Adam steps of the batches before it)."""
    if not np.isfinite(x).all():
        i = int(np.flatnonzero(~np.isfinite(x.ravel()))[0])
        per_image = x[0].size
        raise ValueError(f"{name}: values must be finite, got {x.ravel()[i]} in sample {i // per_image} "
                         f"(flat index {i})")


def renamed(error: ValueError, names: Dict[str, str]) -> ValueError:
    """`error` with its leading argument name replaced (``y: ...`` -> ``validation_data[1]: ...``)."""
    message = str(error)
    argument, colon, rest = message.partition(":")
    if colon and argument in names:
        return ValueError(names[argument] + ":" + rest)
    return error
