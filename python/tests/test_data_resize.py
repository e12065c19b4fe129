"""The bilinear image resize of ``datasets.from_arrays`` / ``load_npz`` (audit of
2026-12-06): it gives bitwise the results of the formula it replaced, a 5-index
``np.einsum`` without ``optimize`` that took 65 s for three 1024x1024 images."""
from __future__ import annotations

import numpy as np
import pytest

from semsegloss_swift import datasets as D
from semsegloss_swift._custom_data import resize


def previous_weights(n_in, n_out):
    """The (n_out, n_in) resampling matrix of the previous version (unchanged maths)."""
    pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    pos = np.clip(pos, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    w = pos - lo
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1 - w
    m[np.arange(n_out), hi] += w
    return m


def previous_resize(a, size):
    """The previous image resize: O(N C size^2 H W), 65 s for 3 x 1024^2 -> 128^2."""
    _, _, h, w = a.shape
    return np.einsum("ih,nchw,jw->ncij", previous_weights(h, size), a.astype(np.float64),
                     previous_weights(w, size)).astype(np.float32)


@pytest.mark.parametrize("shape, size", [
    ((3, 1, 64, 64), 16),      # shrinking by 4
    ((2, 3, 40, 24), 16),      # channels, non-square, shrinking by a non-integer factor
    ((2, 1, 16, 16), 48),      # enlarging by 3
    ((1, 2, 17, 29), 32),      # mixed: rows enlarged, columns shrunk
    ((2, 1, 1, 7), 16),        # one row: both taps clipped to it
    ((1, 1, 33, 1), 16),
])
def test_resize_equals_the_previous_formula_bitwise(shape, size):
    """Speed is not tested here: the previous formula is run on small cases only. The
    images are drawn both as arbitrary floats and as uint8 levels (as from_arrays gets
    them), whose products and sums round in other places."""
    rng = np.random.default_rng(sum(shape) + size)
    for a in (rng.random(shape).astype(np.float32),
              (rng.integers(0, 256, shape) / 255.0).astype(np.float32)):
        got = resize(a, size, is_mask=False)
        assert got.dtype == np.float32 and got.shape == shape[:2] + (size, size)
        assert np.array_equal(got, previous_resize(a, size))


def test_from_arrays_images_equal_the_previous_formula():
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (3, 50, 70), dtype=np.uint8)
    masks = images > 128
    x, y = D.from_arrays(images, masks, size=32)
    assert np.array_equal(x, previous_resize((images / 255.0).astype(np.float32)[:, None], 32))
    assert x.flags.c_contiguous and y.shape == (3, 1, 32, 32)


def test_resize_returns_an_array_of_the_target_size_as_it_is():
    a = np.random.default_rng(1).random((2, 1, 16, 16)).astype(np.float32)
    assert resize(a, 16, is_mask=False) is a
