"""masked_loss / masked_dice_loss / MaskedLoss / MaskedDiceLoss: MONAI's MaskedDiceLoss on
probabilities, weighted-sum oracles for soft masks, ignore_index equivalence, finite
differences, broadcasting, errors."""
from __future__ import annotations

import numpy as np
import pytest

import oracles as core
import semsegloss_swift as ss
from conftest import assert_close, numeric_grad, raises_naming


def weighted_sums(p, g, m, batch=False):
    axes = tuple(range(2, p.ndim))
    tp, ps, gs = (m * p * g).sum(axes), (m * p).sum(axes), (m * g).sum(axes)
    if batch:
        tp, ps, gs = tp.sum(0), ps.sum(0), gs.sum(0)
    return tp, ps, gs


def test_monai_masked_dice_with_a_binary_mask(rng):
    """MONAI MaskedDiceLoss(sigmoid=False): Dice of (p*m, g*m) per (image, class), averaged."""
    p = rng.uniform(0.02, 0.98, (2, 3, 5, 6))
    g = (rng.random(p.shape) < 0.4).astype(float)
    m = (rng.random((2, 1, 5, 6)) < 0.6).astype(float)
    pm, gm = p * m, g * m
    axes = (2, 3)
    want = (1 - (2 * (pm * gm).sum(axes) + 1e-5) / (pm.sum(axes) + gm.sum(axes) + 1e-5)).mean()
    got = ss.masked_dice_loss(p, g, m, mode="multilabel", from_logits=False)
    assert got == pytest.approx(want, rel=1e-12)
    assert ss.MaskedDiceLoss(mode="multilabel", from_logits=False)(p, g, m.astype(bool)) == got


@pytest.mark.parametrize("batch", [False, True])
def test_soft_mask_oracles(rng, batch):
    z = rng.normal(0, 2, (3, 2, 4, 5))
    g = (rng.random(z.shape) < 0.5).astype(float)
    m = rng.random((1, 1, 4, 5))  # one mask for the whole batch
    p = core.sigmoid(z)
    tp, ps, gs = weighted_sums(p, g, np.broadcast_to(m, z.shape), batch)
    dice = (1 - (2 * tp + 1e-5) / (ps + gs + 1e-5)).mean()
    jac = (1 - (tp + 1e-5) / (ps + gs - tp + 1e-5)).mean()
    tv = (1 - (tp + 1e-5) / (tp + 0.3 * (ps - tp) + 0.7 * (gs - tp) + 1e-5)).mean()
    opts = dict(mode="multilabel", batch=batch)
    assert ss.masked_loss(z, g, m, loss="dice", **opts) == pytest.approx(dice, rel=1e-12)
    assert ss.masked_loss(z, g, m, loss="jaccard_loss", **opts) == pytest.approx(jac, rel=1e-12)
    assert ss.masked_loss(z, g, m, loss=ss.TverskyLoss(**opts)) == pytest.approx(tv, rel=1e-12)


@pytest.mark.parametrize("name", ss.MASKABLE_LOSSES)
def test_binary_mask_equals_ignore_index_multiclass(rng, name):
    z = rng.normal(0, 2, (2, 3, 4, 4))
    labels = rng.integers(0, 3, (2, 4, 4))
    m = (rng.random((2, 1, 4, 4)) < 0.7)
    a, ga = ss.masked_loss(z, labels, m, loss=name, mode="multiclass", return_grad=True)
    b, gb = getattr(ss, name)(z, np.where(m[:, 0], labels, -1), mode="multiclass", ignore_index=-1, return_grad=True)
    assert a == pytest.approx(b, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", ["dice_loss", "focal_tversky_loss", "mcc_loss", "log_dice_loss"])
@pytest.mark.parametrize("opts", [dict(), dict(from_logits=False), dict(mode="multilabel", include_background=False),
                                  dict(mode="multiclass", reduction="sum")], ids=str)
def test_gradient_finite_differences(rng, name, opts):
    c = 1 if not opts.get("mode") else 3
    shape = (2, c, 4, 3)
    x = rng.uniform(0.05, 0.95, shape) if opts.get("from_logits") is False else rng.normal(0, 2, shape)
    g = rng.integers(0, 3, (2, 4, 3)) if opts.get("mode") == "multiclass" else (rng.random(shape) < 0.5).astype(float)
    m = rng.random((2, 1, 4, 3))
    _, grad = ss.masked_loss(x, g, m, loss=name, return_grad=True, **opts)
    numeric = numeric_grad(lambda xs: ss.masked_loss(xs, g, m, loss=name, **opts), x)
    assert_close(grad, numeric, 1e-6, 1e-8, what=f"{name} {opts}")


def test_reduction_none_and_grad_output(rng):
    z = rng.normal(size=(2, 2, 3, 3))
    g = (rng.random(z.shape) < 0.5).astype(np.float32)
    m = rng.random((2, 1, 3, 3)).astype(np.float32)
    values = ss.masked_loss(z.astype(np.float32), g, m, mode="multilabel", reduction="none")
    assert values.shape == (2, 2) and values.dtype == np.float32
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    _, vjp = ss.masked_loss(z, g, m, mode="multilabel", reduction="none", return_grad=True, grad_output=w)
    numeric = numeric_grad(lambda xs: float((ss.masked_loss(xs, g, m, mode="multilabel", reduction="none") * w).sum()), z)
    assert_close(vjp, numeric, 1e-6, 1e-8, what="vjp")


def test_errors_and_inputs_untouched(rng):
    x, g = rng.normal(size=(2, 1, 3, 3)), (rng.random((2, 1, 3, 3)) < 0.5).astype(float)
    m = rng.random((2, 1, 3, 3))
    fn = ss.masked_loss
    raises_naming(ValueError, fn, x, g, m, loss="focal", names=["loss", "ignore_index"])
    raises_naming(ValueError, fn, x, g, m[:, :, :2], names=["mask"])
    raises_naming(ValueError, fn, x, g, np.ones((3, 1, 3, 3)), names=["mask"])
    raises_naming(ValueError, fn, x, g, m * 2, names=["mask"])
    raises_naming(ValueError, fn, x, g, np.where(m > 0.5, np.nan, m), names=["mask"])
    raises_naming(TypeError, fn, x, g, None, names=["mask"])
    raises_naming(TypeError, fn, x, g, np.array(["a"] * 18).reshape(2, 1, 3, 3), names=["mask"])
    raises_naming(ValueError, fn, x, g, m, soft_label=True, names=["soft_label"])
    raises_naming(TypeError, fn, x, g, m, loss="dice", alpha=1.0, names=["alpha"])
    raises_naming(ValueError, fn, x, g, m, grad_output=np.ones(2), names=["grad_output"])
    before = [a.copy() for a in (x, g, m)]
    ss.MaskedLoss("jaccard", smooth_nr=1.0)(x, g, m, return_grad=True)
    for a, b in zip((x, g, m), before):
        np.testing.assert_array_equal(a, b)
    assert "jaccard_loss" in repr(ss.MaskedLoss("jaccard"))
