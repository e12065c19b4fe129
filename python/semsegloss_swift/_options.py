"""Keyword options -> the numeric codes of the C ABI (ergonomics only; no maths here)."""
from __future__ import annotations

from typing import Any, Dict, Mapping

from . import _core

MODES = {"binary": _core.MODE_BINARY, "multilabel": _core.MODE_MULTILABEL,
         "multiclass": _core.MODE_MULTICLASS}
REDUCTIONS = {"mean": _core.REDUCTION_MEAN, "sum": _core.REDUCTION_SUM, "none": _core.REDUCTION_NONE}
EMPTY_LOSS = {"smooth": _core.EMPTY_SMOOTH, "skip": _core.EMPTY_SKIP, "penalize_fp": _core.EMPTY_PENALIZE_FP}
EMPTY_METRIC = {"nan": _core.METRIC_EMPTY_NAN, "one": _core.METRIC_EMPTY_ONE,
                "zero": _core.METRIC_EMPTY_ZERO}

#: String options and their codes; loss families add theirs (e.g. ``weight_type``).
CHOICES: Dict[str, Mapping[str, int]] = {"mode": MODES, "reduction": REDUCTIONS}
#: Options that take True/False; loss families add theirs.
BOOLEANS = {"from_logits", "include_background", "batch", "squared_pred", "alpha_weighting", "normalized"}


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


#: Encoded options by (name, type, value) triples: most calls repeat the same options, and
#: encoding them again would cost more than a small loss evaluation. Bounded; the
#: returned dicts are only read by the extension.
_CACHE: Dict[Any, Dict[str, Any]] = {}
_CACHE_LIMIT = 512


def encode(options: Dict[str, Any], *, empty_table: Mapping[str, int] = EMPTY_LOSS) -> Dict[str, Any]:
    """Turns user options into the {name: number} dict passed to the C extension.

    Strings become codes, booleans stay booleans, None means "absent" (library default),
    and sequences of numbers (e.g. class weights) become ``name.0``, ``name.1``, ...
    """
    try:  # the type is part of the key: True == 1 must not share an entry with 1 (nor
        # (0.5, False) with (0.5, 0.0): tuple items carry their types too)
        key = (id(empty_table),) + tuple(
            (k, type(v), tuple((type(e), e) for e in v) if isinstance(v, tuple) else v) for k, v in options.items())
        cached = _CACHE.get(key)
    except TypeError:  # unhashable values (lists of class weights): no caching
        return _encode(options, empty_table)
    if cached is None:
        cached = _encode(options, empty_table)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = cached
    return cached


def _encode(options: Dict[str, Any], empty_table: Mapping[str, int]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in options.items():
        if key in CHOICES:
            out[key] = choice(key, value, CHOICES[key])
        elif key == "empty":
            out[key] = choice(key, value, empty_table)
        elif key in BOOLEANS:
            out[key] = flag(key, value)
        elif value is None:
            continue
        elif isinstance(value, bool):
            raise TypeError(f"{key}: expected a number, got {value!r}")
        elif _is_sequence(value):
            items = _numbers(key, value)
            for i, x in enumerate(items):
                out[f"{key}.{i}"] = x
        else:
            out[key] = value
    return out


def _is_sequence(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    try:
        import numpy as np
        return isinstance(value, np.ndarray) and value.ndim >= 1
    except ImportError:  # pragma: no cover
        return False


def _numbers(key: str, value: Any) -> list:
    """A 1-D list of finite-or-not floats (the library checks the values)."""
    import numpy as np
    if isinstance(value, (list, tuple)) and any(v is None or isinstance(v, (bool, np.bool_, str, bytes))
                                                 for v in value):
        raise TypeError(f"{key}: expected a list of numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{key}: expected a list of numbers, got {value!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{key}: expected a non-empty 1-D list of numbers, got shape {arr.shape}")
    return [float(x) for x in arr]
