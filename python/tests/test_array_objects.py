"""Array objects the NumPy conversion would misread or fail on, found by an audit of
2026-12-06: numpy.ma masked arrays (their mask would be dropped), conversions that run out of
memory or are interrupted, label maps of a float dtype, float64 targets that float32 cannot
hold, and torch tensors without readable values (sparse, nested, 'meta')."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import semsegloss_swift as ss
from semsegloss_swift import distance
from conftest import optional_module

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 1, 8, 8)).astype(np.float32)
T = (RNG.random((2, 1, 8, 8)) > 0.5).astype(np.float32)
XM = RNG.standard_normal((2, 3, 8, 8)).astype(np.float32)
LABELS = RNG.integers(0, 3, (2, 8, 8))


def masked(a):
    m = np.zeros(a.shape, bool)
    m.flat[0] = True
    return np.ma.MaskedArray(a, mask=m)


@pytest.mark.parametrize("call, argument", [
    (lambda: ss.dice_loss(masked(X), T), "input"),
    (lambda: ss.dice_loss(X, masked(T)), "target"),
    (lambda: ss.metrics.iou(masked(X), T, from_logits=True), "input"),
    (lambda: ss.dice_loss(XM, masked(LABELS), mode="multiclass"), "target"),
    (lambda: ss.masked_dice_loss(X, T, masked(T)), "mask"),
    (lambda: distance.distance_transform_edt(masked(T[0, 0] > 0)), "mask"),
])
def test_masked_arrays_are_refused_naming_the_argument(call, argument):
    """Before: the values under the mask were used as if valid, so two masked arrays that
    compare equal gave different losses."""
    with pytest.raises(TypeError, match=f"^{argument}: numpy.ma masked arrays are not accepted"):
        call()


def test_masked_arrays_are_refused_by_training():
    model = ss.UNet(base_channels=4, depth=1, threads=1)
    with pytest.raises(TypeError, match="^x: numpy.ma masked arrays"):
        ss.Trainer(model).fit(masked(np.zeros((2, 1, 16, 16), np.float32)), np.zeros((2, 1, 16, 16)), epochs=1,
                              verbose=False)


def test_a_conversion_without_memory_is_a_memory_error_naming_the_argument():
    """A 4 TiB broadcast view must be copied to be contiguous: NumPy's MemoryError used to
    come back as a TypeError showing a raw tuple."""
    huge = np.broadcast_to(np.float32(0.5), (1 << 20, 1, 1 << 20))
    with pytest.raises(MemoryError, match="^input: not enough memory to convert it"):
        ss.dice_loss(huge, huge)


def test_an_interrupt_during_conversion_stays_an_interrupt():
    class Interrupting:
        def __array__(self, dtype=None, copy=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ss.dice_loss(Interrupting(), T)
    with pytest.raises(KeyboardInterrupt):
        ss.dice_loss(X, Interrupting())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, bool])
def test_a_label_map_of_a_float_or_bool_dtype_is_told_so(dtype):
    for call in (lambda t: ss.dice_loss(XM, t, mode="multiclass"),
                 lambda t: ss.metrics.iou(XM, t, mode="multiclass", from_logits=True)):
        with pytest.raises(ValueError, match=r"^target: has the shape of a label map \(2, 8, 8\) but not an integer dtype"):
            call((LABELS > 0 if dtype is bool else LABELS).astype(dtype))


def test_a_float64_target_float32_cannot_hold_is_refused_without_a_numpy_warning():
    """Before: 1e39 became inf in the cast, NumPy warned from inside the library, and the
    message suggested ignore_index=inf."""
    t = T.astype(np.float64)
    t[0, 0, 1, 2] = 1e39
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^target: value 1e\+39 at flat index 10 does not fit float32"):
            ss.dice_loss(X, t)
    # within float32's range the target is rounded to the input's precision, as before
    t[0, 0, 1, 2] = 1.0
    assert ss.dice_loss(X, t) == ss.dice_loss(X, t.astype(np.float32))


def test_torch_tensors_without_readable_values_are_refused_naming_the_argument():
    torch = optional_module("torch")
    import semsegloss_swift.torch as sst

    x, t = torch.from_numpy(X).requires_grad_(), torch.from_numpy(T)
    crit = sst.DiceLoss()
    meta = torch.empty(2, 1, 8, 8, device="meta")
    cases = {
        "input: a 'meta' tensor": lambda: crit(meta.clone().requires_grad_(), t),
        "target: a 'meta' tensor": lambda: crit(x, meta),
        "mask: a 'meta' tensor": lambda: crit(x, t, mask=meta),
        "input: expected a dense (strided) tensor, got layout torch.sparse_coo": lambda: crit(
            torch.from_numpy(X).to_sparse().requires_grad_(), t),
    }
    for message, call in cases.items():
        with pytest.raises(TypeError, match="^" + re.escape(message)):
            call()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: nested tensors are a prototype
        nested = torch.nested.nested_tensor([x.detach()[0], x.detach()[1]])
    with pytest.raises(TypeError, match="^input: nested tensors are not supported"):
        crit(nested, t)
