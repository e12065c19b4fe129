"""Edge cases and bad input of the sums of whole losses (generalized_dice_focal_loss,
dice_top_k_loss, unet3p_hybrid_loss, basnet_hybrid_loss): extreme logits, empty and full
masks, 1x1 images, float32 against float64, all voxels ignored, the class form, inputs not
modified, and errors that name the argument."""
from __future__ import annotations

import numpy as np
import pytest

import oracles_hybrid as oh
import semsegloss_swift as ss
from conftest import assert_close, raises_naming
from hybrid_cases import LAMBDAS


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
