"""The losses in a PyTorch training loop: the peer libraries' loss modules (MONAI,
segmentation_models_pytorch, torch.nn.functional) against the same loss through
`semsegloss_swift.torch`, forward + backward on CPU tensors, timed in one run.

    python benchmarks/bench_torch.py                      # table on stdout
    python benchmarks/bench_torch.py --repeat 30 --json benchmarks/results/torch.json

Each row pairs a peer module with the preset (`semsegloss_swift.presets`) that computes the
same numbers; the two are first checked to agree (value to 1e-4 relative, gradient to 1e-3
of its largest entry), then timed in alternating blocks (see bench_losses.py), each call
being `loss(x, target)` then `.backward()` with `x.grad` reset. The NumPy API's time for
the same call is also reported, which shows what the torch adapter adds. Rows whose peer
library is not installed are left out. Binary rows use 16x1x256x256 logits with a 0/1
target; multiclass rows 8x4x128x128 logits with a label map. Both sides use the same two
threads (torch.get_num_threads() is printed).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_losses import interleaved_medians  # noqa: E402
from machine import machine_description  # noqa: E402

import semsegloss_swift as ss  # noqa: E402
from semsegloss_swift.presets import preset  # noqa: E402

try:
    import torch
    import semsegloss_swift.torch as sst
except ImportError:  # pragma: no cover
    raise SystemExit("bench_torch.py needs torch (bash scripts/setup.sh installs it)")


def peers():
    """(row name, mode, peer module factory, our loss object) for the installed peers."""
    rows = []
    rows.append(("torch BCEWithLogitsLoss", "binary", lambda: torch.nn.BCEWithLogitsLoss(), ss.BCELoss()))
    rows.append(("torch CrossEntropyLoss", "multiclass", lambda: torch.nn.CrossEntropyLoss(),
                 ss.CrossEntropyLoss(mode="multiclass")))
    try:
        import monai.losses as M
    except ImportError:
        M = None
    if M is not None:
        rows += [
            ("MONAI DiceLoss(sigmoid)", "binary", lambda: M.DiceLoss(sigmoid=True),
             preset("monai", "dice_loss", from_logits=True)),
            ("MONAI DiceLoss(softmax, one-hot)", "multiclass",
             lambda: M.DiceLoss(softmax=True, to_onehot_y=True),
             preset("monai", "dice_loss", from_logits=True, mode="multiclass")),
            ("MONAI GeneralizedDiceLoss(sigmoid)", "binary", lambda: M.GeneralizedDiceLoss(sigmoid=True),
             preset("monai", "generalized_dice_loss", from_logits=True)),
            ("MONAI TverskyLoss(sigmoid, 0.3, 0.7)", "binary",
             lambda: M.TverskyLoss(sigmoid=True, alpha=0.3, beta=0.7),
             preset("monai", "tversky_loss", from_logits=True, alpha=0.3, beta=0.7)),
            ("MONAI FocalLoss(gamma=2)", "binary", lambda: M.FocalLoss(gamma=2.0), preset("monai", "focal_loss")),
            ("MONAI DiceCELoss(softmax, one-hot)", "multiclass",
             lambda: M.DiceCELoss(softmax=True, to_onehot_y=True),
             preset("monai", "dice_ce_loss", mode="multiclass")),
            ("MONAI DiceFocalLoss(sigmoid)", "binary", lambda: M.DiceFocalLoss(sigmoid=True),
             preset("monai", "dice_focal_loss")),
        ]
    try:
        import segmentation_models_pytorch.losses as S
    except Exception:  # ImportError, or a torchvision that does not match torch
        S = None
    if S is not None:
        rows += [
            ("smp DiceLoss('binary')", "binary", lambda: S.DiceLoss("binary"), preset("smp", "dice_loss")),
            ("smp DiceLoss('multiclass')", "multiclass", lambda: S.DiceLoss("multiclass"),
             preset("smp", "dice_loss", mode="multiclass")),
            ("smp FocalLoss('binary')", "binary", lambda: S.FocalLoss("binary"), preset("smp", "focal_loss")),
            ("smp LovaszLoss('binary')", "binary", lambda: S.LovaszLoss("binary"),
             preset("smp", "lovasz_hinge_loss")),
            ("smp LovaszLoss('binary', per_image)", "binary", lambda: S.LovaszLoss("binary", per_image=True),
             preset("smp", "lovasz_hinge_loss", per_image=True)),
            ("smp LovaszLoss('multiclass')", "multiclass", lambda: S.LovaszLoss("multiclass"),
             preset("smp", "lovasz_softmax_loss", mode="multiclass")),
        ]
    return rows


def batches(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((16, 1, 256, 256)).astype(np.float32) * 2
    g = (rng.random(z.shape) < 0.3).astype(np.float32)
    zm = rng.standard_normal((8, 4, 128, 128)).astype(np.float32) * 2
    labels = rng.integers(0, 4, (8, 128, 128))
    return {"binary": (z, g), "multiclass": (zm, labels)}


def peer_target(name, mode, t):
    """The target as the peer wants it: MONAI's one-hot option takes (N, 1, *spatial)."""
    if mode == "multiclass" and name.startswith("MONAI"):
        return torch.from_numpy(t[:, None])
    return torch.from_numpy(t)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--block", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)

    data = batches(args.seed)
    import importlib.metadata as md
    versions = {p: md.version(p) for p in ("torch", "monai", "segmentation_models_pytorch")
                if importlib_has(p)}
    print(f"# forward+backward, CPU, median of {args.repeat}; {machine_description()}; "
          f"torch threads {torch.get_num_threads()}; " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("| peer loss | input | peer ms | semsegloss_swift.torch ms | speed-up | NumPy API ms | note |")
    print("|---|---|---:|---:|---:|---:|---|")
    rows = []
    for name, mode, make_peer, ours in peers():
        z, t = data[mode]
        peer = make_peer()
        xp = torch.from_numpy(z.copy()).requires_grad_(True)
        xo = torch.from_numpy(z.copy()).requires_grad_(True)
        tp, to = peer_target(name, mode, t), torch.from_numpy(t)
        module = sst.Loss(ours)

        def run_peer():
            xp.grad = None
            peer(xp, tp).backward()

        def run_ours():
            xo.grad = None
            module(xo, to).backward()

        run_peer()
        run_ours()
        with torch.no_grad():
            vp, vo = float(peer(xp, tp)), float(module(xo, to))
        note = ""
        if "Lovasz" in name:
            # The peer's float32 Lovász gradient is inexact: its Jaccard increments are
            # differences of float32 cumulative ratios (cancellation over 2^20 sorted items).
            # Both are compared with ours in float64; ties between equal float32 errors
            # (ordered differently: torch.sort is not stable) may move 0.1% of the entries.
            x64 = torch.from_numpy(z.astype(np.float64)).requires_grad_(True)
            module(x64, to).backward()
            ref, scale = x64.grad, float(x64.grad.abs().max()) or 1.0
            ours_off = int(((xo.grad.double() - ref).abs() > 1e-4 * scale).sum())
            peer_gap = float((xp.grad.double() - ref).abs().max()) / scale
            note = f"peer gradient off by up to {100 * peer_gap:.1f}% of its largest entry; ours {ours_off} entries off"
            bad = abs(vp - vo) > 1e-4 * max(1.0, abs(vp)) or ours_off > 1e-3 * ref.numel()
        else:
            scale = float(xp.grad.abs().max()) or 1.0
            off = int(((xp.grad - xo.grad).abs() > 1e-3 * scale).sum())
            bad = abs(vp - vo) > 1e-4 * max(1.0, abs(vp)) or off > 0
        if bad:
            raise SystemExit(f"{name}: peer and semsegloss_swift disagree (loss {vp} vs {vo})")
        numpy_call = lambda: ours(z, t, return_grad=True)  # noqa: E731
        peer_ms, ours_ms, numpy_ms = interleaved_medians([run_peer, run_ours, numpy_call], args.repeat, args.block)
        shape = "x".join(map(str, z.shape))
        rows.append({"peer": name, "mode": mode, "shape": shape, "peer_ms": peer_ms, "ours_ms": ours_ms,
                     "numpy_api_ms": numpy_ms, "speedup": peer_ms / ours_ms, "loss": vo, "note": note})
        print(f"| {name} | {shape} {mode} | {peer_ms:.2f} | {ours_ms:.3f} | {peer_ms / ours_ms:.1f}x | {numpy_ms:.3f} |"
              f" {note or '-'} |", flush=True)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"repeat": args.repeat, "machine": machine_description(), "versions": versions,
                       "torch_threads": torch.get_num_threads(), "rows": rows}, f, indent=1)


def importlib_has(package):
    import importlib.metadata as md
    try:
        md.version(package)
        return True
    except md.PackageNotFoundError:
        return False


if __name__ == "__main__":
    main()
