"""Messages of the data-set helpers (audit of 2026-12-06): ``datasets.split``'s seed and
inputs, ragged nested lists given to ``from_arrays`` and a folder given to ``load_npz``
name the argument and say what is wrong."""
from __future__ import annotations

import os

import numpy as np
import pytest

from semsegloss_swift import datasets as D


@pytest.mark.parametrize("seed, exc, message", [
    (-1, ValueError, "seed: expected an integer >= 0, got -1"),
    (np.int64(-5), ValueError, "seed: expected an integer >= 0, got -5"),
    (1.5, TypeError, "seed: expected an integer >= 0, got 1.5"),
    ("1", TypeError, "seed: expected an integer >= 0, got '1'"),
    (True, TypeError, "seed: expected an integer >= 0, got True"),
    (None, TypeError, "seed: expected an integer >= 0, got None"),
])
def test_split_names_a_bad_seed(seed, exc, message):
    """Before 2026-12-06 NumPy's messages came without the name ("expected non-negative
    integer", "SeedSequence expects int or sequence of ints for entropy not 1.5"), and None
    shuffled with fresh entropy although the split is documented as seeded."""
    x = np.zeros((10, 1, 2, 2), np.float32)
    with pytest.raises(exc) as info:
        D.split(x, x, seed=seed)
    assert str(info.value) == message


def test_split_accepts_integer_seeds_of_any_size():
    x = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1)
    for seed in (0, np.uint64(2 ** 64 - 1), 2 ** 70):
        a, b = D.split(x, x, seed=seed), D.split(x, x, seed=int(seed))
        assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b))


@pytest.mark.parametrize("x, y, name", [
    (np.float32(1), np.zeros((10, 1)), "x"),
    (np.zeros((10, 1)), np.array(1.0), "y"),
    (5, 5, "x"),
    (None, np.zeros((10, 1)), "x"),
])
def test_split_names_an_input_that_is_not_an_array_of_samples(x, y, name):
    """Before 2026-12-06 a scalar gave "object of type 'numpy.float32' has no len()"."""
    with pytest.raises(TypeError, match=f"^{name}: expected an array of samples"):
        D.split(x, y)


@pytest.mark.parametrize("images, masks, name", [
    ([[[1, 2], [3]]], np.zeros((1, 2, 2)), "images"),
    (np.zeros((1, 2, 2)), [[[0, 1], [1]]], "masks"),
    ([np.zeros((4, 4)), np.zeros((5, 5))], [np.zeros((4, 4)), np.zeros((5, 5))], "images"),
])
def test_from_arrays_names_a_ragged_nested_list(images, masks, name):
    """Before 2026-12-06 NumPy's "setting an array element with a sequence. The requested
    array has an inhomogeneous shape..." came without the argument's name."""
    with pytest.raises(ValueError, match=f"^{name}: .*same shape"):
        D.from_arrays(images, masks)


def test_load_npz_on_a_folder_says_it_is_a_folder(tmp_path):
    """Before 2026-12-06 a folder named data.npz was reported as "file not found"."""
    folder = tmp_path / "data.npz"
    folder.mkdir()
    for call in (lambda: D.load_npz(folder), lambda: D.load(f"npz:{folder}")):
        with pytest.raises(IsADirectoryError, match="^npz: .*data.npz is a folder, not an .npz file"):
            call()
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="^npz: .*pipe.npz is not a regular file"):
        D.load_npz(fifo)
    with pytest.raises(FileNotFoundError, match="^npz: file not found: "):
        D.load_npz(tmp_path / "missing.npz")
