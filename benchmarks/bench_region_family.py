"""Forward + backward speed of the region family against dice_loss, measured in one run on
the same data (the issue's criterion: within 3x of Dice).

    python benchmarks/bench_region_family.py                   # 16x1x256x256 float32, binary
    python benchmarks/bench_region_family.py --mode multiclass --channels 4

Each timing is the median of --repeat calls after one warm-up call.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_losses import median_ms  # noqa: E402  (median of `repeat` calls after a warm-up)

import semsegloss_swift as ss  # noqa: E402

FAMILY = ("log_cosh_dice_loss", "sensitivity_specificity_loss", "generalized_dice_loss", "mcc_loss",
          "asymmetric_similarity_loss", "log_dice_loss")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="16,1,256,256")
    ap.add_argument("--mode", default="binary")
    ap.add_argument("--repeat", type=int, default=30)
    a = ap.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, shape).astype(np.float32)
    if a.mode == "multiclass":
        g = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        g = (rng.random(shape) < 0.3).astype(np.float32)
    base = median_ms(lambda: ss.dice_loss(z, g, mode=a.mode, return_grad=True), a.repeat)
    print(f"shape {shape} float32, mode={a.mode}, median of {a.repeat} calls (forward + backward)")
    print(f"{'dice_loss':32s} {base:8.3f} ms  1.00x")
    for name in FAMILY:
        t = median_ms(lambda: getattr(ss, name)(z, g, mode=a.mode, return_grad=True), a.repeat)
        print(f"{name:32s} {t:8.3f} ms  {t / base:4.2f}x")


if __name__ == "__main__":
    main()
