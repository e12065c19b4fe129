"""The demo job: every loss and metric of the library on a synthetic segmentation batch.

    semsegloss-swift demo [--size 128] [--batch 8] [--seed 0]
    python -m semsegloss_swift demo

Builds a batch of images with elliptical objects (some images empty), a simulated
network output (logits = target-dependent signal + noise + blur-free jitter), then prints
for every loss its value, gradient norm and time, and every metric.
"""
from __future__ import annotations

import argparse
import inspect
import time
from typing import List, Optional

import numpy as np

from .losses import LOSSES
from . import metrics as M


def synthetic_batch(batch: int = 8, size: int = 128, seed: int = 0):
    """Targets with 0–3 random ellipses per image (the first image is empty) and logits of
    a plausible, imperfect prediction. Returns (logits, target), float32 (N, 1, H, W)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    target = np.zeros((batch, 1, size, size), np.float32)
    for b in range(1, batch):
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.uniform(0.2, 0.8, 2)
            ry, rx = rng.uniform(0.05, 0.25, 2)
            target[b, 0] = np.maximum(target[b, 0], (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1))
    shift = rng.integers(-3, 4, size=2)
    shifted = np.roll(target, tuple(shift), axis=(2, 3))  # a slightly misplaced prediction
    logits = 4.0 * (2 * shifted - 1) + rng.normal(0, 2.5, target.shape)
    return logits.astype(np.float32), target


#: Losses without a binary form (a class distance matrix needs exclusive classes).
MULTICLASS_ONLY = ("generalized_wasserstein_dice_loss",)


def _table(headers: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def run(batch: int = 8, size: int = 128, seed: int = 0) -> str:
    logits, target = synthetic_batch(batch, size, seed)
    out = [f"synthetic batch: {batch} images of {size}x{size}, "
           f"{int((target.reshape(batch, -1).sum(1) == 0).sum())} with an empty mask, "
           f"foreground {100 * target.mean():.1f}%", ""]
    rows = []
    # Losses defined for exclusive classes only get the two-class form of the batch:
    # logits (0, z) and the label map.
    two_class = (np.concatenate([np.zeros_like(logits), logits], axis=1), (target[:, 0] > 0.5).astype(np.int64))
    for name, fn in LOSSES.items():
        data, mode = ((two_class, "multiclass") if name in MULTICLASS_ONLY else ((logits, target), "binary"))
        t0 = time.perf_counter()
        value, grad = fn(*data, mode=mode, return_grad=True)
        ms = 1e3 * (time.perf_counter() - t0)
        rows.append([name, f"{value:.5f}", f"{np.linalg.norm(grad):.3e}", f"{ms:.2f}"])
    out.append(_table(["loss (defaults, from logits)", "value", "|grad|", "ms"], rows))
    out.append("")
    mrows = []
    for name, fn in M.METRICS.items():
        # The surface metrics (distances; NSD at a tolerance of 2 pixels) have no pooled form.
        extra = {"tolerance": 2.0} if "tolerance" in inspect.signature(fn).parameters else {}
        per_image = fn(logits, target, from_logits=True, **extra)
        pooled = (f"{fn(logits, target, from_logits=True, batch=True):.4f}"
                  if "batch" in inspect.signature(fn).parameters else "-")
        mrows.append([name, f"{per_image:.4f}", pooled])
    out.append(_table(["metric (threshold 0.5)", "mean per image", "pooled over batch"], mrows))
    out.append("")
    out.append("(per-image means skip the empty image where the metric is 0/0: empty='nan')")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="semsegloss-swift demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.batch < 1 or args.size < 1:
        ap.error("--batch and --size must be positive")
    print(run(args.batch, args.size, args.seed))
    return 0
