"""Array handling: inputs are never modified (also when converted or when the call raises),
non-contiguous arrays and other dtypes give the same values as contiguous float arrays,
result dtypes follow the input, and the return types of DESIGN.md §2."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import ALL_LOSSES, METRIC_NAMES, PIXEL_LOSSES, REGION_LOSSES

RNG_SEED = 21


def arrays(shape=(2, 2, 6, 8), seed=RNG_SEED):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 2, shape), (rng.random(shape) < 0.5).astype(np.float64)


def call_loss(name, x, g, **opts):
    return getattr(ss, name)(x, g, mode="multilabel", return_grad=True, **opts)


# ------------------------------------------------------------------ immutability

@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32])
def test_inputs_not_modified(name, dtype):
    x, g = arrays()
    x = (x * 3).astype(dtype)
    g = g.astype(dtype)
    g.flat[::7] = 255
    x0, g0 = x.copy(), g.copy()
    call_loss(name, x, g, ignore_index=255)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
    assert x.dtype == dtype and g.dtype == dtype


@pytest.mark.parametrize("name", PIXEL_LOSSES + REGION_LOSSES)
def test_grad_output_not_modified(name):
    x, g = arrays()
    fn = getattr(ss, name)
    out_shape = fn(x, g, mode="multilabel", reduction="none").shape
    w = np.random.default_rng(3).normal(size=out_shape).astype(np.float32)  # converted inside
    w0 = w.copy()
    fn(x, g, mode="multilabel", reduction="none", return_grad=True, grad_output=w)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("name", ALL_LOSSES + METRIC_NAMES)
def test_inputs_not_modified_when_the_call_raises(name):
    fn = getattr(ss, name, None) or getattr(ss.metrics, name)
    x, g = arrays()
    g[0, 0, 0, 0] = 255  # no ignore_index: raises after scanning
    x0, g0 = x.copy(), g.copy()
    with pytest.raises(ValueError):
        fn(x, g, mode="multilabel", from_logits=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
    xt = x[:, :, ::2].astype(np.float32)  # a converted, non-contiguous view
    xt0 = xt.copy()
    with pytest.raises(ValueError):
        fn(xt, g[:, :, ::2], mode="multilabel", from_logits=True)
    np.testing.assert_array_equal(xt, xt0)


# ------------------------------------------------------------------ layouts

def layouts(x, g):
    """(name, x view, g view, contiguous x, contiguous g) of several non-contiguous layouts."""
    big_x = np.repeat(np.repeat(x, 2, axis=2), 2, axis=3)
    big_g = np.repeat(np.repeat(g, 2, axis=2), 2, axis=3)
    yield "slice", big_x[:, :, ::2, ::2], big_g[:, :, ::2, ::2]
    yield "transpose", x.transpose(0, 1, 3, 2), g.transpose(0, 1, 3, 2)
    yield "fortran", np.asfortranarray(x), np.asfortranarray(g)
    yield "reversed", x[:, :, ::-1], g[:, :, ::-1]
    yield "channel-last view", np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2), g
    yield "mixed", x[:, :, 1:5], np.ascontiguousarray(g[:, :, 1:5])


@pytest.mark.parametrize("name", ALL_LOSSES + METRIC_NAMES + ("confusion_counts",))
def test_non_contiguous_inputs_give_the_same_result(name):
    x, g = arrays()
    loss = name in ALL_LOSSES
    fn = getattr(ss, name) if loss else getattr(ss.metrics, name)
    opts = dict(mode="multilabel") if loss else dict(mode="multilabel", from_logits=True)
    for label, xv, gv in layouts(x, g):
        xc, gc = np.ascontiguousarray(xv), np.ascontiguousarray(gv)
        if loss:
            a, ga = fn(xv, gv, return_grad=True, **opts)
            b, gb = fn(xc, gc, return_grad=True, **opts)
            assert a == b, label
            np.testing.assert_array_equal(ga, gb, err_msg=label)
        else:
            np.testing.assert_array_equal(fn(xv, gv, **opts), fn(xc, gc, **opts), err_msg=label)


# ------------------------------------------------------------------ dtypes

@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("dtype,result", [(np.float16, np.float32), (np.int8, np.float64),
                                          (np.int64, np.float64), (np.uint8, np.float64),
                                          (np.bool_, np.float64), (np.float32, np.float32),
                                          (np.float64, np.float64)])
def test_other_input_dtypes(name, dtype, result):
    x, g = arrays()
    xd = (x > 0).astype(dtype) if dtype == np.bool_ else (x * 4).astype(dtype)
    loss, grad = call_loss(name, xd, g.astype(dtype))
    assert grad.dtype == result
    ref, ref_grad = call_loss(name, xd.astype(result), g.astype(result))
    assert loss == ref
    np.testing.assert_array_equal(grad, ref_grad)


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("tdtype", [np.bool_, np.int32, np.uint8, np.float16, np.float32])
def test_target_dtype_converted_to_input_dtype(name, tdtype):
    x, g = arrays()
    for xdtype in (np.float32, np.float64):
        loss, grad = call_loss(name, x.astype(xdtype), g.astype(tdtype))
        ref, ref_grad = call_loss(name, x.astype(xdtype), g.astype(xdtype))
        assert grad.dtype == xdtype
        assert loss == ref
        np.testing.assert_array_equal(grad, ref_grad)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_probabilities_given_as_bool(name):
    x, g = arrays()
    p = x > 0
    loss = getattr(ss, name)(p, g, mode="multilabel", from_logits=False)
    assert loss == getattr(ss, name)(p.astype(np.float64), g, mode="multilabel", from_logits=False)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_nested_lists_accepted(name):
    x, g = arrays((1, 1, 2, 3))
    fn = getattr(ss, name)
    assert fn(x.tolist(), g.tolist()) == fn(x, g)


# ------------------------------------------------------------------ result types

@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_result_types(name, dtype):
    x, g = arrays()
    x, g = x.astype(dtype), g.astype(dtype)
    fn = getattr(ss, name)
    for reduction in ("mean", "sum"):
        v = fn(x, g, mode="multilabel", reduction=reduction)
        assert type(v) is float
        v2, grad = fn(x, g, mode="multilabel", reduction=reduction, return_grad=True)
        assert type(v2) is float and v2 == v
        assert isinstance(grad, np.ndarray) and grad.dtype == dtype and grad.shape == x.shape
        assert grad.flags.c_contiguous and grad.flags.writeable
    if name != "dice_bce_loss":
        v = fn(x, g, mode="multilabel", reduction="none")
        assert isinstance(v, np.ndarray) and v.dtype == dtype
        expected = x.shape if name in PIXEL_LOSSES else x.shape[:2]
        assert v.shape == expected
        result = fn(x, g, mode="multilabel", reduction="none", return_grad=True)
        assert isinstance(result, tuple) and len(result) == 2
        np.testing.assert_array_equal(result[0], v)
        assert result[1].dtype == dtype


@pytest.mark.parametrize("name", METRIC_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_metric_result_types(name, dtype):
    x, g = arrays()
    fn = getattr(ss.metrics, name)
    x, g = x.astype(dtype), g.astype(dtype)
    assert type(fn(x, g, mode="multilabel", from_logits=True)) is float
    assert type(fn(x, g, mode="multilabel", from_logits=True, reduction="sum")) is float
    v = fn(x, g, mode="multilabel", from_logits=True, reduction="none")
    assert isinstance(v, np.ndarray) and v.shape == x.shape[:2] and v.dtype == np.float64
    v = fn(x, g, mode="multilabel", from_logits=True, reduction="none", batch=True)
    assert v.shape == (x.shape[1],)
    c = ss.metrics.confusion_counts(x, g, mode="multilabel", from_logits=True)
    assert c.dtype == np.int64 and c.shape == x.shape[:2] + (4,)


def test_option_cache_tells_bools_in_tuples_from_numbers():
    """Encoded options are cached by (name, type, value); a tuple's items carry their types
    too, so (1.0, True) is not served the encoding of the equal tuple (1.0, 1.0)."""
    x = np.zeros((1, 1, 4, 4))
    assert ss.boundary_loss(x, x, spacing=(1.0, 1.0)) == 0.0
    with pytest.raises(TypeError, match="^spacing: expected a list of numbers"):
        ss.boundary_loss(x, x, spacing=(1.0, True))
    with pytest.raises(TypeError, match="^spacing: expected a list of numbers"):
        ss.boundary_loss(x, x, spacing=[1.0, None])
