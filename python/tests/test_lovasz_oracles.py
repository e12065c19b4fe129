"""The Lovász family against its NumPy oracles (oracles_lovasz.py) on random problems
(hypothesis), gradients against finite differences, bad input, inputs not modified."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_lovasz as O
import semsegloss_swift as ss
from conftest import assert_close
from strategies import make_arrays

TOL = {np.float64: (1e-10, 1e-12), np.float32: (2e-5, 2e-5)}


@st.composite
def lovasz_problems(draw, modes=("binary", "multilabel", "multiclass")):
    """Shapes, options and arrays without ties between errors (no +-30 logits, no exact
    0/1 probabilities): the gradient of a piecewise-linear loss is unique there."""
    mode = draw(st.sampled_from(modes))
    n = draw(st.integers(1, 3))
    c = 1 if mode == "binary" else draw(st.integers(2 if mode == "multiclass" else 1, 3))
    nd = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    shape = (n, c) + spatial
    logits = draw(st.booleans())
    ignore = draw(st.sampled_from([None, 255.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    x, g = make_arrays(rng, shape, from_logits=logits, soft=mode != "multiclass" and draw(st.booleans()),
                       ignore_index=None, ignore_frac=0.0, empty_frac=0.3, p_range=(0.02, 0.98),
                       large_frac=0.0)
    if mode == "multiclass":
        if not logits:
            x = x / x.sum(axis=1, keepdims=True)
        labels = rng.integers(0, c, (n,) + spatial)
        if ignore is not None:
            labels[rng.random(labels.shape) < draw(st.sampled_from([0.0, 0.3, 1.0]))] = 255
        g = labels if draw(st.booleans()) else O._dense(x, labels, "multiclass", ignore)[1]
        if g.ndim == x.ndim and ignore is not None:  # dense target: ignored voxels marked in every channel
            g = np.where(np.broadcast_to((labels == 255)[:, None], x.shape), 255.0, g)
    elif ignore is not None:
        g[rng.random(shape) < draw(st.sampled_from([0.0, 0.3, 1.0]))] = ignore
    opts = dict(mode=mode, from_logits=logits, ignore_index=ignore,
                reduction=draw(st.sampled_from(["mean", "sum", "none"])),
                per_image=draw(st.booleans()),
                include_background=True if c == 1 else draw(st.booleans()))
    return x, g, opts


def _compare(name, oracle, x, g, opts, dtype):
    rtol, atol = TOL[dtype]
    xd = x.astype(dtype)
    gd = g if g.dtype.kind == "i" else g.astype(dtype)
    go = None
    loss, grad = getattr(ss, name)(xd, gd, return_grad=True, **opts)
    if opts["reduction"] == "none":
        go = np.random.default_rng(0).normal(size=np.shape(loss))
        loss, grad = getattr(ss, name)(xd, gd, return_grad=True, grad_output=go.astype(dtype), **opts)
    value, values, want_grad = oracle(xd.astype(np.float64), gd, grad_output=go, **opts)
    assert_close(loss, values if opts["reduction"] == "none" else value, rtol, atol, what="value")
    assert grad.dtype == dtype and grad.shape == x.shape
    assert_close(grad, want_grad, rtol, atol, what="grad")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(problem=lovasz_problems(modes=("binary", "multilabel")))
def test_hinge_matches_oracle(problem, dtype):
    x, g, opts = problem
    _compare("lovasz_hinge_loss", O.lovasz_hinge, x, g, opts, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@given(problem=lovasz_problems(), classes=st.sampled_from(["present", "all"]))
def test_softmax_matches_oracle(problem, classes, dtype):
    x, g, opts = problem
    _compare("lovasz_softmax_loss", O.lovasz_softmax, x, g, dict(opts, classes=classes), dtype)


@pytest.mark.parametrize("name,mode", [("lovasz_hinge_loss", "binary"), ("lovasz_softmax_loss", "multiclass"),
                                       ("lovasz_softmax_loss", "multilabel"), ("ssim_loss", "multilabel")])
def test_gradient_finite_differences(name, mode):
    rng = np.random.default_rng(3)
    shape = (2, 1 if mode == "binary" else 3, 5, 6)
    x = rng.normal(0, 2, shape)
    if mode == "multiclass":
        g = rng.integers(0, 3, (2, 5, 6))
    else:
        g = (rng.random(shape) < 0.4).astype(float)
    opts = dict(mode=mode, **({"win_size": 3} if name == "ssim_loss" else {}))
    f = getattr(ss, name)
    _, grad = f(x, g, return_grad=True, **opts)
    h, num = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        num[i] = (f(xp, g, **opts) - f(xm, g, **opts)) / (2 * h)
    assert_close(grad, num, 1e-5, 1e-7, what="finite differences")


def test_ssim_against_direct_window():
    """ssim_loss equals the golden generator's direct (non-separable) 'valid' SSIM."""
    import importlib.util
    from conftest import REPO_ROOT
    spec = importlib.util.spec_from_file_location("mk", REPO_ROOT / "Tests" / "Fixtures" / "make_golden_lovasz.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    rng = np.random.default_rng(5)
    p, g = rng.uniform(0, 1, (2, 2, 14, 12)), (rng.random((2, 2, 14, 12)) < 0.5).astype(float)
    want = [[1 - mk.ssim_value(p[b, c], g[b, c]) for c in range(2)] for b in range(2)]
    got = ss.ssim_loss(p, g, mode="multilabel", from_logits=False, reduction="none")
    assert_close(got, np.array(want), 1e-10, 1e-12, what="ssim")


@pytest.mark.parametrize("name", ["lovasz_hinge_loss", "lovasz_softmax_loss", "ssim_loss"])
def test_inputs_not_modified(name):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 1, 12, 12)).astype(np.float32)
    g = (rng.random(x.shape) < 0.5).astype(np.float32)
    x0, g0 = x.copy(), g.copy()
    getattr(ss, name)(x, g, return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)


BAD = [
    ("lovasz_hinge_loss", dict(mode="multiclass"), (1, 2, 4, 4), ValueError, "mode"),
    ("lovasz_hinge_loss", dict(per_image=1), (1, 1, 4, 4), TypeError, "per_image"),
    ("lovasz_softmax_loss", dict(classes="some"), (1, 1, 4, 4), ValueError, "classes"),
    ("lovasz_softmax_loss", dict(smooth_nr=1.0), (1, 1, 4, 4), TypeError, "smooth_nr"),
    ("ssim_loss", dict(), (1, 1, 8, 8), ValueError, "input"),
    ("ssim_loss", dict(win_size=4), (1, 1, 12, 12), ValueError, "win_size"),
    ("ssim_loss", dict(kernel_sigma=-1.0), (1, 1, 12, 12), ValueError, "kernel_sigma"),
    ("ssim_loss", dict(ignore_index=255), (1, 1, 12, 12), ValueError, "ignore_index"),
]


@pytest.mark.parametrize("name,opts,shape,exc,arg", BAD, ids=[f"{b[0]}-{b[4]}" for b in BAD])
def test_bad_input(name, opts, shape, exc, arg):
    x = np.zeros(shape)
    g = np.zeros(shape)
    with pytest.raises(exc, match=arg):
        getattr(ss, name)(x, g, **opts)


@pytest.mark.parametrize("name", ["lovasz_hinge_loss", "lovasz_softmax_loss", "ssim_loss"])
def test_bad_arrays(name):
    x = np.zeros((1, 1, 12, 12))
    with pytest.raises(ValueError, match="target"):
        getattr(ss, name)(x, np.zeros((1, 1, 12, 11)))
    bad = x.copy()
    bad[0, 0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="input"):
        getattr(ss, name)(bad, x)
    with pytest.raises(ValueError, match="target"):
        getattr(ss, name)(x, x + 2)
    with pytest.raises(ValueError):
        getattr(ss, name)(np.zeros((1, 1, 0, 12)), np.zeros((1, 1, 0, 12)))
    with pytest.raises(TypeError):
        getattr(ss, name)(x.astype(complex), x)


def test_all_ignored_is_zero():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    for name, g in (("lovasz_hinge_loss", np.full(x.shape, 255.0)),
                    ("lovasz_softmax_loss", np.full((2, 4, 4), 255))):
        mode = "multilabel" if name == "lovasz_hinge_loss" else "multiclass"
        loss, grad = getattr(ss, name)(x, g, mode=mode, ignore_index=255, return_grad=True)
        assert loss == 0.0 and not grad.any()


@pytest.mark.parametrize("fb,name,opts", [(O.lovasz_hinge_fb, "lovasz_hinge_loss", {}),
                                          (O.lovasz_softmax_fb, "lovasz_softmax_loss", {}),
                                          (O.ssim_fb, "ssim_loss", {})])
def test_benchmark_baselines_agree(fb, name, opts):
    """The forward+backward baselines of the benchmark compute what the library does."""
    rng = np.random.default_rng(4)
    z = rng.normal(0, 2, (3, 1, 16, 17))
    g = (rng.random(z.shape) < 0.3).astype(float)
    value, grad = getattr(ss, name)(z, g, return_grad=True, **opts)
    want, want_grad = fb(z, g)
    assert_close(value, want, 1e-10, 1e-12, what="value")
    assert_close(grad, want_grad, 1e-8, 1e-12, what="grad")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,oracle,opts", [
    ("lovasz_softmax_loss", O.lovasz_softmax, dict(mode="binary")),
    ("lovasz_softmax_loss", O.lovasz_softmax, dict(mode="binary", ignore_index=255.0)),
    ("lovasz_softmax_loss", O.lovasz_softmax, dict(mode="binary", soft=True)),
    ("lovasz_softmax_loss", O.lovasz_softmax, dict(mode="binary", from_logits=False)),
    ("lovasz_hinge_loss", O.lovasz_hinge, dict(mode="binary", per_image=False)),
    ("lovasz_hinge_loss", O.lovasz_hinge, dict(mode="multilabel", per_image=False, reduction="none")),
])
def test_large_pooled_entry_matches_oracle(name, oracle, opts, dtype):
    """Entries pooled over the batch with more than 2**17 voxels: with fewer entries than
    threads they are sorted and walked on all threads (LovaszEntryKernel.runSplit)."""
    opts = dict(opts)
    soft = opts.pop("soft", False)
    rng = np.random.default_rng(11)
    c = 2 if opts["mode"] == "multilabel" else 1
    shape = (3, c, 200, 230)
    x = rng.normal(0, 2, shape)
    if not opts.get("from_logits", True):
        x = 1 / (1 + np.exp(-x))
    g = rng.random(shape) if soft else (rng.random(shape) < 0.3).astype(float)
    if opts.get("ignore_index") is not None:
        g[rng.random(shape) < 0.2] = 255.0
    opts.setdefault("reduction", "mean")
    _compare(name, oracle, x, g, opts, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shape,opts", [
    ((2, 3, 200, 230), dict(mode="multiclass")),
    ((2, 3, 200, 230), dict(mode="multiclass", ignore_index=255)),
    ((2, 1, 256, 256), dict(mode="binary")),
], ids=["multiclass", "multiclass-ignore", "binary-2x256x256"])
def test_mid_size_pooled_entry_matches_oracle(shape, opts, dtype):
    """Pooled entries of 65 537 to 2**18 voxels (92 000 per class; 131 072): sorted by the
    top digit first (LovaszSort.topDigitFrom), then bucket by bucket."""
    rng = np.random.default_rng(12)
    x = rng.normal(0, 2, shape)
    if opts["mode"] == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
        if "ignore_index" in opts:
            g[rng.random(g.shape) < 0.2] = 255
    else:
        g = (rng.random(shape) < 0.3).astype(float)
    _compare("lovasz_softmax_loss", O.lovasz_softmax, x, g, dict(opts, reduction="mean"), dtype)


@pytest.mark.parametrize("case", ["all_ignored", "perfect", "one_error", "absent_class", "ties"])
def test_large_pooled_entry_edge_cases(case):
    """Edge cases on entries large enough to run on all threads (> 2**17 voxels)."""
    rng = np.random.default_rng(12)
    shape = (3, 1, 200, 230)
    g = (rng.random(shape) < 0.3).astype(np.float64)
    p = rng.random(shape)
    opts = dict(mode="binary", from_logits=False)
    if case == "all_ignored":
        g[:] = 255.0
        opts["ignore_index"] = 255.0
    elif case == "perfect":
        p = g.copy()
    elif case == "one_error":
        p = g.copy()
        p.flat[123_456] = 0.5
    elif case == "absent_class":
        g[:] = 0.0
    else:
        p = (np.floor(p * 4) + 0.5) / 4  # four distinct values (not 0 or 1): long runs of equal errors
    for dtype in (np.float64, np.float32):
        for name, oracle in (("lovasz_softmax_loss", O.lovasz_softmax), ("lovasz_hinge_loss", O.lovasz_hinge)):
            o = dict(opts, per_image=False)
            if case == "absent_class" and name == "lovasz_softmax_loss":
                o["classes"] = "all"
            loss, grad = getattr(ss, name)(p.astype(dtype), g.astype(dtype), return_grad=True, **o)
            with np.errstate(divide="ignore"):  # the oracle's hinge slope at exact 0/1 (clamped: 0)
                value, _, want = oracle(p.astype(dtype).astype(np.float64), g, **o)
            rtol, atol = TOL[dtype]
            assert_close(loss, value, rtol, atol, what=f"{name} value")
            assert_close(grad, want, rtol, max(atol, 1e-6 if dtype == np.float32 else atol), what=f"{name} grad")
            if case in ("all_ignored", "perfect") and name == "lovasz_softmax_loss":
                assert loss == 0.0 and not grad.any()
