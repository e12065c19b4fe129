"""Hypothesis strategies and random problem generation shared by the property tests.

Hypothesis draws the shape, the options and a seed; the arrays come from a NumPy generator
seeded with it, so shrinking stays cheap and values avoid exact threshold ties.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from hypothesis import strategies as st

IGNORE_VALUES = (255.0, -1.0)


@dataclass
class Problem:
    x: np.ndarray
    g: np.ndarray
    mode: str
    from_logits: bool
    ignore_index: Optional[float]
    options: dict = field(default_factory=dict)

    def common(self) -> dict:
        return dict(mode=self.mode, from_logits=self.from_logits, ignore_index=self.ignore_index)

    def astype(self, dtype) -> "Problem":
        return Problem(self.x.astype(dtype), self.g.astype(dtype), self.mode, self.from_logits,
                       self.ignore_index, dict(self.options))


def make_arrays(rng, shape, *, from_logits, soft, ignore_index, ignore_frac, empty_frac,
                p_range=(0.0, 1.0), large_frac=0.1):
    """Input (logits with some +-30, or probabilities incl. exact 0/1) and target."""
    if from_logits:
        x = rng.normal(0.0, 3.0, shape)
        big = rng.random(shape) < large_frac
        x[big] = rng.choice([-30.0, 30.0], size=int(big.sum()))
    else:
        lo, hi = p_range
        x = rng.uniform(lo, hi, shape)
        if lo == 0.0 and hi == 1.0:
            ends = rng.random(shape) < 0.05
            x[ends] = rng.choice([0.0, 1.0], size=int(ends.sum()))
    if soft:
        g = rng.uniform(0.0, 1.0, shape)
    else:
        g = (rng.random(shape) < rng.uniform(0.1, 0.9)).astype(np.float64)
    # Empty target masks for some (image, class) entries.
    n, c = shape[:2]
    for i in range(n):
        for j in range(c):
            if rng.random() < empty_frac:
                g[i, j] = 0.0
    if ignore_index is not None and ignore_frac > 0:
        g[rng.random(shape) < ignore_frac] = ignore_index
    return x, g


@st.composite
def problems(draw, modes=("binary", "multilabel"), from_logits=None, p_range=(0.0, 1.0),
             max_side=7, allow_all_ignored=True):
    mode = draw(st.sampled_from(modes))
    n = draw(st.integers(1, 3))
    c = 1 if mode == "binary" else draw(st.integers(1, 3))
    nd = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, max_side), min_size=nd, max_size=nd)))
    shape = (n, c) + spatial
    logits = draw(st.booleans()) if from_logits is None else from_logits
    soft = draw(st.booleans())
    ignore_index = draw(st.sampled_from((None,) + IGNORE_VALUES))
    fracs = [0.0, 0.15, 0.5] + ([1.0] if allow_all_ignored else [])
    ignore_frac = draw(st.sampled_from(fracs)) if ignore_index is not None else 0.0
    empty_frac = draw(st.sampled_from([0.0, 0.3]))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    x, g = make_arrays(rng, shape, from_logits=logits, soft=soft, ignore_index=ignore_index,
                       ignore_frac=ignore_frac, empty_frac=empty_frac, p_range=p_range)
    return Problem(x, g, mode, logits, ignore_index)


def include_background(draw, problem: Problem) -> bool:
    """False only where it is allowed (multilabel with at least 2 channels)."""
    if problem.mode == "multilabel" and problem.x.shape[1] > 1:
        return draw(st.booleans())
    return True


smooth_values = st.sampled_from([0.0, 1e-5, 1e-3, 1.0])
reductions = st.sampled_from(["mean", "sum", "none"])
unit_interval = st.floats(0.0, 1.0, allow_nan=False)
