"""Training targets and scores: multilabel and (N, H, W) targets, multiclass label maps (the
same training as their one-hot form, argmax scores), ignore_index in the scores, and
label-map errors naming y."""
from __future__ import annotations

import numpy as np
import pytest

import semsegloss_swift as ss
from training_data import TINY, disks


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
    with pytest.raises(ValueError, match=r"y: class labels must be integers in \[0, 3\)"):
        multi.fit(x, labels + 3, verbose=False)
    with pytest.raises(ValueError, match="y: expected shape"):
        multi.fit(x, labels[:, :8], verbose=False)
