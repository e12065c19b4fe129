"""Forward + backward speed of the distribution family against dice_loss, in one run.

    python benchmarks/bench_distribution.py [--repeat 30]

Binary 16x1x256x256 float32 (logits, binary target) and multiclass 16x4x128x128 float32
(logits, int64 label map): median of --repeat calls (return_grad=True) after one warm-up.
"""
import argparse
import os
import sys

import numpy as np

import semsegloss_swift as ss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_losses import median_ms  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    a = ap.parse_args()
    rng = np.random.default_rng(0)

    x = rng.normal(0, 2, (16, 1, 256, 256)).astype(np.float32)
    g = (rng.random(x.shape) < 0.3).astype(np.float32)
    binary = [("dice_loss", {}), ("bce_loss", {}), ("weighted_bce_loss", {}), ("balanced_bce_loss", {}),
              ("cross_entropy_loss", {"mode": "binary"}), ("top_k_ce_loss", {"mode": "binary"})]
    base = None
    print("binary 16x1x256x256 float32")
    for name, o in binary:
        t = median_ms(lambda: getattr(ss, name)(x, g, return_grad=True, **o), a.repeat)
        base = base or t
        print(f"  {name:22s} {o!s:24s} {t:8.2f} ms  {t / base:5.2f}x dice")

    xm = rng.normal(0, 2, (16, 4, 128, 128)).astype(np.float32)
    lab = rng.integers(0, 4, (16, 128, 128))
    onehot = (lab[:, None] == np.arange(4)[None, :, None, None]).astype(np.float32)
    mc = [("dice_loss", {}, lab), ("cross_entropy_loss", {}, lab), ("cross_entropy_loss", {"one-hot": 1}, onehot),
          ("cross_entropy_loss", {"weight": [1.0, 2.0, 3.0, 4.0], "label_smoothing": 0.1}, lab),
          ("focal_loss", {"gamma": 2.0}, lab), ("focal_loss", {"gamma": 0.5}, lab), ("top_k_ce_loss", {}, lab)]
    base = None
    print("multiclass 16x4x128x128 float32")
    for name, o, t_ in mc:
        opts = {k: v for k, v in o.items() if k != "one-hot"}
        t = median_ms(lambda: getattr(ss, name)(xm, t_, mode="multiclass", return_grad=True, **opts), a.repeat)
        base = base or t
        print(f"  {name:22s} {o!s:48s} {t:8.2f} ms  {t / base:5.2f}x dice")


if __name__ == "__main__":
    main()
