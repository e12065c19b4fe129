"""soft_cldice_loss and soft_dice_cldice_loss through the public API: a SciPy oracle of
MONAI's soft skeleton (minimum/maximum filters that skip the outside), MONAI's formulas,
finite-difference gradients, edges and bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

import oracles as core
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming
from strategies import include_background, problems


def _erode(x):
    out = np.full(x.shape, np.inf)
    for ax in range(x.ndim):
        size = [1] * x.ndim
        size[ax] = 3
        out = np.minimum(out, ndimage.minimum_filter(x, size=size, mode="constant", cval=np.inf))
    return out


def _dilate(x):
    return ndimage.maximum_filter(x, size=3, mode="constant", cval=-np.inf)


def skeleton(x, iterations):
    """MONAI's soft_skel on one plane."""
    skel = np.maximum(x - _dilate(_erode(x)), 0)
    for _ in range(iterations):
        x = _erode(x)
        delta = np.maximum(x - _dilate(_erode(x)), 0)
        skel = skel + np.maximum(delta - skel * delta, 0)
    return skel


def oracle(input, target, *, mode="binary", from_logits=True, reduction="mean", ignore_index=None,
           include_background=True, iterations=3, smooth=1.0, alpha=None):
    p, g, valid = core.probabilities_and_targets(input, target, mode, from_logits, ignore_index)
    c0 = 0 if include_background else 1
    sp = np.zeros(p.shape)
    sg = np.zeros(p.shape)
    for b in range(p.shape[0]):
        for c in range(c0, p.shape[1]):
            sp[b, c], sg[b, c] = skeleton(p[b, c], iterations), skeleton(g[b, c], iterations)
    p, g, sp, sg = p[:, c0:], g[:, c0:], sp[:, c0:], sg[:, c0:]
    tprec = ((sp * g).sum() + smooth) / (sp.sum() + smooth)
    tsens = ((sg * p).sum() + smooth) / (sg.sum() + smooth)
    cl = 1 - 2 * tprec * tsens / (tprec + tsens)
    if alpha is None:
        return cl
    dice = 1 - (2 * (p * g).sum() + smooth) / (p.sum() + g.sum() + smooth)
    return (1 - alpha) * dice + alpha * cl


NAMES = ("soft_cldice_loss", "soft_dice_cldice_loss")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_matches_oracle(name, dtype, data):
    pr = data.draw(problems()).astype(dtype)
    opts = dict(pr.common(), reduction=data.draw(st.sampled_from(["mean", "sum"])),
                include_background=include_background(data.draw, pr),
                iterations=data.draw(st.sampled_from([3, 0, 1, 5])), smooth=data.draw(st.sampled_from([1.0, 0.1])))
    if name == "soft_dice_cldice_loss":
        opts["alpha"] = data.draw(st.sampled_from([0.5, 0.0, 1.0, 0.2]))
    got = getattr(ss, name)(pr.x, pr.g, **opts)
    tol = (1e-10, 1e-12) if dtype == np.float64 else (2e-5, 2e-5)
    assert_close(got, oracle(pr.x, pr.g, **opts), *tol, what=f"{name} {opts}")


@pytest.mark.parametrize("name", NAMES)
def test_multiclass_and_monai_formula(name, rng):
    """MONAI's SoftclDiceLoss on (softmax) probabilities over channels 1.. of a one-hot target."""
    x = rng.normal(0, 2, (2, 3, 6, 5))
    labels = rng.integers(0, 3, (2, 6, 5))
    alpha = {} if name == "soft_cldice_loss" else {"alpha": 0.4}
    got = getattr(ss, name)(x, labels, mode="multiclass", include_background=False, **alpha)
    assert got == pytest.approx(oracle(x, labels, mode="multiclass", include_background=False, **alpha), rel=1e-12)


FAMILIES = {
    "binary logits 2-D": ((1, 1, 5, 6), dict()),
    "multilabel probabilities ignore": ((1, 2, 4, 4), dict(mode="multilabel", from_logits=False, ignore_index=255.0)),
    "3-D": ((1, 1, 3, 3, 4), dict(iterations=2)),
    "multiclass labels no background": ((1, 3, 4, 4), dict(mode="multiclass", include_background=False)),
}


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("name", NAMES)
def test_gradient_finite_differences(name, family, rng):
    shape, opts = FAMILIES[family]
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    if opts.get("mode") == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        g = (rng.random(shape) < 0.5).astype(np.float64)
        if "ignore_index" in opts:
            g.flat[[1, 6]] = 255
    _, grad = getattr(ss, name)(x, g, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: getattr(ss, name)(xs, g, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=f"{name} {family}")


@pytest.mark.parametrize("name", NAMES)
def test_edges_and_bad_input(name, rng):
    fn = getattr(ss, name)
    for g in (np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3))):
        for s in (30.0, -30.0, 300.0):
            loss, grad = fn(np.full(g.shape, s), g, return_grad=True)
            assert np.isfinite(loss) and 0 <= loss <= 1 and np.all(np.isfinite(grad))
    loss, grad = fn(rng.normal(size=(1, 1, 2, 2)), np.full((1, 1, 2, 2), 255.0), ignore_index=255, return_grad=True)
    assert loss == 0.0 and not grad.any()
    x, g = np.zeros((1, 1, 3, 3)), np.ones((1, 1, 3, 3))
    raises_naming(ValueError, fn, x, g, iterations=-1, names=["iterations"])
    raises_naming(ValueError, fn, x, g, smooth=0.0, names=["smooth"])
    raises_naming(ValueError, fn, x, g, reduction="none", names=["reduction"])
    raises_naming(ValueError, fn, x, g * 2, names=["target"])
    bad = x.copy()
    bad[0, 0, 1, 1] = np.nan
    raises_naming(ValueError, fn, bad, g, names=["input"])
    if name == "soft_dice_cldice_loss":
        raises_naming(ValueError, fn, x, g, alpha=1.5, names=["alpha"])
    x0, g0 = x.copy(), g.copy()
    ss.LOSS_CLASSES[name]()(x, g, return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
