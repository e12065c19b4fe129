"""Random problems (hypothesis): the extension agrees with the plain-NumPy oracles of
oracles.py for every loss, option family and metric, in float64 (tight) and float32."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oracles
import semsegloss_swift as ss
from conftest import METRIC_NAMES, REGION_LOSSES, assert_close
from strategies import include_background, problems, reductions, smooth_values, unit_interval

DTYPES = [np.float64, np.float32]
# float64: 1e-10 relative (plus a tiny absolute term for values that cancel to ~0);
# float32: 1e-5 relative, absolute slack for 1 - ratio cancellations of float32 sums.
TOL = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 1e-5)}


def _check(got, want, dtype, reduction, what):
    rtol, atol = TOL[dtype]
    if reduction == "none":
        assert isinstance(got, np.ndarray), what
        assert got.dtype == dtype, what
    else:
        assert isinstance(got, float), what
    assert_close(got, want, rtol, atol, what=what)


@st.composite
def pixel_cases(draw, name):
    pr = draw(problems())
    opts = dict(pr.common(), reduction=draw(reductions))
    if name == "bce_loss":
        opts["pos_weight"] = draw(st.sampled_from([1.0, 0.25, 3.0, 1 / 3]))
    else:
        opts["alpha"] = draw(st.one_of(st.none(), unit_interval))
        opts["gamma"] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.3]))
    return pr, opts


@st.composite
def region_cases(draw, name):
    pr = draw(problems())
    opts = dict(pr.common(), reduction=draw(reductions), smooth_nr=draw(smooth_values),
                smooth_dr=draw(smooth_values), batch=draw(st.booleans()),
                empty=draw(st.sampled_from(["smooth", "skip"])),
                include_background=include_background(draw, pr))
    if name in ("dice_loss", "jaccard_loss"):
        opts["squared_pred"] = draw(st.booleans())
    if name in ("tversky_loss", "focal_tversky_loss"):
        opts["alpha"] = draw(unit_interval)
        opts["beta"] = draw(unit_interval)
    if name == "focal_tversky_loss":
        opts["gamma"] = draw(st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 3.0]))
        opts["floor"] = draw(st.sampled_from([1e-7, 1e-3, 0.05]))
    return pr, opts


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", ["bce_loss", "focal_loss"])
@settings(max_examples=40)
@given(data=st.data())
def test_pixel_loss_matches_oracle(name, dtype, data):
    pr, opts = data.draw(pixel_cases(name))
    pr = pr.astype(dtype)
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    want = oracles.LOSSES[name](pr.x, pr.g, **opts)
    _check(got, want, dtype, opts["reduction"], f"{name} {opts} shape={pr.x.shape}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", REGION_LOSSES)
@settings(max_examples=40)
@given(data=st.data())
def test_region_loss_matches_oracle(name, dtype, data):
    pr, opts = data.draw(region_cases(name))
    pr = pr.astype(dtype)
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    want = oracles.LOSSES[name](pr.x, pr.g, **opts)
    _check(got, want, dtype, opts["reduction"], f"{name} {opts} shape={pr.x.shape}")
    if opts["reduction"] == "none":
        n, c = pr.x.shape[:2]
        kept = c - (0 if opts["include_background"] else 1)
        assert got.shape == ((kept,) if opts["batch"] else (n, kept))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@settings(max_examples=40)
@given(data=st.data())
def test_dice_bce_matches_oracle(dtype, data):
    pr = data.draw(problems())
    opts = dict(pr.common(), reduction=data.draw(st.sampled_from(["mean", "sum"])),
                smooth_nr=data.draw(smooth_values), smooth_dr=data.draw(smooth_values),
                batch=data.draw(st.booleans()), squared_pred=data.draw(st.booleans()),
                empty=data.draw(st.sampled_from(["smooth", "skip"])),
                pos_weight=data.draw(st.sampled_from([1.0, 2.5])),
                lambda_dice=data.draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
                lambda_bce=data.draw(st.sampled_from([0.0, 0.5, 1.0])))
    pr = pr.astype(dtype)
    got = ss.dice_bce_loss(pr.x, pr.g, **opts)
    want = oracles.dice_bce_loss(pr.x, pr.g, **opts)
    _check(got, want, dtype, opts["reduction"], f"dice_bce {opts} shape={pr.x.shape}")


@pytest.mark.parametrize("name", ["bce_loss", "focal_loss", "dice_bce_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_pixel_losses_include_background_false_drops_channel0(name, reduction, rng):
    """The common docstring: "include_background ... Multilabel: False drops channel 0" —
    for pixel losses too, so the loss equals the loss on channels 1: and channel 0 gets no
    gradient."""
    x = rng.normal(0, 2, (2, 3, 4, 5))
    g = (rng.random((2, 3, 4, 5)) < 0.5).astype(np.float64)
    fn = getattr(ss, name)
    loss, grad = fn(x, g, mode="multilabel", include_background=False, reduction=reduction,
                    return_grad=True)
    want = oracles.LOSSES[name](x, g, mode="multilabel", include_background=False, reduction=reduction)
    ref, ref_grad = fn(x[:, 1:], g[:, 1:], mode="multilabel", reduction=reduction, return_grad=True)
    assert_close(loss, want, 1e-10, 1e-12, what=f"{name} vs oracle")
    assert_close(loss, ref, 1e-10, 1e-12, what=f"{name} vs channels 1:")
    assert np.all(grad[:, 0] == 0), f"{name}: channel 0 has gradient"
    assert_close(grad[:, 1:], ref_grad, 1e-10, 1e-14, what=f"{name} grad")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", METRIC_NAMES)
@settings(max_examples=25)
@given(data=st.data())
def test_metric_matches_oracle(name, dtype, data):
    pr = data.draw(problems())
    opts = dict(pr.common(), threshold=data.draw(st.sampled_from([0.5, 0.3, 0.8, 0.05])),
                batch=data.draw(st.booleans()), reduction=data.draw(reductions),
                empty=data.draw(st.sampled_from(["nan", "one", "zero"])),
                include_background=include_background(data.draw, pr))
    if name == "f_beta":
        opts["beta"] = data.draw(st.sampled_from([1.0, 0.5, 2.0, 3.0]))
    pr = pr.astype(dtype)
    fn = getattr(ss.metrics, name)
    got = fn(pr.x, pr.g, **opts)
    want = oracles.metric(name, pr.x, pr.g, **opts)
    if opts["reduction"] == "none":
        assert isinstance(got, np.ndarray) and got.dtype == np.float64
    else:
        assert isinstance(got, float)
    assert_close(got, want, 1e-12, 1e-12, what=f"{name} {opts} shape={pr.x.shape}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@settings(max_examples=30)
@given(data=st.data())
def test_confusion_counts_match_oracle(dtype, data):
    pr = data.draw(problems())
    opts = dict(pr.common(), threshold=data.draw(st.sampled_from([0.5, 0.2, 0.9])),
                batch=data.draw(st.booleans()), include_background=include_background(data.draw, pr))
    pr = pr.astype(dtype)
    got = ss.metrics.confusion_counts(pr.x, pr.g, **opts)
    want = oracles.confusion_counts(pr.x, pr.g, **opts)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
    # Every valid voxel of each kept channel is counted exactly once.
    axes = tuple(range(2, pr.x.ndim))
    valid = np.ones(pr.g.shape, bool) if pr.ignore_index is None else pr.g != pr.g.dtype.type(pr.ignore_index)
    per = valid.sum(axis=axes)[:, (0 if opts["include_background"] else 1):]
    assert np.array_equal(got.sum(axis=-1), per.sum(axis=0) if opts["batch"] else per)


@settings(max_examples=25)
@given(data=st.data())
def test_oracle_sanity_focal_gamma0_no_alpha_is_bce(data):
    """Cross-check inside the library: focal(gamma=0, alpha=None) == bce (both per voxel)."""
    pr = data.draw(problems())
    a = ss.focal_loss(pr.x, pr.g, **pr.common(), alpha=None, gamma=0.0, reduction="none")
    b = ss.bce_loss(pr.x, pr.g, **pr.common(), reduction="none")
    assert_close(a, b, 1e-12, 1e-12, what="focal gamma 0 vs bce")


@settings(max_examples=25)
@given(data=st.data())
def test_tversky_half_half_is_dice_with_double_smoothing(data):
    pr = data.draw(problems())
    s = data.draw(st.sampled_from([1e-5, 1.0]))
    t = ss.tversky_loss(pr.x, pr.g, **pr.common(), alpha=0.5, beta=0.5, smooth_nr=s, smooth_dr=s,
                        reduction="none")
    d = ss.dice_loss(pr.x, pr.g, **pr.common(), smooth_nr=2 * s, smooth_dr=2 * s, reduction="none")
    assert_close(t, d, 1e-10, 1e-12, what="tversky 0.5/0.5 vs dice")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(oracles.LOSSES))
def test_large_multi_chunk_arrays_match_oracle(name, dtype):
    """Rows longer than the library's 16384-voxel chunks and several rows per thread."""
    rng = np.random.default_rng(77)
    shape = (2, 2, 131, 127)
    x = rng.normal(0, 3, shape)
    x[rng.random(shape) < 0.05] = 30.0
    g = (rng.random(shape) < 0.3).astype(np.float64)
    g[rng.random(shape) < 0.1] = 255
    x, g = x.astype(dtype), g.astype(dtype)
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-5, 1e-5)
    for opts in (dict(), dict(reduction="sum"), dict(batch=True), dict(from_logits=False)):
        if "batch" in opts and name in ("bce_loss", "focal_loss"):
            continue
        xi = oracles.sigmoid(x).astype(dtype) if opts.get("from_logits") is False else x
        opts = dict(opts, mode="multilabel", ignore_index=255)
        got = getattr(ss, name)(xi, g, **opts)
        assert_close(got, oracles.LOSSES[name](xi, g, **opts), rtol, atol, what=f"{name} {opts}")
    for metric in METRIC_NAMES:
        opts = dict(mode="multilabel", ignore_index=255, from_logits=True, reduction="none")
        assert_close(getattr(ss.metrics, metric)(x, g, **opts), oracles.metric(metric, x, g, **opts),
                     1e-12, 1e-12, what=metric)
