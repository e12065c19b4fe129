"""Keyword options -> the numeric codes of the C ABI (ergonomics only; no maths here)."""
from __future__ import annotations

import numbers
from typing import Any, Dict, FrozenSet, Mapping

import numpy as np

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
BOOLEANS = {"from_logits", "include_background", "batch", "squared_pred", "alpha_weighting", "normalized",
            "image_mean"}


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
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{name}: expected True or False, got {value!r}")


def is_bool(value: Any) -> bool:
    """A Python or NumPy boolean: True/False where a number is expected is a mistake
    (``ignore_index=np.False_`` would ignore label 0)."""
    return isinstance(value, (bool, np.bool_))


def check_in_range(name: str, value: Any) -> None:
    """ValueError naming `name` for a number beyond the float range (``10**400``), which
    would otherwise be an OverflowError naming nothing."""
    if isinstance(value, numbers.Real) and not isinstance(value, (float, np.floating)):
        try:
            float(value)
        except OverflowError:
            raise ValueError(f"{name}: out of range, got a number too large for a float "
                             f"({type(value).__name__}); expected a finite number") from None


def float_array(name: str, value: Any, expected: str = "a number or a sequence of numbers") -> np.ndarray:
    """`value` (a number, a sequence or an array of real numbers, any depth) as a float64
    array. Booleans, strings, bytes, None and complex numbers, alone or inside, are a
    TypeError naming `name` (NumPy would read ``'2'`` as 2.0 and True as 1.0); a number
    beyond the float range is a ValueError. The caller checks the shape."""
    def wrong() -> TypeError:
        return TypeError(f"{name}: expected {expected}, got {value!r}")

    if _not_a_number(value) or isinstance(value, Mapping):
        raise wrong()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting
        raise wrong() from None
    if arr.dtype.kind == "O":  # Python ints beyond int64, mixtures: each item must be a number
        if any(_not_a_number(v) for v in arr.ravel()):
            raise wrong()
        try:
            return arr.astype(np.float64)
        except OverflowError:
            raise ValueError(f"{name}: a value is out of range (too large for a float); expected finite "
                             "numbers") from None
        except (TypeError, ValueError):
            raise wrong() from None
    if arr.dtype.kind not in "iuf":
        raise wrong()
    return arr.astype(np.float64)


def _not_a_number(value: Any) -> bool:
    """None, a boolean, a string, bytes or a complex number, or a list or tuple holding one
    at any depth (NumPy would turn ``(1.0, True)`` into floats without a word)."""
    if isinstance(value, (list, tuple)):
        return any(_not_a_number(v) for v in value)
    return value is None or is_bool(value) or isinstance(value, (str, bytes, complex))


def flat_values(value: Any, name: str) -> np.ndarray:
    """A number (0-d) or a flat sequence of numbers (1-D) as float64; a string, a boolean, a
    nested sequence or a number beyond the float range raises, naming `name`."""
    values = float_array(name, value, "a number or a flat sequence of numbers")
    if values.ndim > 1:
        raise ValueError(f"{name}: expected a number or a flat sequence of numbers (one per spatial "
                         f"axis), got a nested sequence of shape {values.shape}")
    return values


#: The options that take a sequence: none by default (metrics); a loss passes its own
#: (`_loss_api.sequence_options`), as ``weight`` is a list for Dice and a number for the
#: unified focal loss.
NO_SEQUENCES: FrozenSet[str] = frozenset()

#: Encoded options by (name, type, value) triples: most calls repeat the same options, and
#: encoding them again would cost more than a small loss evaluation. Bounded; the
#: returned dicts are only read by the extension.
_CACHE: Dict[Any, Dict[str, Any]] = {}
_CACHE_LIMIT = 512


def encode(options: Dict[str, Any], *, empty_table: Mapping[str, int] = EMPTY_LOSS,
           sequences: FrozenSet[str] = NO_SEQUENCES) -> Dict[str, Any]:
    """Turns user options into the {name: number} dict passed to the C extension.

    Strings become codes, booleans stay booleans, None means "absent" (library default),
    and sequences of numbers (e.g. class weights), for the options named in `sequences`,
    become ``name.0``, ``name.1``, ... A boolean (Python or NumPy) for a numeric option, a
    sequence for an option not in `sequences` and an int beyond the float range raise,
    naming the option.
    """
    try:  # the type is part of the key: True == 1 must not share an entry with 1 (nor
        # (0.5, False) with (0.5, 0.0): tuple items carry their types too)
        key = (id(empty_table), sequences) + tuple(
            (k, type(v), tuple((type(e), e) for e in v) if isinstance(v, tuple) else v) for k, v in options.items())
        cached = _CACHE.get(key)
    except TypeError:  # unhashable values (lists of class weights): no caching
        return _encode(options, empty_table, sequences)
    if cached is None:
        cached = _encode(options, empty_table, sequences)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = cached
    return cached


def _encode(options: Dict[str, Any], empty_table: Mapping[str, int], sequences: FrozenSet[str]) -> Dict[str, Any]:
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
        elif is_bool(value) or (isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "b"):
            raise TypeError(f"{key}: expected a number, got {value!r}")
        elif _is_sequence(value):
            if key not in sequences:
                raise TypeError(f"{key}: expected a number, got {type(value).__name__} {value!r}")
            items = _numbers(key, value)
            for i, x in enumerate(items):
                out[f"{key}.{i}"] = x
        else:
            check_in_range(key, value)
            out[key] = value
    return out


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim >= 1)


def _numbers(key: str, value: Any) -> list:
    """A 1-D list of finite-or-not floats (the library checks the values)."""
    arr = float_array(key, value, "a list of numbers")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{key}: expected a non-empty 1-D list of numbers, got shape {arr.shape}")
    return [float(x) for x in arr]
