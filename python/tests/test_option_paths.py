"""Every path that takes a loss by name and options (deep supervision, masked losses, the
trainer, loss objects) computes what the loss function computes with the same options.

The functions derive some library options from their arguments (``alpha=None`` also sets
``alpha_weighting=False`` in the focal family); a path that sent the user's options to the
library as given lost them (``deep_supervision_loss(loss="focal", alpha=None)`` weighed
the classes 0.25/0.75). `_loss_api.library_options` is the one conversion they share."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from semsegloss_swift._loss_api import library_options

FOCAL_FAMILY = [("focal_loss", {}), ("dice_focal_loss", {}), ("generalized_dice_focal_loss", {}),
                ("unet3p_hybrid_loss", {"win_size": 5})]


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    z = rng.standard_normal((2, 1, 12, 10)) * 2
    g = (rng.random(z.shape) < 0.3).astype(np.float64)
    return z, g


@pytest.mark.parametrize("name,extra", FOCAL_FAMILY)
@pytest.mark.parametrize("alpha", [None, 0.25, 0.6])
def test_deep_supervision_of_one_level_is_the_function(batch, name, extra, alpha):
    z, g = batch
    want, want_grad = ss.LOSSES[name](z, g, alpha=alpha, return_grad=True, **extra)
    got, grads = ss.deep_supervision_loss([z], g, loss=name, alpha=alpha, return_grad=True, **extra)
    assert got == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(grads[0], want_grad, rtol=1e-10, atol=1e-15)
    obj = ss.LOSS_CLASSES[name](alpha=alpha, **extra)
    assert ss.deep_supervision_loss([z], g, loss=obj) == pytest.approx(want, rel=1e-12)


def test_alpha_none_differs_from_the_default(batch):
    """The regression itself: alpha=None (every class weight 1) is not alpha=0.25."""
    z, g = batch
    none = ss.deep_supervision_loss([z], g, loss="focal", alpha=None)
    default = ss.deep_supervision_loss([z], g, loss="focal")
    assert none == pytest.approx(ss.focal_loss(z, g, alpha=None), rel=1e-12)
    assert default == pytest.approx(ss.focal_loss(z, g), rel=1e-12)
    assert abs(none - default) > 0.05 * none


def test_library_options_are_the_functions():
    full = library_options("focal_loss", {"alpha": None})
    assert full["alpha"] is None and full["alpha_weighting"] is False and full["mode"] == "binary"
    assert library_options("focal_loss", {})["alpha_weighting"] is True
    assert library_options("cross_entropy_loss", {})["mode"] == "multiclass"  # not the library's binary
    assert library_options("dice_loss", {"smooth_nr": 0.0})["smooth_nr"] == 0.0


def test_cross_entropy_default_mode_through_the_paths():
    """The cross-entropy family defaults to multiclass in Python; deep supervision gets it."""
    rng = np.random.default_rng(5)
    z = rng.standard_normal((2, 3, 6, 5))
    labels = rng.integers(0, 3, (2, 6, 5))
    for name in ("cross_entropy_loss", "top_k_ce_loss", "poly_loss"):
        want = ss.LOSSES[name](z, labels)
        assert ss.deep_supervision_loss([z], labels, loss=name) == pytest.approx(want, rel=1e-12), name


def test_library_options_checks_like_the_function():
    with pytest.raises(ValueError, match="dist_matrix"):
        library_options("generalized_wasserstein_dice_loss", {"dist_matrix": [[0.0, 1.0]]})


@pytest.mark.parametrize("alpha", [None, 0.25])
def test_trainer_loss_is_the_function(alpha):
    """The trainer's evaluation loss on one batch equals the loss function on the model's
    logits (Float: the trainer computes in float32)."""
    rng = np.random.default_rng(3)
    x = rng.random((2, 1, 16, 16)).astype(np.float32)
    y = (rng.random((2, 1, 16, 16)) < 0.3).astype(np.float32)
    model = ss.UNet(base_channels=2, depth=1, seed=1, threads=1)
    trainer = ss.Trainer(model, loss="focal", loss_options={"alpha": alpha}, batch_size=2)
    logits = model.predict(x, output="logits")
    want = ss.focal_loss(logits.astype(np.float64), y, alpha=alpha)
    assert trainer.evaluate(x, y)["loss"] == pytest.approx(want, rel=1e-5)
    trainer.set_loss("focal", {"alpha": alpha})
    assert trainer.evaluate(x, y)["loss"] == pytest.approx(want, rel=1e-5)


def test_trainer_default_mode_is_kept_for_several_channels():
    """Options not given stay absent, so the trainer still picks multilabel for a model with
    several output channels."""
    rng = np.random.default_rng(4)
    x = rng.random((2, 1, 16, 16)).astype(np.float32)
    y = (rng.random((2, 2, 16, 16)) < 0.3).astype(np.float32)
    model = ss.UNet(out_channels=2, base_channels=2, depth=1, seed=1, threads=1)
    trainer = ss.Trainer(model, loss="focal", loss_options={"alpha": None}, batch_size=2)
    logits = model.predict(x, output="logits")
    want = ss.focal_loss(logits.astype(np.float64), y, alpha=None, mode="multilabel")
    assert trainer.evaluate(x, y)["loss"] == pytest.approx(want, rel=1e-5)


def test_masked_loss_with_options_is_the_function(batch):
    z, g = batch
    mask = np.ones((2, 1, 12, 10))
    for name in ss.MASKABLE_LOSSES:
        want = ss.LOSSES[name](z, g, smooth_nr=0.5, smooth_dr=0.5) if "smooth_nr" in \
            ss.LOSS_CLASSES[name].option_names() else ss.LOSSES[name](z, g)
        opts = {"smooth_nr": 0.5, "smooth_dr": 0.5} if "smooth_nr" in ss.LOSS_CLASSES[name].option_names() else {}
        assert ss.masked_loss(z, g, mask, loss=name, **opts) == pytest.approx(want, rel=1e-12), name
