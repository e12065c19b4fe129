"""Trainer.fit: learning a synthetic task, determinism, early stopping, progress output, a
failed epoch, the caller's floating-point mode, and the warning for a dead network."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import semsegloss_swift as ss
from training_data import TINY, disks


# ------------------------------------------------------------------ training

def test_learns_synthetic_task():
    x, y = disks(64, seed=1)
    xv, yv = disks(16, seed=2)
    model = ss.UNet(seed=0, **TINY)
    trainer = ss.Trainer(model, loss="dice_bce", lr=5e-3, batch_size=8, seed=0)
    before = trainer.evaluate(xv, yv)
    h = trainer.fit(x, y, epochs=20, validation_data=(xv, yv), verbose=False)
    assert h["epoch"] == list(range(1, 21))
    assert set(h) == {"epoch", "loss", "val_loss", "val_iou", "val_dice", "val_accuracy", "time"}
    assert all(t > 0 for t in h["time"])
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert h["val_loss"][-1] < before["loss"]
    assert min(h["val_iou"][-5:]) > 0.7, h["val_iou"]  # learnt within 15 epochs, and stays learnt
    assert h["val_dice"][-1] >= h["val_iou"][-1] and h["val_accuracy"][-1] > 0.9
    # the trained weights are the model's: its predictions reproduce the validation IoU
    scores = trainer.evaluate(xv, yv)
    assert scores["iou"] == h["val_iou"][-1]
    pred = model.predict(xv, output="mask") > 0.5
    truth = yv > 0.5
    assert np.isclose((pred & truth).sum() / (pred | truth).sum(), scores["iou"])
    assert np.array_equal(trainer.predict(xv, output="mask"), model.predict(xv, output="mask"))
    assert trainer.epoch == 20 and trainer.step == 20 * 8
    assert trainer.history["loss"] == h["loss"]


def test_training_is_deterministic():
    x, y = disks(10, seed=3)

    def run(seed):
        t = ss.Trainer(ss.UNet(seed=1, **TINY), lr=5e-3, batch_size=4, seed=seed)
        h = t.fit(x, y, epochs=2, verbose=False)
        return t.model.get_parameters(), h["loss"]

    p1, l1 = run(7)
    p2, l2 = run(7)
    p3, _ = run(8)
    assert np.array_equal(p1, p2) and l1 == l2
    assert not np.array_equal(p1, p3)


def test_early_stopping_stops():
    x, y = disks(6, seed=7)
    t = ss.Trainer(ss.UNet(seed=1, **TINY), lr=1e-9, batch_size=6)
    h = t.fit(x, y, epochs=10, validation_data=(x, y),
              early_stopping={"monitor": "val_loss", "patience": 2, "min_delta": 1e-3}, verbose=False)
    assert h["epoch"] == [1, 2, 3]
    # a later fit with the same setting does nothing: the state says stop
    again = t.fit(x, y, epochs=5, validation_data=(x, y), early_stopping={"monitor": "val_loss", "patience": 2},
                  verbose=False)
    assert again["epoch"] == [] and t.epoch == 3


def test_progress_output(capsys):
    x, y = disks(4, seed=10)
    t = ss.Trainer(ss.UNet(**TINY), batch_size=2)
    t.fit(x, y, epochs=2, validation_data=(x, y), verbose=2)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[1].startswith("epoch 2/2") and "val_iou" in out[1]
    t.fit(x, y, epochs=1, verbose=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    t.fit(x, y, epochs=1, verbose=True)  # tqdm bar (stderr) or a plain line (stdout)
    captured = capsys.readouterr()
    assert "epoch 4/4" in captured.out + captured.err


def test_failed_epoch_leaves_trainer_usable(tmp_path):
    x, y = disks(8, seed=11)
    bad = y.copy()
    bad[-1, 0, 0, 0] = 3.0  # outside [0, 1]: the batch holding sample 7 fails
    t = ss.Trainer(ss.UNet(**TINY), batch_size=2)
    with pytest.raises(ValueError, match="y"):
        t.fit(x, bad, epochs=1, verbose=False)
    assert not t.state["epoch_in_progress"] and t.epoch == 0
    t.save(tmp_path / "after-failure.ckpt")
    assert t.fit(x, y, epochs=1, verbose=False)["epoch"] == [1]


@pytest.mark.filterwarnings("ignore:fit. after epoch:RuntimeWarning")  # this tiny U-Net is dead
def test_fit_leaves_the_callers_subnormals_alone():
    """The trainer flushes subnormals to zero only while it computes (SubnormalFlush) and
    restores the calling thread's floating-point mode: NumPy still gets subnormals after."""
    tiny = np.array([np.finfo(np.float32).tiny], np.float32)
    assert (tiny / np.float32(1024))[0] > 0
    y = np.zeros((4, 1, 8, 8), np.float32)
    y[:, :, :4] = 1
    t = ss.Trainer(ss.UNet(base_channels=2, depth=1, threads=2), lr=1e-2, batch_size=4)
    t.fit(y, y, epochs=1, verbose=False)
    after = (tiny / np.float32(1024))[0]
    assert after > 0 and after < np.finfo(np.float32).tiny


# ------------------------------------------------------------------ a dead network

def test_fit_warns_once_when_every_relu_is_off():
    """Weights of -0.1 on images in [0, 1]: every pre-activation is negative, the output is
    the head's bias everywhere; fit says so once, naming the epoch and the remedy."""
    x, y = disks(8, seed=4)
    model = ss.UNet(seed=0, **TINY)
    model.set_parameters(np.full(model.num_parameters, -0.1, np.float32))
    trainer = ss.Trainer(model, lr=1e-3, batch_size=4)
    with pytest.warns(RuntimeWarning, match=r"after epoch 1 .*same value at every pixel of 4 images.*"
                                            r"batch_norm=True") as record:
        trainer.fit(x, y, epochs=3, verbose=False, validation_data=(x[:6], y[:6]))
    assert len([w for w in record if "dead" in str(w.message)]) == 1
    assert record[0].filename == __file__  # points at the caller's fit


def test_fit_does_not_warn_for_a_live_network():
    x, y = disks(8, seed=4)
    trainer = ss.Trainer(ss.UNet(seed=2, **TINY), lr=5e-3, batch_size=4, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.fit(x, y, epochs=2, verbose=False)
