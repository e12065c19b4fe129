"""Where the Lovász losses' time goes: the same number of voxels (2^20 by default) cut into
images of different sizes, from images whose sort buffers fit in L1/L2 to images larger than
L2, each timed against dice_loss and the NumPy hinge oracle in the same run.

    python benchmarks/bench_lovasz_sizes.py                                  # table on stdout
    python benchmarks/bench_lovasz_sizes.py --repeat 40 --json benchmarks/results/lovasz_sizes.json

If the hinge were bound by memory, its time per voxel would grow with the image: a 64x64
image's items (about 23 KB) stay in L1 and L2 through every pass, a 256x256 image's two sort
buffers (about 720 KB) do not fit in a 512 KB L2. A flat time per voxel means the cost is
the work of the passes themselves (gathering, two radix passes and the fix-up, the walk,
the gradient scatter), which no cache layout removes.

Rows: lovasz_hinge_loss (per image, its default), lovasz_softmax_loss with per_image=True
(binary: sigmoid errors, every voxel sorted), dice_loss, and the hinge's NumPy oracle of
python/tests/oracles_lovasz.py (one argsort over all images). Each timing is the median of
--repeat calls, the four sides alternating in blocks of --block calls (each after one
untimed warm-up call), as in bench_losses.py. The hinge is first checked against the
oracle (value and gradient).
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "python", "tests"))
import oracles_lovasz as lov  # noqa: E402
from bench_losses import interleaved_medians  # noqa: E402
from machine import machine_description  # noqa: E402

import semsegloss_swift as ss  # noqa: E402


def batch(size, voxels, seed):
    """N x 1 x size x size logits (N(0, 4)) and a 30 % foreground mask, N·size² = voxels."""
    n = max(1, voxels // (size * size))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 1, size, size)).astype(np.float32) * 2
    g = (rng.random(z.shape) < 0.3).astype(np.float32)
    return z, g


def check_against_oracle(z, g):
    """The float32 value, and value and gradient in float64 on the same logits moved by at
    most 1e-9 so that no two errors tie (at a tie the oracle's unstable argsort may order
    the two voxels either way and hand them each other's gradient, a subgradient too)."""
    gd = g.astype(np.float64)
    ref_value = lov.lovasz_hinge_fb(z.astype(np.float64), gd)[0]
    value = ss.lovasz_hinge_loss(z, g)
    if abs(value - ref_value) > 1e-4 * max(1.0, abs(ref_value)):
        raise SystemExit(f"lovasz_hinge_loss and the NumPy oracle disagree on {z.shape} "
                         f"({value} vs {ref_value}); refusing to benchmark")
    zd = z.astype(np.float64) + np.random.default_rng(1).uniform(-1e-9, 1e-9, z.shape)
    ref_value, ref_grad = lov.lovasz_hinge_fb(zd, gd)
    value64, grad64 = ss.lovasz_hinge_loss(zd, gd, return_grad=True)
    scale = float(np.abs(ref_grad).max()) or 1.0
    if abs(value64 - ref_value) > 1e-9 * max(1.0, abs(ref_value)) or \
            float(np.abs(grad64 - ref_grad).max()) > 1e-9 * scale:
        raise SystemExit(f"lovasz_hinge_loss and the NumPy oracle disagree on {z.shape} "
                         f"({value} vs {ref_value}); refusing to benchmark")


def measure(size, voxels, repeat, block, seed):
    z, g = batch(size, voxels, seed)
    check_against_oracle(z, g)
    sides = [
        lambda: ss.lovasz_hinge_loss(z, g, return_grad=True),
        lambda: ss.lovasz_softmax_loss(z, g, per_image=True, return_grad=True),
        lambda: ss.dice_loss(z, g, return_grad=True),
        lambda: lov.lovasz_hinge_fb(z, g),
    ]
    hinge, softmax, dice, oracle = interleaved_medians(sides, repeat, block)
    per_voxel = 1e6 / z.size  # ms -> ns per voxel
    sorted_items = float(np.mean(1 - z * (2 * g - 1) > 0))
    return {"size": size, "images": z.shape[0], "voxels": int(z.size), "hinge_items_fraction": sorted_items,
            "hinge_ms": hinge, "softmax_per_image_ms": softmax, "dice_ms": dice, "numpy_hinge_ms": oracle,
            "hinge_ns_per_voxel": hinge * per_voxel, "softmax_ns_per_voxel": softmax * per_voxel,
            "dice_ns_per_voxel": dice * per_voxel, "hinge_vs_dice": hinge / dice,
            "hinge_speedup_vs_numpy": oracle / hinge}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512], help="image sides")
    ap.add_argument("--voxels", type=int, default=1 << 20, help="voxels per batch (default 2^20)")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--block", type=int, default=5, help="calls per alternating block (default 5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.block < 1 or args.voxels < 1 or min(args.sizes) < 1:
        raise SystemExit("--repeat, --block, --voxels and --sizes must be positive")

    rows = []
    print(f"# {machine_description()}; {args.voxels} voxels per batch, median of {args.repeat}")
    print("| image | batch | hinge ms | hinge ns/voxel | Lovász-softmax per image ns/voxel "
          "| Dice ns/voxel | hinge / Dice | NumPy hinge ms | hinge vs NumPy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        r = measure(size, args.voxels, args.repeat, args.block, args.seed)
        rows.append(r)
        print(f"| {size}x{size} | {r['images']} | {r['hinge_ms']:.3f} | {r['hinge_ns_per_voxel']:.2f} | "
              f"{r['softmax_ns_per_voxel']:.2f} | {r['dice_ns_per_voxel']:.2f} | {r['hinge_vs_dice']:.2f} | "
              f"{r['numpy_hinge_ms']:.1f} | {r['hinge_speedup_vs_numpy']:.1f}x |", flush=True)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"voxels": args.voxels, "repeat": args.repeat, "machine": machine_description(),
                       "numpy": np.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
