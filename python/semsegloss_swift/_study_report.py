"""The loss study's reports: ``results.csv`` (one row per run) and ``results.md`` (mean ± std
over seeds per loss)."""
from __future__ import annotations

import csv
import math
import os
import platform
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

import numpy as np

if TYPE_CHECKING:
    from .study import StudyConfig

#: What the report and the log say of a run whose test prediction is one class everywhere
#: (as the quick preset without BatchNorm gave for Dice-BCE and focal at seed 1: IoU 0.15).
COLLAPSED = ("every test pixel got the same class: the network is untrained or collapsed "
             "(try more epochs, --batch-norm, another seed or a lower --lr)")
#: Of a run whose network died (one output value everywhere; the trainer's warning).
DEAD = ("the network is dead (one output value at every pixel, no gradient reaches the weights), so more epochs "
        "will not change it: try --batch-norm, another seed or a lower --lr")
_KEYS = ("iou", "accuracy", "dice", "hd95", "iou_per_image", "seconds")


def summarize(rows: List[Dict[str, Any]], losses: Sequence[str]) -> List[Dict[str, Any]]:
    """Per loss: its runs, and for each metric (mean, population std) over the runs that
    have it; ``<metric>_undefined`` counts the runs (not diverged) whose value is NaN,
    ``diverged_runs`` the runs that diverged (left out of every mean)."""
    table = []
    for loss in losses:
        runs = [r for r in rows if r["loss"] == loss]
        if not runs:
            continue
        kept = [r for r in runs if not r.get("diverged")]
        entry: Dict[str, Any] = {"loss": loss, "runs": len(runs), "diverged_runs": len(runs) - len(kept),
                                 "one_class_runs": sum(bool(r.get("one_class", False)) for r in runs),
                                 "dead_runs": sum(r.get("dead_epoch") is not None and bool(r.get("one_class"))
                                                  for r in runs)}
        for key in _KEYS:
            vals = np.array([r[key] for r in kept], dtype=float)
            entry[f"{key}_undefined"] = int(np.isnan(vals).sum())
            vals = vals[~np.isnan(vals)]
            entry[key] = (float(vals.mean()), float(vals.std())) if len(vals) else (float("nan"), float("nan"))
        table.append(entry)
    return table


def _pm(entry, key, digits=4):
    """mean ± std; the mean alone for one value (a spread of one value is not 0); how many
    seeds had no value."""
    mean, std = entry[key]
    undefined = entry.get(f"{key}_undefined", 0)
    counted = entry["runs"] - entry.get("diverged_runs", 0)
    if math.isnan(mean):
        return "n/a"
    text = f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if counted - undefined > 1 else "")
    return text + (f" ({undefined} of {counted} seeds undefined)" if undefined else "")


def _epochs(n: int) -> str:
    return f"{n} epoch" + ("" if n == 1 else "s")


def write_reports(cfg: "StudyConfig", rows: List[Dict[str, Any]], images: Optional[int] = None,
                  split: Optional[Dict[str, Any]] = None) -> str:
    """results.csv and results.md; `split` (train images, whether the validation and test
    splits hold foreground) adds the notes that depend on it."""
    from ._study_config import describe
    split = split or {}
    keys = ["loss", "seed", "iou", "dice", "accuracy", "hd95", "hd95_undefined", "hd95_cases", "iou_per_image",
            "selected_by", "best_epoch", "best_val_iou", "best_val_loss", "epochs", "seconds", "one_class",
            "dead_epoch", "diverged"]
    with open(os.path.join(cfg.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    table = summarize(rows, cfg.losses)
    train = split.get("train")
    batch = (f"batch {train} (--batch-size {cfg.batch_size} is larger than the {train} training images: one batch "
             "per epoch)" if train is not None and cfg.batch_size > train else f"batch {cfg.batch_size}")
    by_loss = any(r.get("selected_by") == "val_loss" for r in rows)
    lines = [f"# Loss study: {cfg.data}, {cfg.size}x{cfg.size}, {_epochs(cfg.epochs)}, seeds {cfg.seeds}",
             "",
             f"U-Net base_channels={cfg.base_channels} depth={cfg.depth}{' with BatchNorm' if cfg.batch_norm else ''}, "
             f"{batch}, Adam lr {cfg.lr}, "
             f"split 80/10/10 of {images if images is not None else cfg.n} images; test metrics of the epoch with the "
             f"{'lowest validation loss (see the note below)' if by_loss else 'best validation IoU'}; IoU, Dice and "
             f"accuracy pooled over all test pixels, HD95 in pixels at {cfg.size}x{cfg.size} averaged over images; "
             "mean ± std over seeds (population std, ddof=0; the mean alone when one seed has a value)." + (
                 f" {cfg.classes} exclusive classes (softmax, multiclass losses): IoU, Dice and HD95 are means over the "
                 f"foreground classes 1..{cfg.classes - 1}, accuracy the mean one-vs-rest accuracy over all classes."
                 if cfg.classes >= 2 else ""),
             "",
             f"Trained on {machine()}.",
             "",
             f"| loss | IoU | {'accuracy' if cfg.classes >= 2 else 'binary accuracy'} | Dice | "
             f"HD95 (px at {cfg.size}x{cfg.size}) | mean IoU per image | train time (s) |",
             "|---|---|---|---|---|---|---|"]
    for e in table:
        mark = (" †" if e["one_class_runs"] else "") + (" ‡" if e["diverged_runs"] else "")
        lines.append(f"| {e['loss']}{mark} | {_pm(e, 'iou')} | {_pm(e, 'accuracy')} | {_pm(e, 'dice')} | "
                     f"{_pm(e, 'hd95', 2)} | {_pm(e, 'iou_per_image')} | {_pm(e, 'seconds', 0)} |")
    lines += [""] + [f"- {note}" for note in _notes(cfg, rows, table, split, by_loss)]
    lines += ["", "Losses (study names are SemSegLoss's definitions; catalogue names, ending in _loss, the "
                  "library's defaults):", ""] + [f"- {describe(loss, cfg.classes)}" for loss in cfg.losses]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(cfg.out, "results.md"), "w") as f:
        f.write(text)
    return text


def _notes(cfg, rows, table, split, by_loss) -> List[str]:
    notes = []
    collapsed = [e for e in table if e["one_class_runs"]]
    if collapsed:
        dead = sum(e["dead_runs"] for e in collapsed)
        notes.append("† " + "; ".join(f"{e['loss']}: {e['one_class_runs']} of {e['runs']} runs"
                                      + (f" ({e['dead_runs']} dead)" if e["dead_runs"] else "") for e in collapsed)
                     + (f" — {COLLAPSED}" if dead < sum(e["one_class_runs"] for e in collapsed) else
                        " — every test pixel got the same class")
                     + (f"; a dead run: {DEAD}." if dead else "."))
    diverged = [e for e in table if e["diverged_runs"]]
    if diverged:
        notes.append("‡ " + "; ".join(f"{e['loss']}: {e['diverged_runs']} of {e['runs']} runs" for e in diverged)
                     + " diverged (the library refused a step that would make the weights or outputs NaN or "
                       "infinite): their metrics are n/a and left out of the means; try a lower --lr. The error "
                       "is in runs/<loss>-seed<k>/metrics.json (delete that folder to train the run again).")
    undefined = [f"{r['loss']} seed {r['seed']}: {r['hd95_undefined']} of {r['hd95_cases']}" for r in rows
                 if r.get("hd95_undefined")]
    notes.append(f"HD95 is in pixels at {cfg.size}x{cfg.size} (not at the images' original resolution). An image "
                 "whose prediction or mask is empty has no surface and so no HD95 (NaN, the library's default): it "
                 "is left out of the mean over images, not counted as 0"
                 + (f"; undefined for {'; '.join(undefined)} test "
                    f"{'image-class pairs' if cfg.classes >= 2 else 'images'}." if undefined else
                    "; no test image had an undefined HD95." if any(r.get("hd95_cases") for r in rows) else "."))
    if by_loss:
        notes.append("The validation split has no foreground pixel. Validation scores (the trainer's) count an empty "
                     "prediction of an empty mask as a perfect match (IoU 1), so an all-background model would score "
                     "best: the epoch of the lowest validation loss was kept instead (selected_by and best_epoch in "
                     "results.csv and metrics.json).")
    if split.get("test_foreground") is False or by_loss:
        notes.append("Test IoU and Dice (and HD95) count an empty prediction of an empty mask as undefined (n/a), "
                     "whereas validation scores count it as 1"
                     + ("; the test split has no foreground pixel, so its IoU and Dice are n/a." 
                        if split.get("test_foreground") is False else "."))
    return notes


def machine() -> str:
    """The CPU, its threads and the OpenBLAS kernels (which set the train times)."""
    from .training import blas_kernels
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{cpu or platform.processor() or 'this CPU'}, {os.cpu_count()} threads, OpenBLAS {blas_kernels()['core']} kernels"
