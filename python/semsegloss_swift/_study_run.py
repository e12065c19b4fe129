"""One run of the loss study: train a U-Net with one loss and seed, score it on the test set."""
from __future__ import annotations

import json
import math
import os
import time
from typing import TYPE_CHECKING, Any, Dict, Optional

import numpy as np

from . import metrics as M

if TYPE_CHECKING:
    from .study import StudyConfig


def test_metrics(prob: np.ndarray, y: np.ndarray, classes: int = 1) -> Dict[str, float]:
    """IoU, Dice and binary accuracy pooled over all test pixels (as the study reports
    them), the per-image mean IoU, and the mean HD95 over images.

    With `classes` >= 2, `prob` is the softmax (N, K, H, W) and `y` the label map
    (N, 1, H, W): the prediction is the argmax; IoU, Dice and HD95 are means over the
    foreground classes 1..K-1 (each pooled over the test pixels), accuracy the mean
    one-vs-rest accuracy over all K classes."""
    fg: Dict[str, Any] = {}
    every: Dict[str, Any] = {}
    if classes >= 2:
        y = y[:, 0].astype(np.int64)
        fg, every = dict(mode="multiclass", include_background=False), dict(mode="multiclass")
    out = {
        "iou": M.iou(prob, y, batch=True, **fg),
        "dice": M.dice_score(prob, y, batch=True, **fg),
        "accuracy": M.accuracy(prob, y, batch=True, **every),
        "iou_per_image": M.iou(prob, y, **fg),
        "hd95": M.hausdorff_distance(prob, y, percentile=95, **fg),
    }
    return {k: float(v) for k, v in out.items()}


def one_class_everywhere(prob: np.ndarray, classes: int = 1) -> bool:
    """Whether the prediction gives every test pixel the same class (all foreground, all
    background, or one argmax class): the mark of a network that is untrained or collapsed.
    Binary: p >= 0.5 as in the metrics; multiclass: the argmax over channels."""
    if classes >= 2:
        labels = np.argmax(prob, axis=1)
        return bool(np.all(labels == labels.flat[0]))
    positive = prob >= 0.5
    return bool(positive.all() or not positive.any())


def run_one(cfg: "StudyConfig", loss: str, seed: int, splits, run_dir: str) -> Dict[str, float]:
    """Trains `loss` with `seed` on the training split, keeps the epoch of best validation
    IoU, scores it on the test split and writes ``history.json``, a sample of test
    probabilities and (last, marking the run finished) ``metrics.json`` to `run_dir`."""
    from .study import resolve_loss
    from .training import Trainer, UNet

    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
    library_loss, options = resolve_loss(loss, cfg.classes)
    multiclass = cfg.classes >= 2
    if multiclass:  # label maps (N, H, W) for the trainer
        y_tr, y_va = y_tr[:, 0], y_va[:, 0]
    model = UNet(in_channels=x_tr.shape[1], out_channels=cfg.classes if multiclass else y_tr.shape[1],
                 base_channels=cfg.base_channels, depth=cfg.depth, seed=seed, batch_norm=cfg.batch_norm)
    trainer = Trainer(model, loss=library_loss, loss_options=options, lr=cfg.lr, batch_size=cfg.batch_size, seed=seed)
    best_path = os.path.join(run_dir, "best.model")
    if os.path.exists(best_path):   # left by an interrupted run: it must not stand in for this one's
        os.remove(best_path)
    t0 = time.time()
    history: Dict[str, list] = {}
    best = -1.0
    for epoch in range(1, cfg.epochs + 1):
        # One epoch per call (to keep the best epoch), so fit's own line would read "k/k".
        h = trainer.fit(x_tr, y_tr, epochs=1, validation_data=(x_va, y_va), verbose=False)
        for key, values in h.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        if cfg.verbose and h.get("loss"):
            metrics = " - ".join(f"{k} {h[k][-1]:.4f}" for k in ("loss", "val_loss", "val_iou", "val_dice",
                                                                 "val_accuracy") if h.get(k))
            print(f"  epoch {epoch}/{cfg.epochs} - {metrics} - {h['time'][-1]:.1f}s", flush=True)
        val_iou = float(h["val_iou"][-1]) if h.get("val_iou") else float("nan")
        if not math.isnan(val_iou) and val_iou > best:   # keep the best epoch (save_best_only)
            best = val_iou
            model.save(best_path)
    seconds = time.time() - t0
    best_model = UNet.load(best_path) if os.path.exists(best_path) else model
    prob = best_model.predict(x_te, output="softmax" if multiclass else "probabilities")
    result = test_metrics(prob, y_te, cfg.classes)
    result["one_class"] = one_class_everywhere(prob, cfg.classes)
    if multiclass:  # the overlays show the foreground: p(not background)
        prob = 1.0 - prob[:, :1]
    result.update(loss=loss, seed=seed, seconds=seconds, epochs=cfg.epochs,
                  best_val_iou=float(np.nanmax(history["val_iou"])) if history.get("val_iou") else float("nan"))
    with open(os.path.join(run_dir, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    np.save(os.path.join(run_dir, "test_prob_sample.npy"), prob[:4])
    with open(os.path.join(run_dir, "metrics.json"), "w") as f:   # written last: marks the run finished
        json.dump(result, f, indent=1)
    return result


#: What the report reads from a finished run's metrics.json (besides "loss" and "seed").
_RESULT_NUMBERS = ("iou", "dice", "accuracy", "hd95", "iou_per_image", "seconds")


def finished_result(run_dir: str, loss: str, seed: int, epochs: int) -> Optional[Dict[str, Any]]:
    """The metrics.json of a finished run in `run_dir` (None when there is none), checked:
    unreadable JSON, missing numbers, or a run of another loss, seed or epoch count raise
    ValueError naming the file (delete the run's folder to train it again). Its
    history.json, read by the plots, must be readable too."""
    path = os.path.join(run_dir, "metrics.json")
    if not os.path.exists(path):
        return None
    fix = f"delete the folder {run_dir} to train that run again"
    result = _json_object(path, fix)
    missing = [k for k in _RESULT_NUMBERS
               if isinstance(result.get(k), bool) or not isinstance(result.get(k), (int, float))]
    if missing:
        raise ValueError(f"out: {path} lacks the number(s) {', '.join(missing)}: {fix}")
    found = (result.get("loss"), result.get("seed"), result.get("epochs", epochs))
    if found != (loss, seed, epochs):
        raise ValueError(f"out: {path} is a run of loss {found[0]!r}, seed {found[1]!r}, {found[2]!r} epochs, "
                         f"not of {loss!r}, seed {seed}, {epochs} epochs: {fix}")
    history = os.path.join(run_dir, "history.json")
    if os.path.exists(history):
        _json_object(history, fix)
    return result


def _json_object(path: str, fix: str) -> Dict[str, Any]:
    try:
        with open(path) as f:
            value = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"out: {path} is unreadable ({e}): {fix}") from None
    if not isinstance(value, dict):
        raise ValueError(f"out: {path} holds a JSON {type(value).__name__}, not an object: {fix}")
    return value
