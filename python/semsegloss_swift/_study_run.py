"""One run of the loss study: train a U-Net with one loss and seed, score it on the test set."""
from __future__ import annotations

import json
import math
import os
import time
import warnings
from typing import TYPE_CHECKING, Any, Dict, Optional

import numpy as np

from . import metrics as M
from ._stack_level import user_stacklevel

if TYPE_CHECKING:
    from .study import StudyConfig


class StudyWarning(RuntimeWarning):
    """A warning of the study that its report repeats (an empty validation split, a dead
    network, a diverged run, a batch larger than the training split): the CLI prints it as
    one line, and not at all with --quiet."""


def warn(message: str) -> None:
    warnings.warn(message, StudyWarning, stacklevel=user_stacklevel())


def has_foreground(y: np.ndarray) -> bool:
    """Whether masks (binary) or label maps (class 0 = background) hold a foreground pixel."""
    return bool(np.any(np.asarray(y) > 0))


def write_json(path: str, value: Any) -> None:
    """Strict JSON (NaN and infinities written as null, which :func:`read_json` reads back
    as NaN): before 2026-12-06 a NaN metric was written as a bare NaN, which is not JSON."""
    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v
    with open(path, "w") as f:
        json.dump(clean(value), f, indent=1, allow_nan=False)


def test_metrics(prob: np.ndarray, y: np.ndarray, classes: int = 1) -> Dict[str, float]:
    """IoU, Dice and binary accuracy pooled over all test pixels (as the study reports
    them), the per-image mean IoU, and the mean HD95 over images.

    With `classes` >= 2, `prob` is the softmax (N, K, H, W) and `y` the label map
    (N, 1, H, W): the prediction is the argmax; IoU, Dice and HD95 are means over the
    foreground classes 1..K-1 (each pooled over the test pixels), accuracy the mean
    one-vs-rest accuracy over all K classes. ``hd95_undefined`` of ``hd95_cases`` images
    (image-class pairs) have no HD95 (an empty prediction or mask) and are left out of it."""
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
    out = {k: float(v) for k, v in out.items()}
    # HD95 is undefined (NaN) for an image (and class) whose prediction or mask is empty: no
    # surface. The mean leaves those out, so say how many: a missed object is not a 0.
    per_image = np.asarray(M.hausdorff_distance(prob, y, percentile=95, reduction="none", **fg))
    out.update(hd95_undefined=int(np.isnan(per_image).sum()), hd95_cases=int(per_image.size))
    return out


def one_class_everywhere(prob: np.ndarray, classes: int = 1) -> bool:
    """Whether the prediction gives every test pixel the same class (all foreground, all
    background, or one argmax class): the mark of a network that is untrained or collapsed.
    Binary: p >= 0.5 as in the metrics; multiclass: the argmax over channels."""
    if classes >= 2:
        labels = np.argmax(prob, axis=1)
        return bool(np.all(labels == labels.flat[0]))
    positive = prob >= 0.5
    return bool(positive.all() or not positive.any())


def run_one(cfg: "StudyConfig", loss: str, seed: int, splits, run_dir: str) -> Dict[str, Any]:
    """Trains `loss` with `seed` on the training split, keeps the epoch of best validation
    IoU (of lowest validation loss when the validation split has no foreground pixel: an
    all-background prediction would score IoU 1), scores it on the test split and writes
    ``history.json``, a sample of test probabilities and (last, marking the run finished)
    ``metrics.json`` to `run_dir`. A run that diverges (the library refuses a non-finite
    Adam step, naming ``lr``, or non-finite logits) is recorded as diverged with NaN metrics."""
    from .study import resolve_loss
    from .training import Trainer, UNet

    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
    library_loss, options = resolve_loss(loss, cfg.classes)
    multiclass = cfg.classes >= 2
    if multiclass:  # label maps (N, H, W) for the trainer
        y_tr, y_va = y_tr[:, 0], y_va[:, 0]
    by_iou = has_foreground(y_va)
    model = UNet(in_channels=x_tr.shape[1], out_channels=cfg.classes if multiclass else y_tr.shape[1],
                 base_channels=cfg.base_channels, depth=cfg.depth, seed=seed, batch_norm=cfg.batch_norm)
    trainer = Trainer(model, loss=library_loss, loss_options=options, lr=cfg.lr, batch_size=cfg.batch_size, seed=seed)
    best_path = os.path.join(run_dir, "best.model")
    for name in ("best.model", "test_prob_sample.npy"):   # left by an interrupted run: not this one's
        if os.path.exists(os.path.join(run_dir, name)):
            os.remove(os.path.join(run_dir, name))
    t0 = time.time()
    history: Dict[str, list] = {}
    best, best_epoch, dead_epoch, diverged = -math.inf, 0, None, None
    for epoch in range(1, cfg.epochs + 1):
        # One epoch per call (to keep the best epoch), so fit's own line would read "k/k".
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                h = trainer.fit(x_tr, y_tr, epochs=1, validation_data=(x_va, y_va), verbose=False)
        except ValueError as e:
            if not str(e).startswith(("lr:", "logits:")):
                raise
            diverged = f"diverged in epoch {epoch}: {e}"
            warn(f"{loss} seed {seed}: {diverged}; recorded as diverged (metrics n/a), the study goes on; "
                 "try a lower --lr")
            break
        for w in caught:
            if str(w.message).startswith("fit: after epoch") and dead_epoch is None:
                dead_epoch = epoch
                warn(f"{loss} seed {seed}: after epoch {epoch} the network outputs the same value at every pixel "
                     "(a 'dead' network: every ReLU before the output layer is off, no gradient reaches the "
                     "weights), so more epochs will not change it; try --batch-norm, another seed or a lower --lr")
            elif not str(w.message).startswith("fit: after epoch"):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        for key, values in h.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        if cfg.verbose and h.get("loss"):
            metrics = " - ".join(f"{k} {h[k][-1]:.4f}" for k in ("loss", "val_loss", "val_iou", "val_dice",
                                                                 "val_accuracy") if h.get(k))
            print(f"  epoch {epoch}/{cfg.epochs} - {metrics} - {h['time'][-1]:.1f}s", flush=True)
        key = "val_iou" if by_iou else "val_loss"
        score = float(h[key][-1]) if h.get(key) else float("nan")
        score = score if by_iou else -score
        if not math.isnan(score) and score > best:   # keep the best epoch (save_best_only)
            best, best_epoch = score, epoch
            model.save(best_path)
    seconds = time.time() - t0
    result: Dict[str, Any] = dict(loss=loss, seed=seed, seconds=seconds, epochs=cfg.epochs,
                                  selected_by="val_iou" if by_iou else "val_loss", best_epoch=best_epoch,
                                  best_val_iou=_at(history, "val_iou", best_epoch),
                                  best_val_loss=_at(history, "val_loss", best_epoch), dead_epoch=dead_epoch,
                                  diverged=diverged is not None)
    if diverged is not None:   # no model to score: every metric n/a, no predictions kept
        if os.path.exists(best_path):
            os.remove(best_path)
        result.update({k: float("nan") for k in ("iou", "dice", "accuracy", "hd95", "iou_per_image")},
                      one_class=False, error=diverged)
    else:
        best_model = UNet.load(best_path) if os.path.exists(best_path) else model
        prob = best_model.predict(x_te, output="softmax" if multiclass else "probabilities")
        result.update(test_metrics(prob, y_te, cfg.classes), one_class=one_class_everywhere(prob, cfg.classes))
        if multiclass:  # the overlays show the foreground: p(not background)
            prob = 1.0 - prob[:, :1]
        np.save(os.path.join(run_dir, "test_prob_sample.npy"), prob[:4])
    write_json(os.path.join(run_dir, "history.json"), history)
    write_json(os.path.join(run_dir, "metrics.json"), result)   # written last: marks the run finished
    return result


def _at(history: Dict[str, list], key: str, epoch: int) -> float:
    values = history.get(key) or []
    return float(values[epoch - 1]) if 1 <= epoch <= len(values) else float("nan")


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
    for k in _RESULT_NUMBERS[:-1] + ("best_val_iou", "best_val_loss"):   # undefined: written as null
        if k in result and result[k] is None:
            result[k] = float("nan")
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
            value = json.load(f)   # also reads the bare NaN of metrics.json before 2026-12-06
    except (OSError, ValueError) as e:
        raise ValueError(f"out: {path} is unreadable ({e}): {fix}") from None
    if not isinstance(value, dict):
        raise ValueError(f"out: {path} holds a JSON {type(value).__name__}, not an object: {fix}")
    return value
