"""Checks `Trainer.fit` makes before its first training step, so that a call that is
going to fail fails before it changes the model (ergonomics only: the library checks the
same things again as it goes, batch by batch and at the end of each epoch)."""
from __future__ import annotations

import numbers
import os
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from ._training_args import CODES, check_int, check_real

#: The largest patience the library takes (a 32-bit count of epochs).
MAX_PATIENCE = 2 ** 31 - 1


def check_verbose(verbose: Any) -> None:
    """`verbose` as documented: a bool or one of the ints 0, 1, 2 (any other value used to
    be taken for its truth: "no" printed progress lines)."""
    if isinstance(verbose, (bool, np.bool_)):
        return
    if not isinstance(verbose, numbers.Integral):
        raise TypeError(f"verbose: expected True, False or 0, 1 or 2, got {verbose!r}")
    if int(verbose) not in (0, 1, 2):
        raise ValueError(f"verbose: expected True, False or 0, 1 or 2, got {int(verbose)}")


def early_stopping(spec: Optional[Mapping[str, Any]], has_validation: bool) -> Tuple[int, int, float]:
    """``fit``'s ``early_stopping`` dict as (monitor code, patience, min_delta), monitor -1
    when there is none; every field checked against what the library accepts (which
    refused a bad ``min_delta`` only at the end of the first epoch, after its steps)."""
    if spec is None:
        return -1, 1, 0.0
    if not isinstance(spec, Mapping):
        raise TypeError(f"early_stopping: expected None or a dict like {{'monitor': 'val_iou', "
                        f"'patience': 5}}, got {type(spec).__name__}")
    unknown = sorted(set(spec) - {"monitor", "patience", "min_delta"}, key=repr)
    if unknown:
        raise ValueError(f"early_stopping: unknown key {unknown[0]!r}; accepted: monitor, patience, min_delta")
    if not has_validation:
        raise ValueError("early_stopping: needs validation_data")
    monitor = spec.get("monitor", "val_loss")
    if not isinstance(monitor, str) or monitor not in CODES["monitor"]:
        raise ValueError(f"early_stopping: monitor must be one of {', '.join(map(repr, CODES['monitor']))}, "
                         f"got {monitor!r}")
    patience = check_int("patience", spec.get("patience", 5))
    if not 1 <= patience <= MAX_PATIENCE:
        raise ValueError(f"early_stopping: patience must be an integer in [1, {MAX_PATIENCE}], got {patience}")
    min_delta = check_real("min_delta", spec.get("min_delta", 0.0))
    if not (np.isfinite(min_delta) and min_delta >= 0.0):
        raise ValueError(f"early_stopping: min_delta must be a finite number >= 0, got {min_delta!r}")
    return CODES["monitor"][monitor], patience, min_delta


def checkpoint_location(path: str) -> str:
    """`path` if a checkpoint can be written there (saves follow symbolic links, also to a
    file not yet written, so a link's target is checked): the path is not empty,
    not a symbolic link that cannot be followed, not a folder or a special file, its
    folder exists, is a folder and is writable, and its name fits the file system. The
    library refuses those only when it saves, at the end of the first epoch."""
    if not path:
        raise OSError("checkpoint: must not be empty")
    if os.path.islink(path):
        try:
            os.stat(path)
        except FileNotFoundError:
            pass  # dangling: its target is checked below
        except OSError as e:
            raise OSError(f"checkpoint: {path}: is a symbolic link that cannot be followed ({e.strerror})") from None
    # A link's target is written (its temporary file next to it), so its folder is checked.
    real = os.path.realpath(path) if os.path.islink(path) else path
    where = f"{path} (a symbolic link to {real})" if real != path else path
    folder = os.path.dirname(os.path.abspath(real))
    if not os.path.isdir(folder):
        raise OSError(f"checkpoint: {where}: the folder {folder} does not exist or is not a folder")
    if os.path.exists(real) and not os.path.isfile(real):
        raise OSError(f"checkpoint: {where}: exists and is not a regular file (a folder or a device)")
    if not os.access(folder, os.W_OK):
        raise OSError(f"checkpoint: {where}: the folder {folder} is not writable")
    name = len(os.fsencode(os.path.basename(real)))
    longest = _path_limit(folder, "PC_NAME_MAX", 255)
    if name > longest:
        raise OSError(f"checkpoint: {where}: the file name is too long ({name} bytes; this file system "
                      f"takes at most {longest})")
    longest = _path_limit(folder, "PC_PATH_MAX", 4096) - 1  # the limit counts the final NUL byte
    if len(os.fsencode(real)) > longest:
        raise OSError(f"checkpoint: {where}: the path is too long ({len(os.fsencode(real))} bytes; "
                      f"at most {longest})")
    return path


def _path_limit(folder: str, name: str, default: int) -> int:
    try:
        limit = os.pathconf(folder, name)
    except (OSError, ValueError, AttributeError):
        return default
    return limit if limit and limit > 0 else default


def renamed(error: ValueError, names: Dict[str, str]) -> ValueError:
    """`error` with its leading argument name replaced (``y: ...`` -> ``validation_data[1]: ...``)."""
    message = str(error)
    argument, colon, rest = message.partition(":")
    if colon and argument in names:
        return ValueError(names[argument] + ":" + rest)
    return error
