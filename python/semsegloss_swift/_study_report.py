"""The loss study's reports: ``results.csv`` (one row per run) and ``results.md`` (mean ± std
over seeds per loss)."""
from __future__ import annotations

import csv
import math
import os
import platform
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import numpy as np

if TYPE_CHECKING:
    from .study import StudyConfig

#: What the report and the log say of a run whose test prediction is one class everywhere
#: (as the quick preset without BatchNorm gave for Dice-BCE and focal at seed 1: IoU 0.15).
COLLAPSED = ("every test pixel got the same class: the network is untrained or collapsed "
             "(try more epochs, --batch-norm or a lower --lr)")


def summarize(rows: List[Dict[str, float]], losses: Sequence[str]) -> List[Dict[str, object]]:
    table = []
    for loss in losses:
        runs = [r for r in rows if r["loss"] == loss]
        if not runs:
            continue
        entry: Dict[str, object] = {"loss": loss, "runs": len(runs),
                                    "one_class_runs": sum(bool(r.get("one_class", False)) for r in runs)}
        for key in ("iou", "accuracy", "dice", "hd95", "iou_per_image", "seconds"):
            vals = np.array([r[key] for r in runs], dtype=float)
            vals = vals[~np.isnan(vals)]
            entry[key] = (float(vals.mean()), float(vals.std())) if len(vals) else (float("nan"), float("nan"))
        table.append(entry)
    return table


def _pm(pair, digits=4):
    mean, std = pair
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def write_reports(cfg: "StudyConfig", rows: List[Dict[str, float]], images: Optional[int] = None) -> str:
    keys = ["loss", "seed", "iou", "dice", "accuracy", "hd95", "iou_per_image", "best_val_iou", "epochs", "seconds",
            "one_class"]
    with open(os.path.join(cfg.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    table = summarize(rows, cfg.losses)
    lines = [f"# Loss study: {cfg.data}, {cfg.size}x{cfg.size}, {cfg.epochs} epochs, seeds {cfg.seeds}",
             "",
             f"U-Net base_channels={cfg.base_channels} depth={cfg.depth}{' with BatchNorm' if cfg.batch_norm else ''}, "
             f"batch {cfg.batch_size}, Adam lr {cfg.lr}, "
             f"split 80/10/10 of {images if images is not None else cfg.n} images; test metrics of the epoch with the best "
             "validation IoU; IoU, Dice and accuracy pooled over all test pixels, HD95 (pixels) averaged over images; "
             "mean ± std over seeds." + (
                 f" {cfg.classes} exclusive classes (softmax, multiclass losses): IoU, Dice and HD95 are means over the "
                 f"foreground classes 1..{cfg.classes - 1}, accuracy the mean one-vs-rest accuracy over all classes."
                 if cfg.classes >= 2 else ""),
             "",
             f"Trained on {machine()}.",
             "",
             f"| loss | IoU | {'accuracy' if cfg.classes >= 2 else 'binary accuracy'} | Dice | HD95 | mean IoU per image "
             "| train time (s) |",
             "|---|---|---|---|---|---|---|"]
    for e in table:
        mark = " †" if e["one_class_runs"] else ""
        lines.append(f"| {e['loss']}{mark} | {_pm(e['iou'])} | {_pm(e['accuracy'])} | {_pm(e['dice'])} | "
                     f"{_pm(e['hd95'], 2)} | {_pm(e['iou_per_image'])} | {_pm(e['seconds'], 0)} |")
    collapsed = [e for e in table if e["one_class_runs"]]
    if collapsed:
        lines += ["", "† " + "; ".join(f"{e['loss']}: {e['one_class_runs']} of {e['runs']} runs" for e in collapsed)
                  + f" — {COLLAPSED}."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(cfg.out, "results.md"), "w") as f:
        f.write(text)
    return text


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
