"""Argument checks of the training API (types and Python-side ranges; the Swift library
validates everything again and names the argument in its messages)."""
from __future__ import annotations

import numbers
import os
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np

from . import _core
from ._masked_arrays import refuse_masked_array
from ._options import check_in_range, encode

PathLike = Union[str, "os.PathLike[str]"]
#: The codes of the trainer's enumerations (``predict`` outputs, ``monitor`` scores).
CODES = _core.training_codes()


def check_int(name: str, value: Any, low: int = -2 ** 63, high: int = 2 ** 63 - 1) -> int:
    """`value` as an int in [low, high] (by default: what a 64-bit integer holds)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name}: must be an integer in [{low}, {high}], got {int(value)}")
    return int(value)


def check_real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    check_in_range(name, value)
    return float(value)


def check_seed(value: Any) -> int:
    return check_int("seed", value, 0, 2 ** 64 - 1)


def check_threads(value: Any) -> int:
    if value is None:
        return 0
    n = check_int("threads", value)
    if n < 1:
        raise ValueError(f"threads: must be None (one per core) or >= 1, got {n}")
    return n


def check_path(name: str, value: Any) -> str:
    """`value` as a path (str or os.PathLike); TypeError or ValueError naming `name` when it
    is not one or holds a NUL byte (which the operating system cannot take)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name}: expected a str or os.PathLike path, got {type(value).__name__}")
    path = os.fspath(value)
    if ("\0" if isinstance(path, str) else b"\0") in path:
        raise ValueError(f"{name}: the path contains a NUL byte: {path!r}")
    return path


def as_float32(name: str, value: Any) -> np.ndarray:
    """`value` as a C-contiguous float32 array (real dtypes only)."""
    if value is None:
        raise TypeError(f"{name}: expected an array, got None")
    refuse_masked_array(name, value)
    try:
        arr = np.asarray(value)
    except ValueError as e:  # a ragged nested list
        raise ValueError(f"{name}: cannot be read as an array: its nested sequences do not all have the same "
                         f"shape ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: dtype {arr.dtype} is not supported; use a real numeric dtype")
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values become inf: reported
        # (not np.ascontiguousarray, which makes a 0-d input 1-d: its shape would be misreported)
        return np.asarray(arr, dtype=np.float32, order="C")


def resolve_loss(loss: Any) -> str:
    """Catalogue name of `loss`; the ``_loss`` suffix is optional (``"dice_bce"``)."""
    if not isinstance(loss, str):
        raise TypeError(f"loss: expected a loss name (str) or a loss object (ss.DiceLoss(...)), "
                        f"got {type(loss).__name__}")
    names = _core.loss_names()
    for candidate in (loss, loss + "_loss"):
        if candidate in names:
            return candidate
    raise ValueError(f"loss: unknown loss {loss!r}; valid names (the '_loss' suffix is optional): "
                     f"{', '.join(names)}")


def loss_and_options(loss: Any, options: Optional[Mapping[str, Any]]) -> Tuple[str, Optional[Mapping[str, Any]]]:
    """(catalogue name, options) from a loss name and ``loss_options``, or from a configured
    loss object (``ss.DiceLoss(batch=True)``, ``ss.presets.preset(...)``) and no options."""
    from ._loss_api import Loss
    if options is not None and not isinstance(options, Mapping):
        raise TypeError(f"loss_options: expected a dict of loss options, got {type(options).__name__}")
    if isinstance(loss, Loss):
        if options is not None:
            raise TypeError(f"loss_options: given next to a configured {type(loss).__name__}; "
                            "put the options in the loss object")
        return resolve_loss(type(loss)._function.__name__), dict(loss.options)
    return resolve_loss(loss), options


def loss_options(name: str, options: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The encoded options of loss `name` (a catalogue name): what its function would pass
    to the library (`library_options`), except that a mode not given stays absent, so that
    the trainer picks it from the model's output channels. An option the function does not
    take is a ValueError naming it, with what it is called here (`_option_hints`)."""
    from ._loss_api import library_options, option_names, sequence_options
    from ._option_hints import unknown_option_message, unknown_options
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise TypeError(f"loss_options: expected a dict of loss options, got {type(options).__name__}")
    for key in options:
        if not isinstance(key, str):
            raise TypeError(f"loss_options: option names must be str, got {key!r}")
    accepted = option_names(name)
    unknown = unknown_options(options, accepted)
    if unknown:
        raise ValueError(unknown_option_message(f"loss_options of {name}", unknown[0], accepted))
    full = library_options(name, dict(options))
    if "mode" not in options:
        full.pop("mode", None)
    return encode(full, sequences=sequence_options(name))
