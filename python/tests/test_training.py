"""U-Net training from Python: learning, parameter count, predictions, checkpoints, exact
resume, determinism, every catalogue loss, progress output, threads."""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import semsegloss_swift as ss
from semsegloss_swift import _core

TINY = dict(base_channels=4, depth=2, threads=2)


def disks(n, size=16, seed=0):
    """Bright disks (radius 3-6) on uniform noise, with their masks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    x = np.empty((n, 1, size, size), np.float32)
    y = np.empty_like(x)
    for i in range(n):
        r = rng.uniform(3, 6)
        cy, cx = rng.uniform(r, size - r, 2)
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        y[i, 0] = inside
        x[i, 0] = 0.6 * inside + rng.uniform(-0.4, 0.4, (size, size))
    return x, y


def unet_parameter_count(in_c=1, out_c=1, w=16, depth=4):
    """Independent count: two 3x3 convs per level, transposed 2x2 convs, 1x1 head."""
    conv = lambda cin, cout, k: cout * cin * k * k + cout  # noqa: E731
    n, cin = 0, in_c
    for level in range(depth + 1):
        n += conv(cin, w << level, 3) + conv(w << level, w << level, 3)
        cin = w << level
    for level in range(depth - 1, -1, -1):
        n += (w << (level + 1)) * (w << level) * 4 + (w << level)
        n += conv(2 * (w << level), w << level, 3) + conv(w << level, w << level, 3)
    return n + conv(w, out_c, 1)


# ------------------------------------------------------------------ model

def test_default_parameter_count():
    assert ss.UNet().num_parameters == 1_940_817 == unet_parameter_count()
    m = ss.UNet(in_channels=3, out_channels=2, base_channels=4, depth=2)
    assert m.num_parameters == unet_parameter_count(3, 2, 4, 2) == m.get_parameters().size
    assert (m.in_channels, m.out_channels, m.base_channels, m.depth, m.batch_norm) == (3, 2, 4, 2, False)
    assert "1,940,817" in repr(ss.UNet())


def test_initialisation_is_seeded():
    a, b, c = ss.UNet(seed=3, **TINY), ss.UNet(seed=3, **TINY), ss.UNet(seed=4, **TINY)
    assert np.array_equal(a.get_parameters(), b.get_parameters())
    assert not np.array_equal(a.get_parameters(), c.get_parameters())
    # PyTorch default bounds: |w| <= 1/sqrt(fan_in) for the first conv (fan_in = 9)
    assert np.abs(a.get_parameters()[:36]).max() <= 1 / 3 + 1e-7


def test_predict_outputs():
    x, _ = disks(5, seed=1)
    m = ss.UNet(seed=2, **TINY)
    logits = m.predict(x, output="logits")
    probs = m.predict(x)
    assert logits.shape == probs.shape == (5, 1, 16, 16) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-logits.astype(np.float64))), rtol=1e-6, atol=1e-7)
    mask = m.predict(x, output="mask", threshold=0.3)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert np.array_equal(mask, (1 / (1 + np.exp(-logits.astype(np.float64))) > 0.3).astype(np.float32))
    # batching changes results only by float rounding; dtype conversion not at all
    np.testing.assert_allclose(m.predict(x, batch_size=2, output="logits"), logits, rtol=1e-5, atol=1e-6)
    assert np.array_equal(m.predict(x.astype(np.float64), output="logits"), logits)
    assert np.array_equal(m.predict(x.tolist(), output="logits"), logits)
    two = ss.UNet(out_channels=2, seed=2, **TINY).predict(x, output="softmax")
    np.testing.assert_allclose(two.sum(axis=1), 1, rtol=1e-6)


def test_parameters_round_trip():
    a, b = ss.UNet(seed=1, **TINY), ss.UNet(seed=2, **TINY)
    b.set_parameters(a.get_parameters())
    x, _ = disks(2)
    assert np.array_equal(a.predict(x), b.predict(x))


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


def test_model_save_load_round_trip(tmp_path):
    x, y = disks(8, seed=4)
    t = ss.Trainer(ss.UNet(seed=5, batch_norm=True, **TINY), lr=1e-2, batch_size=4)
    t.fit(x, y, epochs=1, verbose=False)
    path = tmp_path / "unet.ckpt"
    t.model.save(path)
    loaded = ss.UNet.load(str(path))
    assert loaded.batch_norm and loaded.num_parameters == t.model.num_parameters
    assert np.array_equal(loaded.get_parameters(), t.model.get_parameters())
    for output in ("logits", "probabilities", "mask"):
        assert np.array_equal(loaded.predict(x, output=output), t.model.predict(x, output=output))
    # a trainer checkpoint also loads as a model (t.predict uses the trainer's batch size:
    # another batch size may differ in the last bit, as the BLAS blocks the batch otherwise)
    t.save(tmp_path / "trainer.ckpt")
    from_trainer = ss.UNet.load(tmp_path / "trainer.ckpt")
    assert np.array_equal(from_trainer.get_parameters(), t.model.get_parameters())
    assert np.array_equal(from_trainer.predict(x, batch_size=t.batch_size), t.predict(x))
    np.testing.assert_allclose(from_trainer.predict(x), t.predict(x), rtol=0, atol=1e-6)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_resume_is_identical_to_uninterrupted(tmp_path, batch_norm):
    x, y = disks(11, seed=5)
    xv, yv = disks(4, seed=6)
    stop = {"monitor": "val_dice", "patience": 50}

    def fresh():
        return ss.Trainer(ss.UNet(seed=1, batch_norm=batch_norm, **TINY), loss="focal_tversky",
                          loss_options={"alpha": 0.6, "beta": 0.4}, lr=3e-3, batch_size=4, seed=9,
                          weight_decay=1e-4)

    full = fresh()
    full.fit(x, y, epochs=3, validation_data=(xv, yv), early_stopping=stop, verbose=False)

    path = tmp_path / "run.ckpt"
    first = fresh()
    first.fit(x, y, epochs=1, validation_data=(xv, yv), early_stopping=stop, checkpoint=path, verbose=False)
    del first
    resumed = ss.Trainer.load(path, loss="focal_tversky_loss", loss_options={"alpha": 0.6, "beta": 0.4})
    assert resumed.epoch == 1 and resumed.step == 3 and resumed.model.threads == 2
    h = resumed.fit(x, y, epochs=2, validation_data=(xv, yv), early_stopping=stop, verbose=False)
    assert h["epoch"] == [2, 3]

    assert np.array_equal(resumed.model.get_parameters(), full.model.get_parameters())
    assert np.array_equal(resumed.predict(xv, output="logits"), full.predict(xv, output="logits"))
    a, b = resumed.history, full.history
    for key in ("epoch", "loss", "val_loss", "val_iou", "val_dice", "val_accuracy"):
        assert a[key] == b[key], key
    assert np.isnan(a["time"][0]) and not np.isnan(a["time"][2])


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


def test_multilabel_and_label_free_shapes():
    x, y = disks(6, seed=9)
    y2 = np.concatenate([y, 1 - y], axis=1)
    t = ss.Trainer(ss.UNet(out_channels=2, seed=1, **TINY), loss="dice", lr=1e-2, batch_size=3)
    h = t.fit(x, y2, epochs=2, validation_data=(x, y2), verbose=False)
    assert len(h["loss"]) == 2 and t.predict(x).shape == (6, 2, 16, 16)
    # one output channel: (N, H, W) targets are accepted
    t1 = ss.Trainer(ss.UNet(seed=1, **TINY), batch_size=3)
    assert len(t1.fit(x, y[:, 0], epochs=1, verbose=False)["loss"]) == 1


def three_classes(n, seed):
    """Disks (class 1) and the image's left quarter (class 2) on background: images and labels."""
    x, y = disks(n, seed=seed)
    labels = y[:, 0].astype(np.int64)
    labels[:, :, :4] = 2
    x = x.copy()
    x[:, 0, :, :4] -= 0.8
    return x, labels


def test_multiclass_label_maps_train_and_score_exclusive_classes():
    x, labels = three_classes(48, seed=3)
    xv, lv = three_classes(12, seed=4)
    one_hot = np.moveaxis(np.eye(3, dtype=np.float32)[labels], -1, 1)
    opts = {"mode": "multiclass"}

    def trainer():
        return ss.Trainer(ss.UNet(out_channels=3, seed=2, **TINY), loss="dice_ce", loss_options=opts, lr=5e-3,
                          batch_size=8)
    t = trainer()
    h = t.fit(x, labels, epochs=15, validation_data=(xv, lv), verbose=False)
    # the same training from the one-hot form of the labels
    h1 = trainer().fit(x, one_hot, epochs=15, validation_data=(xv, np.moveaxis(np.eye(3)[lv], -1, 1)), verbose=False)
    assert {k: v for k, v in h.items() if k != "time"} == {k: v for k, v in h1.items() if k != "time"}
    assert h["loss"][-1] < 0.6 * h["loss"][0] and h["val_iou"][-1] > 0.6, h
    # the scores are those of the argmax class, foreground classes pooled
    scores = t.evaluate(xv, lv)
    pred = np.argmax(t.predict(xv, output="logits"), axis=1)
    fg_tp = ((pred == lv) & (lv > 0)).sum()
    fg_fp = ((pred != lv) & (pred > 0)).sum()
    fg_fn = ((pred != lv) & (lv > 0)).sum()
    assert scores["iou"] == pytest.approx(fg_tp / (fg_tp + fg_fp + fg_fn), rel=1e-12)
    assert scores["accuracy"] == pytest.approx((pred == lv).mean(), rel=1e-12)
    # ignore_index: ignored pixels leave the loss and every score
    ignored = lv.copy()
    ignored[:, :2] = 255
    ti = ss.Trainer(t.model, loss="dice_ce", loss_options={"mode": "multiclass", "ignore_index": 255})
    keep = ignored != 255
    assert ti.evaluate(xv, ignored)["accuracy"] == pytest.approx((pred == lv)[keep].mean(), rel=1e-12)


def test_binary_scores_skip_ignore_index_pixels():
    x, y = disks(8, seed=6)
    model = ss.UNet(seed=3, **TINY)
    ss.Trainer(model, loss="dice_bce", lr=5e-3, batch_size=4).fit(x, y, epochs=3, verbose=False)
    masked = y.copy()
    masked[:, :, :5] = 255  # an unlabelled band
    t = ss.Trainer(model, loss="dice_bce", loss_options={"ignore_index": 255})
    scores = t.evaluate(x, masked)
    keep = masked != 255
    pred = model.predict(x, output="mask") > 0.5
    truth = y > 0.5
    tp, fp, fn = (pred & truth)[keep].sum(), (pred & ~truth)[keep].sum(), (~pred & truth)[keep].sum()
    assert scores["accuracy"] == pytest.approx((pred == truth)[keep].mean(), rel=1e-12)
    assert scores["iou"] == pytest.approx(tp / (tp + fp + fn), rel=1e-12)
    assert np.isfinite(scores["loss"])


def test_multiclass_label_map_errors_name_y():
    x, labels = three_classes(4, seed=5)
    plain = ss.Trainer(ss.UNet(out_channels=3, seed=2, **TINY), loss="dice_ce")  # multilabel by default
    with pytest.raises(ValueError, match="y: a label map .* needs a multiclass loss"):
        plain.fit(x, labels, verbose=False)
    multi = ss.Trainer(ss.UNet(out_channels=3, seed=2, **TINY), loss="dice_ce", loss_options={"mode": "multiclass"})
    with pytest.raises(ValueError, match="y: class labels must be integers"):
        multi.fit(x, labels + 0.5, verbose=False)
    with pytest.raises(ValueError, match="y: labels must lie in"):
        multi.fit(x, labels + 3, verbose=False)
    with pytest.raises(ValueError, match="y: expected shape"):
        multi.fit(x, labels[:, :8], verbose=False)


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


def test_concurrent_calls_on_one_model():
    x, y = disks(8, seed=12)
    m = ss.UNet(**TINY)
    t = ss.Trainer(m, batch_size=4)
    expected = m.predict(x)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(m.predict(x))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and all(np.array_equal(r, expected) for r in results)
    # training and predicting from two threads is serialised, not corrupted
    runner = threading.Thread(target=lambda: t.fit(x, y, epochs=2, verbose=False))
    runner.start()
    while runner.is_alive():
        assert m.predict(x).shape == x.shape
    runner.join()
    assert t.epoch == 2


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
