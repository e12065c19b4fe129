"""Keyword options -> the numeric codes of the C ABI (ergonomics only; no maths here)."""
from __future__ import annotations

from typing import Any, Dict, Mapping

from . import _core

MODES = {"binary": _core.MODE_BINARY, "multilabel": _core.MODE_MULTILABEL,
         "multiclass": _core.MODE_MULTICLASS}
REDUCTIONS = {"mean": _core.REDUCTION_MEAN, "sum": _core.REDUCTION_SUM, "none": _core.REDUCTION_NONE}
EMPTY_LOSS = {"smooth": _core.EMPTY_SMOOTH, "skip": _core.EMPTY_SKIP}
EMPTY_METRIC = {"nan": _core.METRIC_EMPTY_NAN, "one": _core.METRIC_EMPTY_ONE,
                "zero": _core.METRIC_EMPTY_ZERO}

_CHOICES = {"mode": MODES, "reduction": REDUCTIONS}


def choice(name: str, value: Any, table: Mapping[str, int]) -> int:
    """Maps a string option to its code, raising ValueError that names the option."""
    if isinstance(value, str) and value in table:
        return table[value]
    allowed = ", ".join(repr(k) for k in table)
    raise ValueError(f"{name}: expected one of {allowed}, got {value!r}")


def flag(name: str, value: Any) -> bool:
    """Accepts Python and NumPy booleans only (not 0/1 strings or None)."""
    if isinstance(value, bool):
        return value
    try:
        import numpy as np
        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"{name}: expected True or False, got {value!r}")


def encode(options: Dict[str, Any], *, empty_table: Mapping[str, int] = EMPTY_LOSS) -> Dict[str, Any]:
    """Turns user options into the {name: number} dict passed to the C extension.

    Strings become codes, booleans stay booleans, None means "absent" (library default).
    """
    out: Dict[str, Any] = {}
    for key, value in options.items():
        if key in _CHOICES:
            out[key] = choice(key, value, _CHOICES[key])
        elif key == "empty":
            out[key] = choice(key, value, empty_table)
        elif key in ("from_logits", "include_background", "batch", "squared_pred", "alpha_weighting"):
            out[key] = flag(key, value)
        elif value is None:
            continue
        elif isinstance(value, bool):
            raise TypeError(f"{key}: expected a number, got {value!r}")
        else:
            out[key] = value
    return out
