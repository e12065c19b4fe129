"""The loss study: train the same U-Net with several losses and compare them on a test set.

    semsegloss-swift study --quick                       # a few minutes on 2 cores
    semsegloss-swift study --data synthetic --epochs 50  # the study's protocol on the phantom
    semsegloss-swift study --data montgomery:/data/MontgomerySet --size 256 --seeds 0,1,2
    semsegloss-swift study --data npz:my_data.npz --size 128 --losses dice_bce,focal,lovasz_hinge_loss
    semsegloss-swift study --data folders:scans/,labels/ --quick
    semsegloss-swift study --data npz:organs.npz --classes 4 --losses dice_ce_loss,focal,lovasz_softmax_loss

Protocol (defaults reproduce the chest X-ray study): 80/10/10 split, U-Net with
base_channels 16 and depth 4, batch 16, Adam lr 2e-4, 50 epochs, the five losses Dice-BCE,
Jaccard, focal, Tversky and focal Tversky. The model of the epoch with the best validation
IoU is evaluated on the test set: IoU, Dice and binary accuracy over all test pixels, and
the mean HD95 over test images (when the surface metrics are available). ``--quick``: 64x64
images, 256 of them, 20 epochs, a U-Net with base_channels 8, depth 3 and BatchNorm, lr 1e-3.

Output in --out (default ``study-out``): ``results.csv`` (one row per run),
``results.md`` (mean ± std over seeds), ``runs/<loss>-seed<k>/history.json`` and
``metrics.json``, and PNG plots (learning curves, bar chart, overlays). Finished runs
(those with a metrics.json) are skipped when the command is run again with the same setup
(``config.json``: data and its SHA-1, classes, size, epochs, training settings); another
setup in the same --out is refused, and so are finished runs next to a missing or unreadable
config.json. Ctrl-C ends the command with one line (exit 130); run it again to resume.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, List, Optional, Tuple

from . import datasets
from ._study_config import (DEFAULT_LOSSES, QUICK, STUDY_LOSSES, StudyConfig, fingerprint as _fingerprint,
                            require_same_setup as _require_same_setup, resolve_loss)
from ._study_report import COLLAPSED, machine as _machine, summarize, write_reports
from ._study_run import finished_result, one_class_everywhere, run_one, test_metrics

__all__ = ["StudyConfig", "STUDY_LOSSES", "DEFAULT_LOSSES", "QUICK", "resolve_loss", "run_study", "main",
           "summarize", "write_reports", "test_metrics", "one_class_everywhere", "COLLAPSED"]


# ----------------------------------------------------------------------------- driver

def _log(cfg: StudyConfig, message: str) -> None:
    if cfg.verbose:
        print(message, flush=True)


def _make_out(out: str) -> None:
    """Creates ``out/runs``; OSError or ValueError naming --out when it cannot."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"out: {out} is a file, not a folder")
    runs = os.path.join(out, "runs")
    try:
        os.makedirs(runs, exist_ok=True)
    except OSError as e:
        raise type(e)(f"out: cannot create the folder {runs}: {e.strerror or e}") from None


def run_study(cfg: StudyConfig, arrays: Optional[Tuple[Any, Any]] = None) -> str:
    """Runs the study of `cfg` (a :class:`StudyConfig`; TypeError naming it for anything
    else, a dict of its fields included) and returns the results table (Markdown); files go to
    ``cfg.out``. `arrays` = (images, masks) studies your own arrays instead of ``cfg.data``
    (converted and resized to ``cfg.size`` by :func:`datasets.from_arrays`; ``cfg.data`` is
    then only the name shown in the report).

    >>> import numpy as np, tempfile
    >>> from semsegloss_swift import study
    >>> y = np.zeros((20, 32, 32), np.uint8); y[:, 8:24, 8:24] = 1
    >>> x = y * 200 + np.random.default_rng(0).integers(0, 50, y.shape, dtype=np.uint8)
    >>> cfg = study.StudyConfig(data="my squares", losses=["dice_bce"], epochs=1, size=32,
    ...                         batch_size=4, base_channels=4, depth=2, lr=1e-3,
    ...                         out=tempfile.mkdtemp(), verbose=False)
    >>> print(study.run_study(cfg, arrays=(x, y)).splitlines()[0])
    # Loss study: my squares, 32x32, 1 epochs, seeds [0]
    """
    if not isinstance(cfg, StudyConfig):
        raise TypeError(f"cfg: expected a study.StudyConfig, got {type(cfg).__name__}; "
                        "for a dict of its fields pass StudyConfig(**fields)")
    cfg.validate()
    if arrays is not None and (not isinstance(arrays, (tuple, list)) or len(arrays) != 2):
        raise TypeError(f"arrays: expected a pair (images, masks), got {type(arrays).__name__}"
                        + (f" of {len(arrays)}" if isinstance(arrays, (tuple, list)) else ""))
    _make_out(cfg.out)
    if arrays is not None:
        _log(cfg, f"study: your arrays ({cfg.data}) at {cfg.size}x{cfg.size} ...")
        x, y = datasets.from_arrays(*arrays, size=cfg.size, classes=cfg.classes)
    else:
        _log(cfg, f"study: loading {cfg.data} at {cfg.size}x{cfg.size} ...")
        x, y = datasets.load(cfg.data, size=cfg.size, n=cfg.n, seed=cfg.data_seed, classes=cfg.classes)
    if len(x) < 3:
        raise ValueError(f"data: {cfg.data} has {len(x)} image(s); the 80/10/10 split needs at least 3 "
                         "(one each for training, validation and test)")
    splits = datasets.split(x, y, (0.8, 0.1, 0.1), seed=cfg.data_seed)
    _log(cfg, f"study: {_machine()}")
    _log(cfg, f"study: {len(x)} images -> train {len(splits[0][0])}, val {len(splits[1][0])}, test {len(splits[2][0])}")
    config = dict(cfg.__dict__, data_sha1=_fingerprint(x, y))
    _require_same_setup(cfg.out, config)
    with open(os.path.join(cfg.out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    rows = []
    total = len(cfg.losses) * len(cfg.seeds)
    k = 0
    for seed in cfg.seeds:
        for loss in cfg.losses:
            k += 1
            run_dir = os.path.join(cfg.out, "runs", f"{loss}-seed{seed}")
            done = finished_result(run_dir, loss, seed, cfg.epochs)
            if done is not None:
                rows.append(done)
                _log(cfg, f"[{k}/{total}] {loss} seed {seed}: finished earlier, skipped")
                continue
            os.makedirs(run_dir, exist_ok=True)
            _log(cfg, f"[{k}/{total}] {loss} seed {seed}: training {cfg.epochs} epochs")
            r = run_one(cfg, loss, seed, splits, run_dir)
            rows.append(r)
            _log(cfg, f"[{k}/{total}] {loss} seed {seed}: test IoU {r['iou']:.4f}, accuracy {r['accuracy']:.4f}, "
                      f"Dice {r['dice']:.4f} ({r['seconds']:.0f} s)"
                      + (f"; {COLLAPSED}" if r["one_class"] else ""))
    text = write_reports(cfg, rows, images=len(x))
    try:
        from . import plots
        plots.make_all(cfg, rows, splits)
    except ImportError as e:
        _log(cfg, f"study: plots skipped ({e}); pip install matplotlib")
    return text


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="semsegloss-swift study", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="synthetic",
                    help="synthetic | imbalanced | montgomery:PATH | shenzhen:PATH | folder:PATH | "
                         "npz:FILE (arrays images, masks) | folders:IMAGES_DIR,MASKS_DIR")
    ap.add_argument("--losses", default=",".join(DEFAULT_LOSSES), help="comma-separated (default: the study's five)")
    ap.add_argument("--classes", type=int, default=1,
                    help="1: binary masks (default); K >= 2: label maps 0..K-1 (npz data), multiclass losses")
    ap.add_argument("--epochs", type=int, default=None, help="default 50 (20 with --quick)")
    ap.add_argument("--size", type=int, default=None, help="image size (default 128; 64 with --quick)")
    ap.add_argument("--n", type=int, default=None, help="synthetic images (default 704; 256 with --quick)")
    ap.add_argument("--seeds", default="0", help="comma-separated training seeds (default 0)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 2e-4; 1e-3 with --quick)")
    ap.add_argument("--base-channels", type=int, default=None, help="default 16 (8 with --quick)")
    ap.add_argument("--depth", type=int, default=None, help="default 4 (3 with --quick)")
    ap.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                    help="BatchNorm after every convolution (default off; on with --quick)")
    ap.add_argument("--out", default="study-out")
    ap.add_argument("--quick", action="store_true", help="small preset that finishes in a few minutes on 2 cores")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    preset = QUICK if a.quick else {}
    pick = lambda value, key, default: value if value is not None else preset.get(key, default)
    try:
        cfg = StudyConfig(
            data=a.data, losses=[s.strip() for s in a.losses.split(",") if s.strip()],
            epochs=pick(a.epochs, "epochs", 50), size=pick(a.size, "size", 128), n=pick(a.n, "n", 704),
            seeds=_seed_list(a.seeds), batch_size=a.batch_size, lr=pick(a.lr, "lr", 2e-4),
            base_channels=pick(a.base_channels, "base_channels", 16), depth=pick(a.depth, "depth", 4),
            batch_norm=pick(a.batch_norm, "batch_norm", False), out=a.out, verbose=not a.quiet, classes=a.classes)
        text = run_study(cfg)
    except (ValueError, TypeError, OSError) as e:
        print(f"semsegloss-swift study: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsemsegloss-swift study: interrupted; rerun the same command to resume (finished runs are kept)",
              file=sys.stderr)
        return 130
    print()
    print(text)
    print(f"(results in {os.path.abspath(cfg.out)})")
    return 0


def _seed_list(text: str) -> List[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"seeds: expected comma-separated integers such as 0,1,2, got {text!r}") from None
