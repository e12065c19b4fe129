"""The sums of whole losses through the public API: generalized_dice_focal_loss,
dice_top_k_loss, unet3p_hybrid_loss, basnet_hybrid_loss.

NumPy oracles (the parts' independent oracles summed, oracles_hybrid.py) on random
problems, SemSegLoss's own formulas for its two hybrids, finite-difference gradients in
every mode, edge cases and bad input. The golden values are in golden_compound.json
(test_compound_losses.py::test_golden)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles_hybrid as oh
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming
from strategies import include_background, problems, smooth_values

TOL = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 2e-5)}
LAMBDAS = {"generalized_dice_focal_loss": ("lambda_gdl", "lambda_focal"),
           "dice_top_k_loss": ("lambda_dice", "lambda_top_k"),
           "unet3p_hybrid_loss": ("lambda_focal", "lambda_ssim", "lambda_jaccard"),
           "basnet_hybrid_loss": ("lambda_ce", "lambda_ssim", "lambda_jaccard")}


def own_options(draw, name, spatial):
    weights = st.sampled_from([1.0, 0.0, 0.3, 2.0])
    o = {lam: draw(weights) for lam in LAMBDAS[name]}
    if name == "generalized_dice_focal_loss":
        o.update(weight_type=draw(st.sampled_from(["square", "simple", "uniform"])),
                 alpha=draw(st.sampled_from([None, 0.25, 0.8])), gamma=draw(st.sampled_from([2.0, 0.0, 1.5])))
    elif name == "dice_top_k_loss":
        o.update(k=draw(st.sampled_from([10.0, 1.0, 50.0, 100.0])), squared_pred=draw(st.booleans()))
    else:
        largest = min(min(spatial), 7)
        o.update(win_size=draw(st.sampled_from([w for w in (1, 3, 5, 7) if w <= largest])),
                 kernel_sigma=draw(st.sampled_from([1.5, 0.7])), k1=draw(st.sampled_from([0.01, 0.1])))
        if name == "unet3p_hybrid_loss":
            o.update(alpha=draw(st.sampled_from([0.25, None])), gamma=draw(st.sampled_from([2.0, 0.5])))
    return o


@st.composite
def cases(draw, name):
    pr = draw(problems())
    if name in oh.SSIM_HYBRIDS and pr.ignore_index is not None:
        pr.g = np.where(pr.g == pr.ignore_index, 0.0, pr.g)
        pr.ignore_index = None
    opts = dict(pr.common(), reduction=draw(st.sampled_from(["mean", "sum"])),
                include_background=include_background(draw, pr), smooth_nr=draw(smooth_values),
                smooth_dr=draw(smooth_values), batch=draw(st.booleans()),
                empty=draw(st.sampled_from(["smooth", "skip", "penalize_fp"])))
    opts.update(own_options(draw, name, pr.x.shape[2:]))
    return pr, opts


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", oh.HYBRIDS)
@given(data=st.data())
def test_matches_oracle(name, dtype, data):
    pr, opts = data.draw(cases(name))
    pr = pr.astype(dtype)
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    want = oh.ORACLES[name](pr.x, pr.g, **opts)
    assert isinstance(got, float)
    assert_close(got, want, *TOL[dtype], what=f"{name} {opts}")


@pytest.mark.parametrize("name", oh.HYBRIDS)
@given(data=st.data())
def test_multiclass_label_maps_match_oracle(name, data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    spatial = tuple(data.draw(st.lists(st.integers(3, 6), min_size=2, max_size=3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.normal(0, 3, (n, c) + spatial)
    labels = rng.integers(0, c, (n,) + spatial)
    opts = dict(mode="multiclass", include_background=data.draw(st.booleans()),
                reduction=data.draw(st.sampled_from(["mean", "sum"])), batch=data.draw(st.booleans()))
    opts.update(own_options(data.draw, name, spatial))
    if name not in oh.SSIM_HYBRIDS and data.draw(st.booleans()):
        labels[rng.random(labels.shape) < 0.2] = 255
        opts["ignore_index"] = 255
    got = getattr(ss, name)(x, labels, **opts)
    assert_close(got, oh.ORACLES[name](x, labels, **opts), 1e-10, 1e-12, what=f"{name} {opts}")


# ------------------------------------------------------------------ SemSegLoss's formulas

def _ssl_ssim(p, g):
    """tf.image.ssim with SemSegLoss's arguments (11x11 Gaussian, sigma 1.5, 'valid'), per image."""
    d = np.arange(11) - 5.0
    w = np.exp(-d ** 2 / (2 * 1.5 ** 2))
    w /= w.sum()
    window = np.outer(w, w)
    out = []
    for a, b in zip(p[:, 0], g[:, 0]):
        win = np.lib.stride_tricks.sliding_window_view
        f = lambda m: np.einsum("ijkl,kl->ij", win(m, (11, 11)), window)  # noqa: E731
        ma, mb = f(a), f(b)
        va, vb, cov = f(a * a) - ma ** 2, f(b * b) - mb ** 2, f(a * b) - ma * mb
        c1, c2 = 0.01 ** 2, 0.03 ** 2
        s = (2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
        out.append(s.mean())
    return np.array(out)


def _ssl_hybrid(name, p, g):
    """SemSegLoss's unet3p_hybrid_loss / basnet_hybrid_loss on probabilities, Keras-averaged."""
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    if name == "unet3p_hybrid_loss":
        first = np.mean(-0.25 * g * (1 - pc) ** 2 * np.log(pc) - 0.75 * (1 - g) * pc ** 2 * np.log(1 - pc))
    else:
        first = np.mean(-(g * np.log(pc) + (1 - g) * np.log(1 - pc)))
    ssim = np.mean(1 - _ssl_ssim(p, g))
    tp = np.sum(g * p)
    jaccard = 1 - tp / (np.sum(g) + np.sum(p) - tp)
    return first + ssim + jaccard


@pytest.mark.parametrize("name", oh.SSIM_HYBRIDS)
def test_reproduces_semsegloss(name, rng):
    """from_logits=False, batch=True and no smoothing give SemSegLoss's numbers."""
    p = rng.uniform(0.02, 0.98, (3, 1, 14, 12))
    g = (rng.random(p.shape) < 0.4).astype(np.float64)
    got = getattr(ss, name)(p, g, from_logits=False, batch=True, smooth_nr=0.0, smooth_dr=0.0)
    assert got == pytest.approx(_ssl_hybrid(name, p, g), rel=1e-12)


# ------------------------------------------------------------------ gradients

FAMILIES = {
    "binary logits": ((2, 1, 4, 5), dict()),
    "binary probabilities": ((2, 1, 3, 4), dict(from_logits=False)),
    "multilabel no background sum": ((2, 3, 3, 3), dict(mode="multilabel", include_background=False, reduction="sum")),
    "multilabel batch 3-D": ((2, 2, 3, 3, 3), dict(mode="multilabel", batch=True)),
    "multilabel ignore": ((2, 2, 3, 4), dict(mode="multilabel", ignore_index=255.0)),
    "multiclass labels": ((2, 3, 3, 4), dict(mode="multiclass")),
    "multiclass labels ignore": ((2, 3, 3, 4), dict(mode="multiclass", ignore_index=255)),
}


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("name", oh.HYBRIDS)
def test_gradient_finite_differences(name, family, rng):
    shape, opts = FAMILIES[family]
    opts = dict(opts)
    if name in oh.SSIM_HYBRIDS:
        if "ignore_index" in opts:
            return
        opts["win_size"] = 3
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    if opts.get("mode") == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        g = (rng.random(shape) < 0.5).astype(np.float64)
    if "ignore_index" in opts:
        g.flat[[1, 4, 7]] = 255
    fn = getattr(ss, name)
    _, grad = fn(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: fn(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=f"{name} {family}")


# ------------------------------------------------------------------ edges

def _small(name):
    return dict(win_size=1) if name in oh.SSIM_HYBRIDS else {}


@pytest.mark.parametrize("name", oh.HYBRIDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_empty_and_full_masks(name, dtype):
    for g in (np.zeros((1, 1, 2, 3)), np.ones((1, 1, 2, 3)), np.array([1.0, 0, 1, 0, 0, 1]).reshape(1, 1, 2, 3)):
        g = g.astype(dtype)
        for x in (np.where(g > 0, 30.0, -30.0), np.where(g > 0, -30.0, 30.0), np.full(g.shape, 200.0)):
            loss, grad = getattr(ss, name)(x.astype(dtype), g, return_grad=True, **_small(name))
            assert np.isfinite(loss) and loss >= 0 and np.all(np.isfinite(grad)) and grad.dtype == dtype
    # 1x1 images and a perfect probability prediction
    loss, grad = getattr(ss, name)(np.array([[[[0.7]]]], dtype), np.ones((1, 1, 1, 1), dtype), return_grad=True,
                                   **_small(name))
    assert np.isfinite(loss) and grad[0, 0, 0, 0] < 0
    g = np.array([1.0, 0, 1, 0]).reshape(1, 1, 2, 2).astype(dtype)
    assert getattr(ss, name)(g.copy(), g, from_logits=False, **_small(name)) < 1e-4


@pytest.mark.parametrize("name", oh.HYBRIDS)
def test_float32_agrees_with_float64(name, rng):
    x, g = rng.normal(0, 3, (2, 2, 13, 12)), (rng.random((2, 2, 13, 12)) < 0.3) * 1.0
    a = getattr(ss, name)(x, g, mode="multilabel", return_grad=True)
    b = getattr(ss, name)(x.astype(np.float32), g.astype(np.float32), mode="multilabel", return_grad=True)
    assert b[0] == pytest.approx(a[0], rel=2e-5) and b[1].dtype == np.float32
    assert_close(b[1], a[1], 1e-3, 2e-6, what=name)


@pytest.mark.parametrize("name", oh.HYBRIDS)
def test_all_ignored(name):
    x = np.random.default_rng(0).normal(size=(1, 1, 3, 3))
    if name in oh.SSIM_HYBRIDS:
        with pytest.raises(ValueError, match="ignore_index"):
            getattr(ss, name)(x, np.full(x.shape, 255.0), ignore_index=255, win_size=3)
        return
    loss, grad = getattr(ss, name)(x, np.full(x.shape, 255.0), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()


@pytest.mark.parametrize("name", oh.HYBRIDS)
def test_class_form_and_inputs_not_modified(name, rng):
    x, g = rng.normal(size=(2, 1, 12, 11)).astype(np.float32), (rng.random((2, 1, 12, 11)) < 0.5).astype(np.float32)
    x0, g0 = x.copy(), g.copy()
    cls = ss.LOSS_CLASSES[name]
    assert cls()(x, g, return_grad=True)[0] == getattr(ss, name)(x, g)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("name", oh.HYBRIDS)
def test_bad_input_names_the_argument(name):
    fn = getattr(ss, name)
    small = _small(name)
    x, g = np.zeros((2, 1, 3, 4)), np.ones((2, 1, 3, 4))
    raises_naming(ValueError, fn, x, np.ones((2, 1, 3, 5)), names=["target"], **small)
    raises_naming(ValueError, fn, np.zeros((0, 1, 2, 2)), np.zeros((0, 1, 2, 2)), names=["input"], **small)
    bad = x.copy()
    bad[0, 0, 1, 1] = np.nan
    raises_naming(ValueError, fn, bad, g, names=["input"], **small)
    raises_naming(ValueError, fn, x, g * 2, names=["target"], **small)
    raises_naming(TypeError, fn, x.astype(complex), g, names=["input"], **small)
    raises_naming(TypeError, fn, x, g, no_such_option=1)
    raises_naming(ValueError, fn, x, g, mode="tertiary", names=["mode"], **small)
    raises_naming(ValueError, fn, x, g, reduction="none", names=["reduction"], **small)
    for lam in LAMBDAS[name]:
        raises_naming(ValueError, fn, x, g, names=[lam], **{lam: -1.0}, **small)
        raises_naming(ValueError, fn, x, g, names=[lam], **{lam: np.nan}, **small)
    if name in oh.SSIM_HYBRIDS:
        raises_naming(ValueError, fn, x, g, names=["input", "win_size"])  # 3x4 images, window 11
        raises_naming(ValueError, fn, x, g, win_size=2, names=["win_size"])
        raises_naming(ValueError, fn, x, g, win_size=1, kernel_sigma=0.0, names=["kernel_sigma"])
    if name == "dice_top_k_loss":
        raises_naming(ValueError, fn, x, g, k=0.0, names=["k"])
    if name == "generalized_dice_focal_loss":
        raises_naming(ValueError, fn, x, g, weight_type="cubic", names=["weight_type"])
        raises_naming(ValueError, fn, x, g, gamma=-1.0, names=["gamma"])


# ------------------------------------------------------------------ Dice + boundary, Dice + Hausdorff-DT

@st.composite
def distance_cases(draw, name):
    pr = draw(problems(max_side=6))
    opts = dict(pr.common(), reduction=draw(st.sampled_from(["mean", "sum"])),
                include_background=include_background(draw, pr), smooth_nr=draw(smooth_values),
                smooth_dr=draw(smooth_values), batch=draw(st.booleans()),
                empty=draw(st.sampled_from(["smooth", "skip", "penalize_fp"])))
    if name == "dice_boundary_loss":
        opts.update(generalized=draw(st.booleans()), lambda_dice=draw(st.sampled_from([1.0, 0.5, 0.0])),
                    lambda_boundary=draw(st.sampled_from([0.01, 1.0, 0.0])))
        if opts["generalized"]:
            opts["weight_type"] = draw(st.sampled_from(["square", "simple", "uniform"]))
    else:
        opts["alpha"] = draw(st.sampled_from([2.0, 1.0, 0.5]))
    return pr, opts


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", oh.DISTANCE_HYBRIDS)
@given(data=st.data())
def test_distance_compounds_match_oracle(name, dtype, data):
    pr, opts = data.draw(distance_cases(name))
    pr = pr.astype(dtype)
    if pr.from_logits and np.any(np.abs(pr.x) < 1e-6):
        return  # the thresholded prediction map is ambiguous at p = 0.5
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    assert_close(got, oh.ORACLES[name](pr.x, pr.g, **opts), *TOL[dtype], what=f"{name} {opts}")


DISTANCE_FAMILIES = {k: v for k, v in FAMILIES.items() if "3-D" not in k}


@pytest.mark.parametrize("family", list(DISTANCE_FAMILIES))
def test_dice_boundary_gradient(family, rng):
    shape, opts = DISTANCE_FAMILIES[family]
    opts = dict(opts, lambda_boundary=0.5)
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = (rng.integers(0, shape[1], (shape[0],) + shape[2:]) if opts.get("mode") == "multiclass"
         else (rng.random(shape) < 0.5).astype(np.float64))
    if "ignore_index" in opts:
        g.flat[[1, 4, 7]] = 255
    _, grad = ss.dice_boundary_loss(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: ss.dice_boundary_loss(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=family)


@pytest.mark.parametrize("family", list(DISTANCE_FAMILIES))
def test_dice_hausdorff_gradient_holds_the_weight(family, rng):
    """The gradient is that of lam * Dice + HD with lam = HD/Dice held at the input."""
    shape, opts = DISTANCE_FAMILIES[family]
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = (rng.integers(0, shape[1], (shape[0],) + shape[2:]) if opts.get("mode") == "multiclass"
         else (rng.random(shape) < 0.5).astype(np.float64))
    if "ignore_index" in opts:
        g.flat[[1, 4, 7]] = 255
    value, grad = ss.dice_hausdorff_dt_loss(x, g, return_grad=True, **opts)
    dice, hd = ss.dice_loss(x, g, **opts), ss.hausdorff_dt_loss(x, g, **opts)
    lam = hd / dice
    assert value == pytest.approx(2 * hd, rel=1e-12)
    numeric = numeric_grad(lambda xs: lam * ss.dice_loss(xs, g, **opts) + ss.hausdorff_dt_loss(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=family)


@pytest.mark.parametrize("name", oh.DISTANCE_HYBRIDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distance_compounds_edges(name, dtype):
    for g in (np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.eye(3).reshape(1, 1, 3, 3)):
        g = g.astype(dtype)
        for x in (np.where(g > 0, 30.0, -30.0), np.where(g > 0, -30.0, 30.0), np.full(g.shape, 200.0)):
            loss, grad = getattr(ss, name)(x.astype(dtype), g, return_grad=True)
            assert np.isfinite(loss) and np.all(np.isfinite(grad)) and grad.dtype == dtype
    x = np.random.default_rng(0).normal(size=(1, 1, 3, 3)).astype(dtype)
    loss, grad = getattr(ss, name)(x, np.full(x.shape, 255.0, dtype), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()
    loss, grad = getattr(ss, name)(np.array([[[[0.7]]]], dtype), np.ones((1, 1, 1, 1), dtype), return_grad=True)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", oh.DISTANCE_HYBRIDS)
def test_distance_compounds_bad_input(name, rng):
    fn = getattr(ss, name)
    x, g = np.zeros((2, 1, 3, 4)), np.ones((2, 1, 3, 4))
    raises_naming(ValueError, fn, x, np.ones((2, 1, 3, 5)), names=["target"])
    raises_naming(ValueError, fn, x, g * 2, names=["target"])
    raises_naming(ValueError, fn, x, g, reduction="none", names=["reduction"])
    raises_naming(TypeError, fn, x, g, no_such_option=1)
    if name == "dice_boundary_loss":
        raises_naming(ValueError, fn, x, g, lambda_boundary=-1.0, names=["lambda_boundary"])
        raises_naming(ValueError, fn, x, g, generalized=False, weight_type="simple", names=["weight_type"])
        raises_naming(TypeError, fn, x, g, generalized=1, names=["generalized"])
    else:
        raises_naming(ValueError, fn, x, g, alpha=0.0, names=["alpha"])
    x0 = rng.normal(size=(1, 1, 4, 4))
    g0 = (rng.random(x0.shape) < 0.5) * 1.0
    a, b = x0.copy(), g0.copy()
    assert ss.LOSS_CLASSES[name]()(x0, g0) == fn(x0, g0)
    np.testing.assert_array_equal(a, x0)
    np.testing.assert_array_equal(b, g0)
