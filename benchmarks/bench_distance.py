"""Speed of the exact EDT and of hausdorff_dt_loss (forward + backward) against SciPy, a
NumPy + SciPy implementation of the loss and MONAI (when importable), in one run.

    python benchmarks/bench_distance.py                    # table on stdout
    python benchmarks/bench_distance.py --repeat 30 --json benchmarks/results/distance.json

Each timing is the median of --repeat calls after one warm-up call; ratios compare medians
of this run only. Results are checked for agreement before timing (EDT: max |difference|
with SciPy; loss: value and gradient against the NumPy + SciPy implementation).

Masks: "blobs" (a few random balls, the shape of real segmentations), "uniform" (each voxel
true with probability 0.5) and "sparse" (true with probability 0.999: few, isolated
background voxels, hence long distances: the hardest case for the EDT's short-distance path).
"""
import argparse
import json
import os
import platform
import time

import numpy as np
from scipy import ndimage

import semsegloss_swift as ss
from machine import cpu_description


LAST_MIN = {}


def median_ms(fn, repeat):
    """Median wall time in ms (the fastest call is kept in LAST_MIN["ms"])."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    LAST_MIN["ms"] = 1e3 * float(np.min(times))
    return 1e3 * float(np.median(times))


def blobs(shape, count, rng):
    grid = np.indices(shape, dtype=np.float32)
    mask = np.zeros(shape, bool)
    for _ in range(count):
        centre = [rng.uniform(0, n) for n in shape]
        radius = rng.uniform(0.05, 0.25) * min(shape[-2:])
        mask |= sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius ** 2
    return mask


def make_mask(kind, shape, rng):
    if kind == "blobs":
        return blobs(shape, 6, rng)
    density = {"uniform": 0.5, "sparse": 0.999}[kind]
    return rng.random(shape) < density


# ---------------------------------------------------------------- Hausdorff-DT loss baselines

def hd_numpy_scipy(z, g, alpha=2.0):
    """Karimi & Salcudean HD-DT loss (MONAI's recipe) with SciPy EDTs: value and d/dz."""
    p = 1 / (1 + np.exp(-z.astype(np.float64)))

    def field(m):
        if not m.any() or m.all():
            return np.zeros(m.shape)
        return ndimage.distance_transform_edt(m) + ndimage.distance_transform_edt(~m)

    w = np.empty(p.shape)
    for b in range(p.shape[0]):
        for c in range(p.shape[1]):
            w[b, c] = field(p[b, c] > 0.5) ** alpha + field(g[b, c] > 0.5) ** alpha
    err = p - g
    value = float(np.mean(err * err * w))
    grad = (2 * err * w * p * (1 - p) / p.size).astype(z.dtype)
    return value, grad


def monai_candidate(z, g):
    try:
        import torch
        from monai.losses import HausdorffDTLoss
    except ImportError:
        return None
    loss_fn = HausdorffDTLoss(alpha=2.0, include_background=True, sigmoid=True)
    zt = torch.from_numpy(z).requires_grad_(True)
    gt = torch.from_numpy(g)

    def call():
        zt.grad = None
        loss = loss_fn(zt, gt)
        loss.backward()
        return float(loss)
    return call


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"numpy {np.__version__}, semsegloss_swift {ss.__version__}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'benchmark':44s} {'swift ms':>9s} {'scipy ms':>9s} {'ratio':>7s}   check")

    # EDT
    for shape in [(256, 256), (512, 512), (16, 256, 256)]:
        for kind in ("blobs", "uniform", "sparse"):
            m = make_mask(kind, shape, rng)
            diff = float(np.max(np.abs(ss.distance_transform_edt(m) - ndimage.distance_transform_edt(m))))
            t_ss = median_ms(lambda: ss.distance_transform_edt(m), args.repeat)
            t_sp = median_ms(lambda: ndimage.distance_transform_edt(m), args.repeat)
            name = f"EDT {'x'.join(map(str, shape))} {kind}"
            rows.append(dict(name=name, swift_ms=t_ss, scipy_ms=t_sp, ratio=t_sp / t_ss, max_abs_diff=diff))
            print(f"{name:44s} {t_ss:9.3f} {t_sp:9.3f} {t_sp / t_ss:6.1f}x   max|diff| {diff:.1e}")

    # Hausdorff-DT loss, forward + backward, 16x1x256x256 float32
    shape = (16, 1, 256, 256)
    g = np.stack([blobs(shape[2:], 6, rng)[None] for _ in range(shape[0])]).astype(np.float32)
    z = (4 * (2 * g - 1) + rng.normal(0, 3, shape)).astype(np.float32)
    value, grad = ss.hausdorff_dt_loss(z, g, return_grad=True)
    ref_value, ref_grad = hd_numpy_scipy(z, g)
    rel = abs(value - ref_value) / abs(ref_value)
    gerr = float(np.max(np.abs(grad - ref_grad)) / np.max(np.abs(ref_grad)))
    t_ss = median_ms(lambda: ss.hausdorff_dt_loss(z, g, return_grad=True), args.repeat)
    t_ss_min = LAST_MIN["ms"]
    t_np = median_ms(lambda: hd_numpy_scipy(z, g), max(3, args.repeat // 4))
    name = "hausdorff_dt_loss fwd+bwd 16x1x256x256 f32"
    rows.append(dict(name=name, swift_ms=t_ss, swift_min_ms=t_ss_min, scipy_ms=t_np, ratio=t_np / t_ss,
                     rel_value_diff=rel, rel_grad_diff=gerr))
    print(f"{name:44s} {t_ss:9.3f} {t_np:9.3f} {t_np / t_ss:6.1f}x   value rel {rel:.1e}, grad rel {gerr:.1e}"
          f"  (baseline: NumPy + SciPy; fastest call {t_ss_min:.1f} ms)")
    monai = monai_candidate(z, g)
    if monai is not None:
        t_mo = median_ms(monai, max(3, args.repeat // 4))
        rows.append(dict(name=name + " vs MONAI", swift_ms=t_ss, monai_ms=t_mo, ratio=t_mo / t_ss))
        print(f"{name + ' vs MONAI':44s} {t_ss:9.3f} {t_mo:9.3f} {t_mo / t_ss:6.1f}x   (baseline: MONAI)")
    else:
        print("MONAI / torch not importable: MONAI baseline skipped")

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(dict(machine=cpu_description(), cores=os.cpu_count(), repeat=args.repeat, rows=rows), f,
                      indent=2)


if __name__ == "__main__":
    main()
