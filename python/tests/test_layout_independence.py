"""A loss is the same number wherever its buffers lie in memory, and with or without a
gradient. LLVM vectorises a loop that reads the input and writes the gradient only after a
run-time check that the two do not overlap within a vector's reach; with the gradient right
after the input the scalar loop runs, and a sum kept in vector lanes would come out in
another order (a golden test was flaky for this reason: loss-only != with-gradient by one
Float ulp, depending on where NumPy had put the arrays).

Through the C ABI with ctypes (the release build the extension uses), so that the gradient
buffer can be placed right after the input on purpose."""
from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest

import semsegloss_swift as ss

LIB = ctypes.CDLL(str(Path(ss.__file__).parent / "libSemSegLossC.so"))


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("ndim", ctypes.c_int32), ("dtype", ctypes.c_int32)]


LIB.semseg_loss.restype = ctypes.c_int32
LIB.semseg_loss.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64, ctypes.POINTER(Tensor),
                            ctypes.POINTER(Tensor), ctypes.c_void_p, ctypes.POINTER(ctypes.c_double),
                            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
DTYPES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}


class Option(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_double)]


def call(name, x, g, grad=None, mode=0):
    """semseg_loss on C-contiguous x, g (same shape and dtype) with option mode (0 binary,
    2 multiclass); `grad` any writable buffer."""
    shape = (ctypes.c_int64 * x.ndim)(*x.shape)
    xt = Tensor(x.ctypes.data, shape, x.ndim, DTYPES[x.dtype])
    gt = Tensor(g.ctypes.data, shape, g.ndim, DTYPES[g.dtype])
    options = (Option * 1)(Option(b"mode", float(mode)))
    value = ctypes.c_double()
    err = ctypes.create_string_buffer(256)
    status = LIB.semseg_loss(name.encode(), options, 1, ctypes.byref(xt), ctypes.byref(gt), None,
                             ctypes.byref(value), None, None if grad is None else grad.ctypes.data, err, 256)
    assert status == 0, err.value
    return value.value


#: Every loss of the catalogue but the distance-map ones (their sums run over whole rows in
#: Double), in binary mode, and those with a multiclass form also in multiclass mode.
LOSSES = [n for n in ss.LOSSES if not any(k in n for k in ("hausdorff", "boundary", "distance", "shape_aware"))]
BINARY = [n for n in LOSSES if n not in ("cross_entropy_loss", "generalized_wasserstein_dice_loss")]
MULTICLASS = [n for n in LOSSES if n not in ("bce_loss", "weighted_bce_loss", "balanced_bce_loss",
                                             "dice_bce_loss", "lovasz_hinge_loss")]
CASES = [(n, 0) for n in BINARY] + [(n, 2) for n in MULTICLASS]


@pytest.mark.parametrize("name,mode", CASES, ids=[f"{n}-{'binary' if m == 0 else 'multiclass'}" for n, m in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_value_independent_of_gradient_and_layout(name, mode, dtype):
    rng = np.random.default_rng(3)
    channels = 1 if mode == 0 else 3
    for n in (16, 20, 33, 48, 100, 1000, 12000):
        if name == "ssim_loss" and n < 121:
            continue  # the 11 x 11 window needs a larger image
        shape = (1, channels, 11, n // 11) if name == "ssim_loss" else (1, channels, n)
        x0 = rng.normal(0, 3, shape).astype(dtype)
        if mode == 0:
            g = (rng.random(shape) < 0.4).astype(dtype)
        else:
            g = np.moveaxis(np.eye(channels, dtype=dtype)[rng.integers(0, channels, (1,) + shape[2:])], -1, 1).copy()
        size = x0.size
        loss_only = call(name, x0, g, mode=mode)
        separate = np.zeros(shape, dtype)
        apart = call(name, x0, g, separate, mode=mode)
        py_mode = "binary" if mode == 0 else "multiclass"
        assert getattr(ss, name)(x0, g, mode=py_mode) == loss_only  # the Python function: the same number
        for gap in (0, 3, 17):  # the gradient 0, 3 and 17 elements after the input's end
            joint = np.zeros(2 * size + gap, dtype)
            joint[:size] = x0.ravel()
            adjacent = call(name, joint[:size].reshape(shape), g, joint[size + gap:], mode=mode)
            assert loss_only == apart == adjacent, (name, n, gap, loss_only, apart, adjacent)
            np.testing.assert_array_equal(joint[size + gap:], separate.ravel())
