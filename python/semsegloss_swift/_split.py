"""The seeded train / validation / test split of the study (``datasets.split``)."""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, List, Tuple

import numpy as np

Arrays = Tuple[np.ndarray, np.ndarray]


def split(x: np.ndarray, y: np.ndarray, fractions: Iterable[float] = (0.8, 0.1, 0.1),
          seed: int = 0) -> List[Arrays]:
    """Shuffles (seeded) and splits into parts of the given fractions (default 80/10/10,
    as the study). Returns a list of (x, y) pairs; every part of a non-zero fraction gets at
    least one image (ValueError when there are fewer images than such parts), a part of
    fraction 0 none. Fractions must be finite, >= 0 and sum to 1; `seed` is an integer
    >= 0."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed: expected an integer >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {int(seed)}")
    _require_samples("x", x)
    _require_samples("y", y)
    try:
        fr = [float(f) for f in fractions]
    except (TypeError, ValueError):
        raise ValueError(f"fractions: expected numbers summing to 1, got {fractions!r}") from None
    if len(x) != len(y):
        raise ValueError(f"y: has {len(y)} images but x has {len(x)}")
    if not fr or not all(math.isfinite(f) and f >= 0 for f in fr) or abs(sum(fr) - 1) > 1e-9:
        raise ValueError(f"fractions: expected finite numbers >= 0 summing to 1, got {fr}")
    needed = sum(f > 0 for f in fr)
    if len(x) < needed:
        raise ValueError(f"x: {len(x)} images cannot be split into {needed} non-empty parts (fractions {fr})")
    order = np.random.default_rng(int(seed)).permutation(len(x))
    return [(x[order[a:b]], y[order[a:b]]) for a, b in zip(*_bounds(fr, len(x)))]


def _require_samples(name: str, a: Any) -> None:
    """TypeError naming `name` unless `a` has a first axis to split (a scalar has none)."""
    if not hasattr(a, "__len__") or getattr(a, "ndim", 1) == 0:
        raise TypeError(f"{name}: expected an array of samples (N, ...) to split, got "
                        f"{type(a).__name__}{' of shape ()' if getattr(a, 'ndim', 1) == 0 else ''}")


def _bounds(fr: List[float], n: int) -> Tuple[List[int], List[int]]:
    """Starts and ends of the parts: the cumulative fractions rounded, then moved as little
    as needed so that every part of a non-zero fraction holds at least one image (forwards
    from the start, then backwards from the end)."""
    b = [int(v) for v in np.round(np.cumsum([0.0] + fr) * n)]
    b[0], b[-1] = 0, n
    need = [1 if f > 0 else 0 for f in fr]
    for i in range(1, len(b) - 1):
        b[i] = max(b[i], b[i - 1] + need[i - 1])
    for i in range(len(b) - 2, 0, -1):
        b[i] = min(b[i], b[i + 1] - need[i])
    return b[:-1], b[1:]
