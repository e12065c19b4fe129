"""Forward + backward speed of every loss against a NumPy baseline (and MONAI/torch when
installed), measured in one run on the same data.

    python benchmarks/bench_losses.py                 # 16x1x256x256 float32, table on stdout
    python benchmarks/bench_losses.py --repeat 50 --json benchmarks/results/losses.json
    python benchmarks/bench_losses.py --no-catalogue --repeat 60          # the NumPy table only
    python benchmarks/bench_losses.py --losses lovasz_hinge_loss,top_k_ce_loss   # some rows of the catalogue

A second table times every loss of the catalogue against dice_loss in the same run, on the
binary batch and on a multiclass batch with a label map (bench_distance.py adds SciPy and
MONAI baselines for hausdorff_dt_loss); a third times the wrappers (masked Dice, deep
supervision); Lovász hinge, Lovász-softmax, SSIM and the Hausdorff erosion loss are also timed
against the NumPy forward+backward baselines of python/tests/oracles_lovasz.py and
oracles_hausdorff_er.py.

Each timing is the median of --repeat calls. The two sides of every ratio are timed in
alternating blocks of --block calls (one untimed warm-up call opens each block), so that
both see the same machine state: on a shared 2-core machine the speed drifts by 10-30%
over seconds, and timing one side after the other moved a ratio by as much. Ratios
compare medians from this run only. Results are first checked for agreement (value and
gradient) with the NumPy baseline.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "tests"))
import numpy_reference as ref  # noqa: E402
from machine import machine_description  # noqa: E402

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


def interleaved_medians(fns, repeat, block=5):
    """Median ms of each function over `repeat` timed calls, run in alternating blocks of
    `block` calls (each block after one untimed warm-up call)."""
    times = [[] for _ in fns]
    for _ in range(max(1, -(-repeat // block))):
        for k, fn in enumerate(fns):
            fn()
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t0)
    return [1e3 * float(np.median(t)) for t in times]


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
    ap.add_argument("--block", type=int, default=5, help="calls per alternating block (default 5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--no-catalogue", action="store_true", help="skip the table of every loss")
    ap.add_argument("--losses", help="comma-separated catalogue losses to time (default: all)")
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
        ours = lambda: fn(z, g, return_grad=True, **options)
        swift_ms, numpy_ms = interleaved_medians([ours, lambda: ref.LOSSES[name](z, g)], args.repeat, args.block)
        row = {"loss": name, "swift_ms": swift_ms, "numpy_ms": numpy_ms, "speedup_vs_numpy": numpy_ms / swift_ms}
        if name in others:
            # A run of its own: torch's OpenMP threads keep spinning on both cores after
            # each of its calls, which doubled our times when the three sides alternated.
            lib = others[name][0]
            ours_ms, peer_ms = interleaved_medians([ours, others[name][1]], args.repeat, args.block)
            row[f"{lib}_ms"] = peer_ms
            row[f"speedup_vs_{lib}"] = peer_ms / ours_ms
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
    only = set(args.losses.split(",")) if args.losses else None
    if only and not only <= set(ss.LOSSES):
        raise SystemExit(f"--losses: unknown {sorted(only - set(ss.LOSSES))}")
    catalogue = [] if args.no_catalogue else catalogue_table(args.repeat, args.seed, block=args.block, only=only)
    wrappers = [] if args.no_catalogue or only else wrapper_table(args.repeat, args.seed, block=args.block)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"shape": shape, "repeat": args.repeat, "machine": machine_description(),
                       "numpy": np.__version__, "rows": rows, "catalogue": catalogue, "wrappers": wrappers},
                      f, indent=1)


def wrapper_table(repeat, seed=0, shape=(16, 1, 256, 256), block=5):
    """The wrappers outside the catalogue, and options that change a loss's work, each timed
    against dice_loss in the same run: masked_dice_loss with a soft mask,
    deep_supervision_loss (Dice) over four levels (256, 128, 64, 32) with the full-size
    target resized to each, MS-SSIM (Wang's five scales), the boundary loss with
    per-map normalised distance maps, the focal loss with a real exponent (γ = 0.5: an exp
    per power instead of the products of γ = 2), from logits and from probabilities, the
    unified focal loss from probabilities (as UFL's code and MONAI's port take them), smp's
    normalized focal loss (binary, and multiclass on 8x4x128x128), and multiclass Dice and
    cross-entropy with ``ignore_index`` (8x4x128x128 with a label map, a fifth of the voxels
    ignored; the multiclass rows are timed against multiclass Dice without it)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(shape).astype(np.float32) * 2
    g = (rng.random(shape) < 0.3).astype(np.float32)
    mask = rng.random((shape[0], 1) + shape[2:]).astype(np.float32)
    p = (1 / (1 + np.exp(-z))).astype(np.float32)
    levels = [np.ascontiguousarray(z[..., ::2 ** l, ::2 ** l]) for l in range(4)]
    dice = lambda: ss.dice_loss(z, g, return_grad=True)  # noqa: E731
    zm = rng.standard_normal((8, 4, 128, 128)).astype(np.float32) * 2
    labels = rng.integers(0, 5, (8, 128, 128))
    labels[labels == 4] = 255  # ignored
    kept = np.where(labels == 255, 0, labels)
    dice_mc = lambda: ss.dice_loss(zm, kept, mode="multiclass", return_grad=True)  # noqa: E731
    ignoring = dict(mode="multiclass", ignore_index=255, return_grad=True)
    baselines = {  # rows timed against multiclass Dice (no ignored voxels) instead of binary Dice
        "dice_loss (multiclass, ignore_index)": dice_mc,
        "cross_entropy_loss (multiclass, ignore_index)": dice_mc,
        "focal_loss (multiclass, normalized=True)": dice_mc,
    }
    calls = {
        "masked_dice_loss (soft mask)": lambda: ss.masked_dice_loss(z, g, mask, return_grad=True),
        "deep_supervision_loss (Dice, 4 levels)": lambda: ss.deep_supervision_loss(levels, g, return_grad=True),
        "ssim_loss (MS-SSIM, 5 scales)": lambda: ss.ssim_loss(z, g, return_grad=True,
                                                               scale_weights=ss.MS_SSIM_WEIGHTS),
        "ssim_loss (one scale)": lambda: ss.ssim_loss(z, g, return_grad=True),
        "boundary_loss (normalize_map='max')": lambda: ss.boundary_loss(z, g, return_grad=True, normalize_map="max"),
        "focal_loss (gamma=0.5)": lambda: ss.focal_loss(z, g, return_grad=True, gamma=0.5),
        "focal_loss (gamma=0.5, probabilities)": lambda: ss.focal_loss(p, g, return_grad=True, gamma=0.5,
                                                                       from_logits=False),
        "unified_focal_loss (probabilities)": lambda: ss.unified_focal_loss(p, g, return_grad=True, from_logits=False),
        "focal_loss (normalized=True)": lambda: ss.focal_loss(z, g, return_grad=True, normalized=True),
        "focal_loss (multiclass, normalized=True)": lambda: ss.focal_loss(zm, kept, mode="multiclass", normalized=True,
                                                                          return_grad=True),
        "dice_loss (multiclass, ignore_index)": lambda: ss.dice_loss(zm, labels, **ignoring),
        "cross_entropy_loss (multiclass, ignore_index)": lambda: ss.cross_entropy_loss(zm, labels, **ignoring),
    }
    rows = []
    print(f"\n# wrappers and options, forward+backward, {shape} float32; / Dice: against dice_loss interleaved")
    print("| call | ms | / Dice |")
    print("|---|---:|---:|")
    for name, fn in calls.items():
        ms, dice_ms = interleaved_medians([fn, baselines.get(name, dice)], repeat, block)
        rows.append({"call": name, "ms": ms, "vs_dice": ms / dice_ms})
        print(f"| {name} | {ms:.3f} | {ms / dice_ms:.2f} |")
    return rows


def numpy_baselines():
    """NumPy forward+backward baselines of the sort- and window-based losses (binary, logits)."""
    try:
        import oracles_lovasz as lov
        import oracles_hausdorff_er as her
    except ImportError:  # the test tree is not next to this script
        return {}
    return {"lovasz_hinge_loss": lov.lovasz_hinge_fb, "lovasz_softmax_loss": lov.lovasz_softmax_fb,
            "ssim_loss": lov.ssim_fb, "hausdorff_er_loss": her.hausdorff_er_fb}


def catalogue_table(repeat, seed=0, binary_shape=(16, 1, 256, 256), multiclass_shape=(8, 4, 128, 128), block=5,
                    only=None):
    """Every catalogue loss (default options) timed against dice_loss in the same run: each
    row's loss alternates with dice_loss (`interleaved_medians`), and its ratio is to the
    Dice time of its own row."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(binary_shape).astype(np.float32) * 2
    g = (rng.random(binary_shape) < 0.3).astype(np.float32)
    zm = rng.standard_normal(multiclass_shape).astype(np.float32) * 2
    labels = rng.integers(0, multiclass_shape[1], (multiclass_shape[0],) + multiclass_shape[2:])
    baselines = numpy_baselines()
    rows = []
    dice_binary = lambda: ss.dice_loss(z, g, return_grad=True)  # noqa: E731
    dice_multi = lambda: ss.dice_loss(zm, labels, mode="multiclass", return_grad=True)  # noqa: E731
    dice_bs, dice_ms_ = [], []
    for name, fn in ss.LOSSES.items():
        if only is not None and name not in only:
            continue
        row = {"loss": name}
        try:
            fn(z[:1], g[:1], mode="binary")
        except ValueError:
            pass  # multiclass only (generalized_wasserstein_dice_loss)
        else:
            row["binary_ms"], dice_b = interleaved_medians(
                [lambda: fn(z, g, mode="binary", return_grad=True), dice_binary], repeat, block)
            row["binary_vs_dice"] = row["binary_ms"] / dice_b
            dice_bs.append(dice_b)
        try:
            fn(zm[:1], labels[:1], mode="multiclass")
        except ValueError:
            pass
        else:
            row["multiclass_ms"], dice_m = interleaved_medians(
                [lambda: fn(zm, labels, mode="multiclass", return_grad=True), dice_multi], repeat, block)
            row["multiclass_vs_dice"] = row["multiclass_ms"] / dice_m
            dice_ms_.append(dice_m)
        if name in baselines:
            zd, gd = z.astype(np.float64), g.astype(np.float64)
            value, grad = fn(z, g, mode="binary", return_grad=True)
            ref_value, ref_grad = baselines[name](zd, gd)
            if abs(value - ref_value) > 1e-4 * max(1, abs(ref_value)):
                raise SystemExit(f"{name}: library and NumPy baseline disagree ({value} vs {ref_value})")
            swift_ms, row["numpy_ms"] = interleaved_medians(
                [lambda: fn(z, g, mode="binary", return_grad=True), lambda: baselines[name](z, g)],
                max(block, repeat // 2), block)
            row["speedup_vs_numpy"] = row["numpy_ms"] / swift_ms
        rows.append(row)
    print(f"\n# every loss, forward+backward, default options; binary {binary_shape} float32 "
          f"(dice_loss {np.median(dice_bs):.3f} ms), multiclass {multiclass_shape} float32 + label map "
          f"(dice_loss {np.median(dice_ms_):.3f} ms); median of {repeat}; / Dice: against the "
          f"dice_loss calls interleaved with that row's")
    print("| loss | binary ms | / Dice | multiclass ms | / Dice | NumPy ms | speed-up vs NumPy |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        mc = (f"{r['multiclass_ms']:.2f} | {r['multiclass_vs_dice']:.2f}" if "multiclass_ms" in r else "- | -")
        npy = (f"{r['numpy_ms']:.1f} | {r['speedup_vs_numpy']:.1f}x" if "numpy_ms" in r else "- | -")
        bin_ = f"{r['binary_ms']:.3f} | {r['binary_vs_dice']:.2f}" if "binary_ms" in r else "- | -"
        print(f"| {r['loss']} | {bin_} | {mc} | {npy} |")
    return rows


if __name__ == "__main__":
    main()
