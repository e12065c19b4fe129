"""Region family (log-cosh Dice, sensitivity-specificity, generalized Dice, MCC, asymmetric
similarity, log Dice) through the extension: agreement with the NumPy oracles of
oracles_region.py (values and gradients, hypothesis), finite differences, multiclass label
maps, the public API, bad input, inputs left unmodified."""
from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oracles_region
import semsegloss_swift as ss
from conftest import assert_close
from strategies import include_background, problems, reductions, smooth_values

FAMILY = oracles_region.REGION_FAMILY
DTYPES = [np.float64, np.float32]
TOL = {np.float64: (1e-9, 1e-11), np.float32: (2e-4, 2e-5)}


def own_options(draw, name):
    """The loss's own options (besides the common and region ones)."""
    o = {}
    if name in ("log_cosh_dice_loss", "log_dice_loss", "generalized_dice_loss", "penalty_generalized_dice_loss",
                "asymmetric_similarity_loss"):
        o.update(smooth_nr=draw(smooth_values), smooth_dr=draw(smooth_values))
    if name in ("log_cosh_dice_loss", "log_dice_loss"):
        o["squared_pred"] = draw(st.booleans())
    if name == "log_dice_loss":
        o["eps"] = draw(st.sampled_from([1e-7, 1e-3]))
    if name in ("generalized_dice_loss", "penalty_generalized_dice_loss"):
        o["weight_type"] = draw(st.sampled_from(["square", "simple", "uniform"]))
    if name == "penalty_generalized_dice_loss":
        o["k"] = draw(st.sampled_from([0.0, 1.0, 2.5, 10.0]))
    if name == "mcc_loss":
        o["eps"] = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    if name == "asymmetric_similarity_loss":
        o["beta"] = draw(st.sampled_from([0.5, 1.0, 1.5, 3.0]))
    if name == "sensitivity_specificity_loss":
        o.update(r=draw(st.sampled_from([0.05, 0.1, 0.5, 1.0])), smooth_dr=draw(st.sampled_from([0.0, 1e-5, 1.0])))
    return o


def output_shape(name, x, o):
    n, c = x.shape[:2]
    kept = c - (0 if o.get("include_background", True) else 1)
    if name.endswith("generalized_dice_loss"):
        return (1,) if o["batch"] else (n,)
    return (kept,) if o["batch"] else (n, kept)


@st.composite
def cases(draw, name):
    pr = draw(problems())
    o = dict(pr.common(), reduction=draw(reductions), batch=draw(st.booleans()),
             empty=draw(st.sampled_from(["smooth", "skip"])), include_background=include_background(draw, pr))
    o.update(own_options(draw, name))
    return pr, o


def compare(name, x, g, o, dtype, grad_output=None):
    rtol, atol = TOL[dtype]
    got, grad = getattr(ss, name)(x, g, return_grad=True, grad_output=grad_output, **o)
    want, want_grad = oracles_region.LOSSES[name](x, g, return_grad=True, grad_output=grad_output, **o)
    what = f"{name} {o} shape={x.shape}"
    if o.get("reduction") == "none":
        assert isinstance(got, np.ndarray) and got.dtype == dtype and got.shape == output_shape(name, x, o), what
    else:
        assert isinstance(got, float), what
    assert_close(got, want, rtol, atol, what=what)
    assert grad.dtype == dtype and grad.shape == x.shape, what
    scale = max(1.0, float(np.abs(want_grad).max()))
    assert_close(grad, want_grad, rtol, atol * scale + rtol * scale, what=what + " (gradient)")


# ------------------------------------------------------------------ oracles

@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", FAMILY)
@settings(max_examples=40)
@given(data=st.data())
def test_matches_oracle(name, dtype, data):
    pr, o = data.draw(cases(name))
    pr = pr.astype(dtype)
    if name == "log_dice_loss" and o["smooth_nr"] == 0 and dtype == np.float32:
        o["eps"] = 1e-3  # float32 sums of a missed target round around the default clamp
    go = None
    if o["reduction"] == "none":
        go = np.random.default_rng(1).normal(size=output_shape(name, pr.x, o)).astype(dtype)
    compare(name, pr.x, pr.g, o, dtype, go)


@pytest.mark.parametrize("name", FAMILY)
@pytest.mark.parametrize("seed", range(6))
def test_multiclass_matches_oracle(name, seed):
    rng = np.random.default_rng(seed)
    shape = [(2, 3, 4, 5), (1, 4, 3, 2, 3), (3, 2, 5, 1)][seed % 3]
    x = rng.normal(0, 2, shape)
    labels = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    o = dict(mode="multiclass", reduction=["mean", "sum", "none"][seed % 3], batch=bool(seed % 2),
             include_background=seed < 3)
    if seed >= 4:
        labels.reshape(-1)[:: 5] = 255
        o["ignore_index"] = 255
    compare(name, x, labels, o, np.float64)
    onehot = np.moveaxis(np.eye(shape[1])[np.where(labels == 255, 0, labels)], -1, 1)
    if seed >= 4:
        onehot = np.where((labels == 255)[:, None], 255.0, onehot)
    a = getattr(ss, name)(x, labels, return_grad=True, **o)
    b = getattr(ss, name)(x, onehot, return_grad=True, **o)
    assert_close(a[0], b[0], 1e-12, 1e-14, what="label map vs one-hot")
    assert_close(a[1], b[1], 1e-12, 1e-14, what="label map vs one-hot (gradient)")


# ------------------------------------------------------------------ finite differences

def numeric_grad(fn, x, h=1e-6):
    out = np.zeros_like(x)
    flat, g = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        up = fn(x)
        flat[i] = keep - h
        down = fn(x)
        flat[i] = keep
        g[i] = (up - down) / (2 * h)
    return out


MODES = [
    dict(mode="binary"),
    dict(mode="binary", from_logits=False),
    dict(mode="multilabel", batch=True, include_background=False),
    dict(mode="multilabel", ignore_index=255.0),
    dict(mode="multiclass"),
    dict(mode="multiclass", reduction="sum", ignore_index=-1),
]


@pytest.mark.parametrize("name", FAMILY)
@pytest.mark.parametrize("k", range(len(MODES)))
def test_gradient_finite_differences(name, k):
    o = MODES[k]
    rng = np.random.default_rng(k)
    c = 1 if o["mode"] == "binary" else 3
    shape = (2, c, 3, 4)
    x = rng.uniform(0.1, 0.9, shape) if o.get("from_logits") is False else rng.normal(0, 2, shape)
    if o["mode"] == "multiclass":
        g = rng.integers(0, c, (2, 3, 4))
        if "ignore_index" in o:
            g[0, 1, 2] = -1
    else:
        g = (rng.random(shape) < 0.4).astype(np.float64)
        if "ignore_index" in o:
            g[1, 2, 0, 3] = 255.0
    fn = getattr(ss, name)
    _, grad = fn(x, g, return_grad=True, **o)
    num = numeric_grad(lambda v: fn(v, g, **o), x.copy())
    assert np.abs(grad - num).max() < 1e-6 * max(1.0, np.abs(num).max())


# ------------------------------------------------------------------ known values, API

P = np.array([0.9, 0.2, 0.7, 0.1]).reshape(1, 1, 2, 2)
G = np.array([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)


def test_reference_values_losses_md():
    v, gr = ss.log_cosh_dice_loss(P, G, from_logits=False, smooth_nr=0, smooth_dr=0, return_grad=True)
    assert abs(v - 0.016022) < 1e-6
    assert np.abs(gr.ravel() - [-0.053707, 0.037362, -0.053707, 0.037362]).max() < 1e-6
    v, gr = ss.mcc_loss(P, G, from_logits=False, eps=0.0, return_grad=True)
    assert abs(v - 0.349186) < 1e-6
    assert np.abs(gr.ravel() - [-0.484315, 0.516937, -0.484315, 0.516937]).max() < 1e-6


def test_api_names_classes_signatures():
    for name in FAMILY:
        fn = ss.LOSSES[name]
        assert fn is getattr(ss, name) and fn.__name__ == name
        cls = ss.LOSS_CLASSES[name]
        assert getattr(ss, cls.__name__) is cls
        assert cls(from_logits=False)(P, G) == fn(P, G, from_logits=False)
        sig = inspect.signature(fn)
        assert [p.name for p in list(sig.parameters.values())[:2]] == ["input", "target"]
        keyword = {p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert {"mode", "from_logits", "reduction", "ignore_index", "include_background",
                "batch", "empty", "return_grad", "grad_output"} <= keyword
        assert sig.parameters["mode"].default == "binary" and sig.parameters["from_logits"].default is True
        assert "{common}" not in fn.__doc__ and "Examples" in fn.__doc__


def test_weight_type_choice_registered():
    z = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    labels = np.random.default_rng(1).integers(0, 3, (2, 4, 4))
    values = {w: ss.generalized_dice_loss(z, labels, mode="multiclass", weight_type=w)
              for w in ("square", "simple", "uniform")}
    assert len(set(values.values())) == 3
    with pytest.raises(ValueError, match="weight_type"):
        ss.generalized_dice_loss(z, labels, mode="multiclass", weight_type="cubic")


# ------------------------------------------------------------------ bad input

BAD = [
    (dict(r=1.5), "sensitivity_specificity_loss", ValueError, "r"),
    (dict(smooth_dr=-1.0), "sensitivity_specificity_loss", ValueError, "smooth_dr"),
    (dict(eps=-1.0), "mcc_loss", ValueError, "eps"),
    (dict(beta=-2.0), "asymmetric_similarity_loss", ValueError, "beta"),
    (dict(eps=0.0, smooth_nr=0.0), "log_dice_loss", ValueError, "eps"),
    (dict(smooth_nr=float("nan")), "log_cosh_dice_loss", ValueError, "smooth_nr"),
    (dict(weight_type=3), "generalized_dice_loss", ValueError, "weight_type"),
    (dict(mode="softmax"), "mcc_loss", ValueError, "mode"),
    (dict(empty="never"), "log_dice_loss", ValueError, "empty"),
    (dict(batch=1), "generalized_dice_loss", TypeError, "batch"),
]


@pytest.mark.parametrize("options,name,exc,arg", BAD, ids=[f"{b[1]}-{next(iter(b[0]))}" for b in BAD])
def test_bad_options(options, name, exc, arg):
    with pytest.raises(exc, match=arg):
        getattr(ss, name)(P, G, **options)


@pytest.mark.parametrize("name", FAMILY)
def test_unknown_option_and_bad_arrays(name):
    fn = getattr(ss, name)
    with pytest.raises(TypeError):
        fn(P, G, gamma=2.0)
    with pytest.raises(TypeError, match="unknown option"):
        ss.LOSS_CLASSES[name](gamma=2.0)
    with pytest.raises(ValueError, match="target"):
        fn(P, G[..., :1])
    with pytest.raises(ValueError, match="input"):
        fn(np.zeros((0, 1, 2, 2)), np.zeros((0, 1, 2, 2)))
    with pytest.raises(ValueError, match="input"):
        fn(np.array([np.nan, 0, 0, 0]).reshape(1, 1, 2, 2), G)
    with pytest.raises(ValueError, match="target"):
        fn(P, G * 2)
    with pytest.raises(ValueError, match="input"):
        fn(P, G, mode="multiclass")  # one channel
    with pytest.raises(ValueError, match="target"):
        fn(np.zeros((1, 2, 2, 2)), np.array([[[0, 1], [1, 0]]]), mode="multilabel")
    with pytest.raises(ValueError, match="target"):
        fn(np.zeros((1, 2, 2, 2)), np.array([[[0, 1], [2, 0]]]), mode="multiclass")
    with pytest.raises(TypeError):
        fn(P.astype(np.complex128), G)


@pytest.mark.parametrize("name", FAMILY)
def test_inputs_not_modified_and_float32_kept(name):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 5, 4)).astype(np.float32)
    labels = rng.integers(0, 3, (2, 5, 4))
    x0, l0 = x.copy(), labels.copy()
    loss, grad = getattr(ss, name)(x, labels, mode="multiclass", return_grad=True)
    assert np.array_equal(x, x0) and np.array_equal(labels, l0)
    assert isinstance(loss, float) and grad.dtype == np.float32
    g = (rng.random((2, 3, 5, 4)) < 0.5).astype(np.float32)
    g0 = g.copy()
    getattr(ss, name)(x[:, :, ::-1], g, mode="multilabel", return_grad=True)  # non-contiguous input
    assert np.array_equal(x, x0) and np.array_equal(g, g0)


# ------------------------------------------------------------------ soft_label

@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(oracles_region.SOFT_LABEL_LOSSES))
@settings(max_examples=25)
@given(data=st.data())
def test_soft_label_matches_oracle(name, dtype, data):
    pr = data.draw(problems(modes=("binary", "multilabel", "multiclass")))
    o = dict(pr.common(), soft_label=True, reduction=data.draw(reductions), batch=data.draw(st.booleans()),
             include_background=include_background(data.draw, pr))
    pr = pr.astype(dtype)
    if pr.mode == "multiclass":
        if pr.x.shape[1] < 2:
            return
        if not pr.from_logits:  # probabilities over the classes
            pr.x = (pr.x + 0.1) / (pr.x + 0.1).sum(axis=1, keepdims=True)
    o["reduction"] = "mean" if o["reduction"] == "none" else o["reduction"]
    want, want_grad = oracles_region.SOFT_LABEL_LOSSES[name](pr.x, pr.g, return_grad=True, **o)
    got, grad = getattr(ss, name)(pr.x, pr.g, return_grad=True, **o)
    rtol, atol = TOL[dtype]
    assert_close(got, want, rtol, atol, what=f"{name} {o}")
    scale = max(1.0, float(np.abs(want_grad).max()))
    assert_close(grad, want_grad, rtol, (atol + rtol) * scale, what=f"{name} {o} (gradient)")


def test_soft_label_minimal_at_target():
    g = np.random.default_rng(0).uniform(size=(2, 1, 4, 4))
    assert ss.dice_loss(g, g, from_logits=False, soft_label=True) < 1e-9
    assert ss.dice_loss(g, g, from_logits=False) > 0.05
    with pytest.raises(ValueError, match="soft_label"):
        ss.dice_loss(g, g, soft_label=True, squared_pred=True)


SOFT_LABEL_COMPOUNDS = {
    # name: (its part weights, the pixel part with options)
    "dice_bce_loss": (dict(lambda_dice=0.7, lambda_bce=1.3), lambda x, g, **o: ss.bce_loss(x, g, **o)),
    "dice_ce_loss": (dict(lambda_dice=0.7, lambda_ce=1.3), lambda x, g, **o: ss.cross_entropy_loss(x, g, **o)),
    "dice_focal_loss": (dict(lambda_dice=0.7, lambda_focal=1.3),
                        lambda x, g, **o: ss.focal_loss(x, g, alpha=None, **o)),
}


@pytest.mark.parametrize("mode", ["binary", "multilabel", "multiclass"])
@pytest.mark.parametrize("name", sorted(SOFT_LABEL_COMPOUNDS))
def test_soft_label_compounds_are_their_parts(name, mode):
    """soft_label reaches the Dice part of the Dice compounds (MONAI's DiceCELoss and
    DiceFocalLoss take it): value and gradient equal 0.7 Dice(soft_label) + 1.3 pixel part."""
    if name == "dice_bce_loss" and mode == "multiclass":
        return  # binary / multilabel only
    rng = np.random.default_rng(12)
    c = 1 if mode == "binary" else 3
    x = rng.normal(0, 2, (2, c, 4, 5))
    g = rng.uniform(0, 1, x.shape)
    if mode == "multiclass":
        g /= g.sum(axis=1, keepdims=True)
    weights, pixel = SOFT_LABEL_COMPOUNDS[name]
    o = dict(mode=mode)
    got, grad = getattr(ss, name)(x, g, soft_label=True, return_grad=True, **weights, **o)
    dice, dice_grad = ss.dice_loss(x, g, soft_label=True, return_grad=True, **o)
    rest, rest_grad = pixel(x, g, return_grad=True, **o)
    assert got == pytest.approx(0.7 * dice + 1.3 * rest, rel=1e-12)
    np.testing.assert_allclose(grad, 0.7 * dice_grad + 1.3 * rest_grad, rtol=1e-10, atol=1e-14)
    assert got != getattr(ss, name)(x, g, **weights, **o)  # soft targets: the intersection differs
    with pytest.raises(ValueError, match="soft_label"):
        getattr(ss, name)(x, g, soft_label=True, squared_pred=True, **o)
