"""Bad arguments of UNet / Trainer raise clean ValueError / TypeError / OSError naming the
argument (never a crash)."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from semsegloss_swift import _core

TINY = dict(base_channels=4, depth=2, threads=1)


def data(n=4, size=16, channels=1):
    rng = np.random.default_rng(0)
    y = (rng.random((n, 1, size, size)) > 0.5).astype(np.float32)
    return rng.standard_normal((n, channels, size, size)).astype(np.float32), y


def raises(exc, fn, *args, names=(), **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    for name in names:
        assert name in msg, f"{name!r} not in message {msg!r}"
    return msg


@pytest.fixture
def trainer():
    return ss.Trainer(ss.UNet(**TINY), batch_size=2)


# ------------------------------------------------------------------ model settings

@pytest.mark.parametrize("kwargs,exc,name", [
    ({"depth": 0}, ValueError, "depth"),
    ({"depth": 11}, ValueError, "depth"),
    ({"base_channels": 0}, ValueError, "base_channels"),
    ({"base_channels": 1 << 20}, ValueError, "base_channels"),
    ({"in_channels": -1}, ValueError, "in_channels"),
    ({"out_channels": 0}, ValueError, "out_channels"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 2 ** 64}, ValueError, "seed"),
    ({"threads": 0}, ValueError, "threads"),
    ({"depth": 2 ** 64}, ValueError, "depth"),
    ({"in_channels": -2 ** 63 - 1}, ValueError, "in_channels"),
    ({"base_channels": 2.5}, TypeError, "base_channels"),
    ({"depth": "4"}, TypeError, "depth"),
    ({"seed": 1.0}, TypeError, "seed"),
    ({"batch_norm": 1}, TypeError, "batch_norm"),
])
def test_unet_bad_settings(kwargs, exc, name):
    raises(exc, ss.UNet, **kwargs, names=[name])


@pytest.mark.parametrize("kwargs,exc,name", [
    ({"lr": -1e-3}, ValueError, "lr"),
    ({"lr": 0.0}, ValueError, "lr"),
    ({"lr": float("nan")}, ValueError, "lr"),
    ({"lr": float("inf")}, ValueError, "lr"),
    ({"lr": "fast"}, TypeError, "lr"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": -4}, ValueError, "batch_size"),
    ({"batch_size": 2.0}, TypeError, "batch_size"),
    ({"batch_size": 2 ** 64}, ValueError, "batch_size"),  # was an OverflowError without the name
    ({"lr": 10 ** 400}, ValueError, "lr"),  # so was a number beyond the float range
    ({"weight_decay": np.True_}, TypeError, "weight_decay"),
    ({"loss_options": {"smooth_nr": 10 ** 400}}, ValueError, "smooth_nr"),
    ({"loss_options": {"smooth_nr": np.True_}}, TypeError, "smooth_nr"),
    ({"loss": "top_k_ce", "loss_options": {"k": [10.0]}}, TypeError, "k: expected a number"),
    ({"weight_decay": -1.0}, ValueError, "weight_decay"),
    ({"threshold": 1.5}, ValueError, "threshold"),
    ({"seed": -3}, ValueError, "seed"),
    ({"loss": "no_such_loss"}, ValueError, "loss"),
    ({"loss": 3}, TypeError, "loss"),
    ({"loss_options": {"smoth_nr": 1.0}}, ValueError, "smoth_nr"),
    ({"loss_options": {"reduction": "sum"}}, ValueError, "reduction"),
    ({"loss_options": {"from_logits": False}}, ValueError, "from_logits"),
    ({"loss_options": {"mode": "multiclass-ish"}}, ValueError, "mode"),
    ({"loss_options": {"smooth_nr": float("nan")}}, ValueError, "smooth_nr"),
    ({"loss_options": {"smooth_nr": "x"}}, TypeError, "smooth_nr"),
    ({"loss_options": [("smooth_nr", 1)]}, TypeError, "loss_options"),
])
def test_trainer_bad_settings(kwargs, exc, name):
    raises(exc, ss.Trainer, ss.UNet(**TINY), **kwargs, names=[name])


def test_unknown_loss_lists_valid_names():
    msg = raises(ValueError, ss.Trainer, ss.UNet(**TINY), loss="dice_bc", names=["loss", "dice_bc"])
    for name in _core.loss_names():
        assert name in msg


def test_model_must_be_a_unet():
    raises(TypeError, ss.Trainer, object(), names=["model"])


def test_a_mode_the_model_cannot_take_names_mode_and_out_channels(tmp_path):
    """The library found it on an internal probe batch and named ``logits`` of shape
    (1, C, 1, 1); the message now names the mode and the model's out_channels (checked in
    Swift, for every way a loss reaches a trainer)."""
    one, three = ss.UNet(**TINY), ss.UNet(out_channels=3, **TINY)
    for model, mode in [(one, "multiclass"), (three, "binary")]:
        for loss in ("dice_bce", "dice", "focal"):
            msg = raises(ValueError, ss.Trainer, model, loss=loss, loss_options={"mode": mode},
                         names=[f"mode: mode={mode!r}", f"out_channels={model.out_channels}"])
            assert "logits" not in msg and "(1, " not in msg
    raises(ValueError, ss.Trainer, one, loss=ss.DiceLoss(mode="multiclass"), names=["mode: mode='multiclass'"])
    t = ss.Trainer(one, loss="dice")
    raises(ValueError, t.set_loss, loss_options={"mode": "multiclass"}, names=["mode: mode='multiclass'"])
    assert (t.loss, t.loss_options) == ("dice_loss", {})
    t.save(tmp_path / "t.ckpt")
    raises(ValueError, ss.Trainer.load, tmp_path / "t.ckpt", loss="dice", loss_options={"mode": "multiclass"},
           names=["mode: mode='multiclass'", "out_channels=1"])
    assert ss.Trainer.load(tmp_path / "t.ckpt", loss="dice", loss_options={"mode": "binary"}).epoch == 0
    two = ss.UNet(out_channels=2, **TINY)
    assert ss.Trainer(two, loss="dice", loss_options={"mode": "multiclass"}).loss_options == {"mode": "multiclass"}
    raises(ValueError, ss.Trainer, two, loss="dice_bce", loss_options={"mode": "multiclass"},
           names=["mode", "dice_bce_loss is binary/multilabel"])


# ------------------------------------------------------------------ data

def test_bad_shapes(trainer):
    x, y = data()
    raises(ValueError, trainer.fit, x[:, 0], y, verbose=False, names=["x", "(N, C, H, W)"])
    raises(ValueError, trainer.fit, x[..., :14, :14], y[..., :14, :14], verbose=False, names=["x", "divisible"])
    raises(ValueError, trainer.fit, np.concatenate([x, x], 1), y, verbose=False, names=["x", "in_channels"])
    raises(ValueError, trainer.fit, x, y[:3], verbose=False, names=["y"])
    raises(ValueError, trainer.fit, x, np.concatenate([y, y], 1), verbose=False, names=["y", "out_channels"])
    raises(ValueError, trainer.fit, x, y[..., :8], verbose=False, names=["y"])
    raises(ValueError, trainer.fit, x[:0], y[:0], verbose=False, names=["x"])
    raises(ValueError, trainer.evaluate, x[..., :6, :6], y[..., :6, :6], names=["x", "divisible"])
    raises(ValueError, trainer.model.predict, x[..., :10], names=["x", "divisible"])


def test_bad_dtypes(trainer):
    x, y = data()
    raises(TypeError, trainer.fit, x.astype(str), y, verbose=False, names=["x"])
    raises(TypeError, trainer.fit, x, y.astype(complex), verbose=False, names=["y"])
    raises(TypeError, trainer.fit, None, y, verbose=False, names=["x"])
    raises(TypeError, trainer.model.predict, x.astype(object), names=["x"])


def test_non_finite_data(trainer):
    x, y = data()
    for bad in (np.nan, np.inf, -np.inf):
        xb = x.copy()
        xb[2, 0, 3, 3] = bad
        raises(ValueError, trainer.fit, xb, y, verbose=False, names=["x", "finite"])
        raises(ValueError, trainer.evaluate, xb, y, names=["x"])
        raises(ValueError, trainer.model.predict, xb, names=["x"])
        yb = y.copy()
        yb[1, 0, 0, 0] = bad
        raises(ValueError, trainer.fit, x, yb, verbose=False, names=["y"])
    raises(ValueError, trainer.fit, x, y * 2, verbose=False, names=["y", "[0, 1]"])
    # float64 beyond the float32 range overflows to inf: rejected too
    raises(ValueError, trainer.fit, x.astype(np.float64) * 1e300, y, verbose=False, names=["x"])
    assert trainer.epoch == 0


def test_bad_fit_arguments(trainer):
    x, y = data()
    raises(ValueError, trainer.fit, x, y, epochs=-1, names=["epochs"])
    raises(TypeError, trainer.fit, x, y, epochs=1.5, names=["epochs"])
    raises(ValueError, trainer.fit, x, y, epochs=2 ** 64, names=["epochs"])
    raises(ValueError, trainer.evaluate, x, y, batch_size=2 ** 64, names=["batch_size"])
    raises(TypeError, trainer.fit, x, y, validation_data=x, names=["validation_data"])
    raises(ValueError, trainer.fit, x, y, validation_data=(x[..., :6], y), names=["validation_data[0]"])
    raises(ValueError, trainer.fit, x, y, validation_data=(x, y[:2]), names=["validation_data[1]"])
    raises(ValueError, trainer.fit, x, y, early_stopping={"monitor": "val_iou"}, names=["early_stopping"])
    es = {"validation_data": (x, y), "verbose": False}
    raises(ValueError, trainer.fit, x, y, early_stopping={"monitor": "iou"}, **es, names=["monitor"])
    raises(ValueError, trainer.fit, x, y, early_stopping={"patience": 0}, **es, names=["patience"])
    raises(ValueError, trainer.fit, x, y, early_stopping={"min_delta": -1.0}, **es, names=["min_delta"])
    raises(ValueError, trainer.fit, x, y, early_stopping={"patiense": 3}, **es, names=["patiense"])
    raises(ValueError, trainer.fit, x, y, early_stopping={"monitor": []}, **es, names=["monitor", "'val_iou'"])
    raises(ValueError, trainer.fit, x, y, early_stopping={"min_delta": 10 ** 400}, **es, names=["min_delta"])
    raises(TypeError, trainer.fit, x, y, early_stopping="val_iou", **es, names=["early_stopping"])
    raises(TypeError, trainer.fit, x, y, checkpoint=3, verbose=False, names=["checkpoint"])
    raises(ValueError, trainer.evaluate, x, y, batch_size=0, names=["batch_size"])
    assert trainer.epoch == 0


def test_bad_predict_arguments():
    m = ss.UNet(**TINY)
    x, _ = data()
    raises(ValueError, m.predict, x, output="proba", names=["output"])
    raises(ValueError, m.predict, x, output="mask", threshold=2.0, names=["threshold"])
    raises(ValueError, m.predict, x, batch_size=0, names=["batch_size"])
    raises(TypeError, m.predict, x, threshold="high", names=["threshold"])
    raises(ValueError, m.predict, x, output="mask", threshold=-10 ** 400, names=["threshold"])
    raises(ValueError, m.set_parameters, np.zeros(5), names=["values"])
    p = m.get_parameters()
    p[0] = np.nan
    raises(ValueError, m.set_parameters, p, names=["values"])


# ------------------------------------------------------------------ files

def test_file_errors(tmp_path):
    m = ss.UNet(**TINY)
    t = ss.Trainer(m)
    raises(OSError, m.save, tmp_path / "missing-dir" / "m.ckpt", names=["path"])
    raises(OSError, t.save, "/nonexistent-dir/t.ckpt", names=["path"])
    raises(OSError, ss.UNet.load, tmp_path / "nothing.ckpt", names=["nothing.ckpt"])
    raises(TypeError, m.save, 42, names=["path"])
    path = tmp_path / "model.ckpt"
    m.save(path)
    raises(OSError, ss.Trainer.load, path, names=["no trainer state"])
    raises(ValueError, ss.Trainer.load, path, loss="nope", names=["loss"])
    data_bytes = bytearray(path.read_bytes())
    data_bytes[200] ^= 0xFF
    path.write_bytes(bytes(data_bytes))
    raises(OSError, ss.UNet.load, path, names=["corrupt"])
    path.write_bytes(bytes(data_bytes[:30]))
    raises(OSError, ss.UNet.load, path)
    path.write_text("hello")
    raises(OSError, ss.UNet.load, path)
    raises(OSError, ss.Trainer.load, path)


def test_bad_validation_targets_fail_before_the_epoch_counts(trainer):
    x, y = data()
    raises(ValueError, trainer.fit, x, y, validation_data=(x, y * 3), verbose=False, names=["validation_data[1]"])
    s = trainer.state
    assert s["epoch"] == 0 and s["history_length"] == 0 and not s["epoch_in_progress"]
    assert trainer.fit(x, y, epochs=1, validation_data=(x, y), verbose=False)["epoch"] == [1]


def test_a_fit_that_will_fail_fails_before_its_first_step(tmp_path):
    """Bad validation data was found at the end of the first epoch, a non-finite image in
    the last batch after the Adam steps of the batches before it, and a checkpoint path in
    a missing folder after the first epoch: each call then failed having changed the model.
    Now each fails before any step, naming the argument, and the trainer is untouched."""
    rng = np.random.default_rng(3)
    x = rng.random((8, 1, 16, 16)).astype(np.float32)
    y = (x > 0.5).astype(np.float32)
    t = ss.Trainer(ss.UNet(**TINY), batch_size=4)
    before = t.model.get_parameters()
    last_inf = x.copy()
    last_inf[-1, 0, 3, 3] = np.inf
    nan_val = np.where(x > 0.9, np.nan, x)
    cases = [
        (ValueError, dict(x=last_inf), ["x: values must be finite", "sample 7"]),
        (ValueError, dict(validation_data=(nan_val, y)), ["validation_data[0]: values must be finite"]),
        (ValueError, dict(validation_data=(x, y * 5)), ["validation_data[1]: values must lie in [0, 1]"]),
        (OSError, dict(checkpoint=tmp_path / "missing" / "c.ckpt"), ["checkpoint", "does not exist"]),
        (OSError, dict(checkpoint=tmp_path), ["checkpoint", "not a regular file"]),
        (ValueError, dict(checkpoint=str(tmp_path / "a\0b")), ["checkpoint", "NUL"]),
    ]
    for exc, kwargs, names in cases:
        data = kwargs.pop("x", x)
        raises(exc, t.fit, data, y, epochs=1, verbose=False, names=names, **kwargs)
        assert t.step == 0 and t.epoch == 0, kwargs
    assert np.array_equal(t.model.get_parameters(), before)
    t.fit(x, y, epochs=1, validation_data=(x, y), checkpoint=tmp_path / "ok.ckpt", verbose=False)
    assert t.epoch == 1 and (tmp_path / "ok.ckpt").is_file()
