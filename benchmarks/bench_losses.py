"""Forward + backward speed of every loss against a NumPy baseline (and MONAI/torch when
installed), measured in one run on the same data.

    python benchmarks/bench_losses.py                 # 16x1x256x256 float32, table on stdout
    python benchmarks/bench_losses.py --repeat 50 --json benchmarks/results/losses.json

Each timing is the median of --repeat calls after one warm-up call. Ratios compare
medians from this run only. Results are first checked for agreement (value and gradient)
with the NumPy baseline.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_reference as ref  # noqa: E402

import semsegloss_swift as ss  # noqa: E402

# Keyword options under which the library computes exactly what numpy_reference does.
OPTIONS = {
    "bce_loss": {}, "focal_loss": {"alpha": 0.25, "gamma": 2.0}, "dice_loss": {},
    "jaccard_loss": {}, "tversky_loss": {"alpha": 0.3, "beta": 0.7},
    "focal_tversky_loss": {"alpha": 0.3, "beta": 0.7, "gamma": 0.75}, "dice_bce_loss": {},
}


def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def torch_candidates(z, g):
    """MONAI / torch versions of some losses, if those packages are importable."""
    out = {}
    try:
        import torch
    except ImportError:
        return out
    zt = torch.from_numpy(z).requires_grad_(True)
    gt = torch.from_numpy(g)

    def run(loss_fn):
        def call():
            zt.grad = None
            loss = loss_fn(zt, gt)
            loss.backward()
        return call

    out["bce_loss"] = ("torch", run(torch.nn.BCEWithLogitsLoss()))
    try:
        from monai.losses import DiceLoss, FocalLoss, TverskyLoss
        out["dice_loss"] = ("monai", run(DiceLoss(sigmoid=True)))
        out["tversky_loss"] = ("monai", run(TverskyLoss(sigmoid=True, alpha=0.3, beta=0.7)))
        out["focal_loss"] = ("monai", run(FocalLoss(gamma=2.0, alpha=0.25)))
    except ImportError:
        pass
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="16,1,256,256", help="N,C,H,W (default 16,1,256,256)")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)

    shape = tuple(int(s) for s in args.shape.split(","))
    rng = np.random.default_rng(args.seed)
    z = rng.standard_normal(shape).astype(np.float32) * 2
    g = (rng.random(shape) < 0.3).astype(np.float32)
    others = torch_candidates(z, g)

    rows = []
    for name, options in OPTIONS.items():
        fn = getattr(ss, name)
        value, grad = fn(z, g, return_grad=True, **options)
        ref_value, ref_grad = ref.LOSSES[name](z.astype(np.float64), g.astype(np.float64))
        scale = float(np.abs(ref_grad).max()) or 1.0
        agree = abs(value - ref_value) <= 1e-4 * max(1, abs(ref_value)) and \
            float(np.abs(grad - ref_grad).max()) <= 1e-4 * scale
        if not agree:
            raise SystemExit(f"{name}: library and NumPy baseline disagree "
                             f"({value} vs {ref_value}); refusing to benchmark")
        swift_ms = median_ms(lambda: fn(z, g, return_grad=True, **options), args.repeat)
        numpy_ms = median_ms(lambda: ref.LOSSES[name](z, g), args.repeat)
        row = {"loss": name, "swift_ms": swift_ms, "numpy_ms": numpy_ms, "speedup_vs_numpy": numpy_ms / swift_ms}
        if name in others:
            lib, call = others[name]
            row[f"{lib}_ms"] = median_ms(call, args.repeat)
            row[f"speedup_vs_{lib}"] = row[f"{lib}_ms"] / swift_ms
        rows.append(row)

    dice_ms = next(r["swift_ms"] for r in rows if r["loss"] == "dice_loss")
    print(f"# forward+backward, shape {shape} float32, median of {args.repeat}, "
          f"{platform.machine()} {os.cpu_count()} cores, semsegloss_swift {ss.__version__}, numpy {np.__version__}")
    print("| loss | semsegloss_swift ms | NumPy ms | speed-up vs NumPy | time / Dice time | other |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        other = ", ".join(f"{k[:-3]} {r[k]:.2f} ms ({r['speedup_vs_' + k[:-3]]:.1f}x)"
                          for k in r if k.endswith("_ms") and k not in ("swift_ms", "numpy_ms"))
        print(f"| {r['loss']} | {r['swift_ms']:.3f} | {r['numpy_ms']:.2f} | {r['speedup_vs_numpy']:.1f}x | "
              f"{r['swift_ms'] / dice_ms:.2f} | {other or '-'} |")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"shape": shape, "repeat": args.repeat, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
