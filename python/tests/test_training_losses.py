"""Training with every loss: each catalogue loss drives an epoch, loss names with and without
the suffix, and loss schedules (Trainer.set_loss between epochs, its errors)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from semsegloss_swift import _core
from training_data import TINY, disks


# ------------------------------------------------------------------ every catalogue loss

#: Losses defined for exclusive classes only: trained with two classes and label maps.
MULTICLASS_ONLY = ("generalized_wasserstein_dice_loss",)
#: Exactly 0, with a zero gradient, while every |p - g| < 1/sqrt(2): an untrained network
#: (p ~ 0.5) gives nothing to learn from (documented; use it after pretraining or in a sum).
DEAD_AT_INIT = ("hausdorff_er_loss",)


@pytest.mark.parametrize("loss", _core.loss_names())
def test_every_catalogue_loss_drives_an_epoch(loss):
    x, y = disks(4, seed=8)
    channels, options = 1, None
    if loss in MULTICLASS_ONLY:
        channels, options, y = 2, {"mode": "multiclass"}, (y[:, 0] > 0.5).astype(np.int64)
    before = ss.UNet(seed=3, out_channels=channels, **TINY).get_parameters()
    t = ss.Trainer(ss.UNet(seed=3, out_channels=channels, **TINY), loss=loss, loss_options=options, lr=1e-3, batch_size=2)
    h = t.fit(x, y, epochs=1, validation_data=(x, y), verbose=False)
    assert np.isfinite(h["loss"][0]) and np.isfinite(h["val_loss"][0])
    if loss in DEAD_AT_INIT:
        assert h["loss"][0] == 0 and np.array_equal(t.model.get_parameters(), before)
        return
    assert not np.array_equal(t.model.get_parameters(), before)


def test_loss_names_with_and_without_suffix():
    m = ss.UNet(**TINY)
    assert ss.Trainer(m, loss="dice_bce").loss == "dice_bce_loss"
    assert ss.Trainer(m, loss="dice_bce_loss").loss == "dice_bce_loss"
    assert ss.Trainer(m, loss="tversky", loss_options={"alpha": 0.5, "beta": 0.5, "batch": True}).loss == "tversky_loss"


# ------------------------------------------------------------------ loss schedules

def test_set_loss_switches_the_objective_between_epochs():
    """After set_loss the trainer minimises the new loss: its training loss and evaluate()
    are that loss of the model's logits, and the run equals one that used it from the start."""
    x, y = disks(8, seed=11)
    a = ss.Trainer(ss.UNet(seed=2, **TINY), loss="dice", lr=5e-3, batch_size=4, seed=3)
    a.fit(x, y, epochs=1, verbose=False)
    a.set_loss("focal", {"gamma": 1.0})
    assert (a.loss, a.loss_options) == ("focal_loss", {"gamma": 1.0})
    logits = a.model.predict(x, output="logits")
    assert a.evaluate(x, y)["loss"] == pytest.approx(ss.focal_loss(logits, y, gamma=1.0), rel=1e-5)
    h = a.fit(x, y, epochs=1, verbose=False)
    # The same start and switch on another trainer: identical runs.
    b = ss.Trainer(ss.UNet(seed=2, **TINY), loss="dice", lr=5e-3, batch_size=4, seed=3)
    b.fit(x, y, epochs=1, verbose=False)
    b.set_loss("focal_loss", {"gamma": 1.0})
    hb = b.fit(x, y, epochs=1, verbose=False)
    assert h["loss"] == hb["loss"] and np.array_equal(a.model.get_parameters(), b.model.get_parameters())
    assert a.epoch == 2 and len(a.history["loss"]) == 2


def test_set_loss_schedule_keeps_or_resets_options():
    x, y = disks(4, seed=12)
    t = ss.Trainer(ss.UNet(seed=1, **TINY), loss="dice_boundary", loss_options={"lambda_boundary": 0.01},
                   lr=5e-3, batch_size=4)
    losses = []
    for epoch in range(3):
        t.set_loss(loss_options={"lambda_boundary": 0.01 * (epoch + 1)})
        losses.append(t.evaluate(x, y)["loss"])
        t.fit(x, y, verbose=False)
    assert t.loss_options == {"lambda_boundary": 0.03} and t.epoch == 3
    t.set_loss()  # nothing given: unchanged
    assert (t.loss, t.loss_options) == ("dice_boundary_loss", {"lambda_boundary": 0.03})
    t.set_loss("dice")  # another loss starts from its defaults
    assert (t.loss, t.loss_options) == ("dice_loss", {})


def test_set_loss_errors_leave_the_trainer_unchanged():
    x, y = disks(4, seed=13)
    t = ss.Trainer(ss.UNet(seed=1, **TINY), loss="dice", lr=5e-3, batch_size=4)
    before = t.evaluate(x, y)["loss"]
    with pytest.raises(ValueError, match="loss"):
        t.set_loss("no_such_loss")
    with pytest.raises(ValueError, match="gamma"):
        t.set_loss("focal", {"gamma": -1.0})
    with pytest.raises(ValueError, match="from_logits"):
        t.set_loss("dice", {"from_logits": False})
    # Mid-epoch (the pieces fit() uses): refused, naming loss.
    _core.trainer_begin_epoch(t._handle, x, y)
    with pytest.raises(ValueError, match="epoch is in progress"):
        t.set_loss("bce")
    _core.trainer_abort_epoch(t._handle)
    assert (t.loss, t.loss_options) == ("dice_loss", {})
    assert t.evaluate(x, y)["loss"] == before
