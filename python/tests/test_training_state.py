"""What a failed or stopped `fit` leaves behind, through Python (findings of an audit of
2026-12-06; the Swift side is TrainerStateTests): a bad target fails before the first
Adam step and names its index in `y`; a step that would make the weights NaN or infinite
is refused and the model keeps its weights (so it can still be saved and loaded); early
stopping counts only epochs of the monitor it is given."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from training_data import TINY, disks


def trainer(**kw):
    return ss.Trainer(ss.UNet(seed=3, **TINY), batch_size=2, **kw)


@pytest.mark.parametrize("bad", [2.0, np.nan, -0.5])
def test_a_bad_target_in_the_last_sample_fails_before_any_step(bad):
    x, y = disks(6, seed=1)
    y[5, 0, 3, 4] = bad
    t = trainer()
    before = t.model.get_parameters()
    flat = np.ravel_multi_index((5, 0, 3, 4), y.shape)
    with pytest.raises(ValueError, match=rf"^y: values must lie in \[0, 1\], got {bad} at flat index {flat} \(sample 5\)"):
        t.fit(x, y, epochs=1, verbose=False)
    assert t.step == 0 and t.epoch == 0
    assert np.array_equal(t.model.get_parameters(), before)


def test_a_bad_class_label_names_its_index_in_y():
    x, masks = disks(4, seed=2)
    labels = masks[:, 0].astype(np.int64)
    labels[3, 2, 2] = 3
    t = ss.Trainer(ss.UNet(out_channels=3, seed=3, **TINY), loss="dice_ce", loss_options={"mode": "multiclass"},
                   batch_size=2)
    flat = np.ravel_multi_index((3, 2, 2), labels.shape)
    with pytest.raises(ValueError, match=rf"^y: class labels must be integers in \[0, 3\), got 3.0 at flat index {flat}"):
        t.fit(x, labels, epochs=1, verbose=False)
    assert t.step == 0


def test_a_diverging_step_is_refused_and_the_model_can_still_be_saved(tmp_path):
    x, y = disks(2, seed=4)
    t = trainer(lr=1e38)
    before = t.model.get_parameters()
    with pytest.raises(ValueError, match="^lr: Adam step 1 would make parameters NaN or infinite"):
        t.fit(x, y, epochs=1, verbose=False)
    assert t.step == 0 and np.array_equal(t.model.get_parameters(), before)
    t.save(tmp_path / "t.ckpt")
    assert ss.Trainer.load(tmp_path / "t.ckpt").step == 0


def test_early_stopping_on_a_new_monitor_starts_afresh():
    """Before: the second fit, monitoring val_loss, stopped after 2 epochs because the first
    fit's val_iou had not improved, while val_loss fell every epoch."""
    x, y = disks(8, seed=5)
    xv, yv = disks(4, seed=6)
    t = trainer(lr=1e-9)  # too small to move the validation IoU: the IoU run stalls
    first = t.fit(x, y, epochs=3, validation_data=(xv, yv), early_stopping={"monitor": "val_iou", "patience": 1},
                  verbose=False)
    assert len(first["epoch"]) == 2 and t.state["epochs_without_improvement"] == 1
    h = t.fit(x, y, epochs=3, validation_data=(xv, yv), early_stopping={"monitor": "val_loss", "patience": 1},
              verbose=False)
    losses = h["val_loss"]
    assert len(losses) >= 1  # before: 0 epochs, stopped by the IoU run's count
    # it stops after the first epoch that does not improve val_loss, else runs all 3
    stops = [i for i in range(1, len(losses)) if not losses[i] < losses[i - 1]]
    assert len(losses) == (stops[0] + 1 if stops else 3), losses
