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
setup in the same --out is refused.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import datasets
from ._study_report import COLLAPSED, machine as _machine, summarize, write_reports  # noqa: F401  (re-exported)
from ._study_run import one_class_everywhere, run_one, test_metrics  # noqa: F401  (re-exported)

#: Study loss name -> (library loss, options). Region losses pool the batch (batch=True),
#: as SemSegLoss computes them over the whole batch tensor, with smoothing 1 as SemSegLoss.
STUDY_LOSSES: Dict[str, tuple] = {
    "dice_bce": ("dice_bce_loss", dict(lambda_dice=0.5, lambda_bce=0.5, smooth_nr=1.0, smooth_dr=1.0, batch=True)),
    "jaccard": ("jaccard_loss", dict(smooth_nr=1.0, smooth_dr=1.0, batch=True)),
    "focal": ("focal_loss", dict(alpha=0.25, gamma=2.0)),
    "tversky": ("tversky_loss", dict(alpha=0.3, beta=0.7, smooth_nr=1.0, smooth_dr=1.0, batch=True)),
    "focal_tversky": ("focal_tversky_loss", dict(alpha=0.3, beta=0.7, gamma=0.75, smooth_nr=1.0, smooth_dr=1.0, batch=True)),
}
DEFAULT_LOSSES = list(STUDY_LOSSES)


@dataclass
class StudyConfig:
    data: str = "synthetic"
    losses: List[str] = field(default_factory=lambda: list(DEFAULT_LOSSES))
    epochs: int = 50
    size: int = 128
    n: int = 704
    seeds: List[int] = field(default_factory=lambda: [0])
    batch_size: int = 16
    lr: float = 2e-4
    base_channels: int = 16
    depth: int = 4
    #: BatchNorm after every convolution (the full protocol's U-Net has none; --quick uses it).
    batch_norm: bool = False
    out: str = "study-out"
    data_seed: int = 1234
    verbose: bool = True
    #: 1: binary masks. K >= 2: label maps of classes 0..K-1 (0 = background; your own data,
    #: ``npz:`` or ``arrays=``), a U-Net with K outputs and the losses in multiclass mode
    #: (softmax); IoU, Dice and HD95 are then means over the foreground classes 1..K-1.
    classes: int = 1

    def validate(self) -> None:
        unknown = [l for l in self.losses if l not in STUDY_LOSSES and l not in _library_losses()]
        if unknown:
            raise ValueError(f"losses: unknown {unknown}; study names: {', '.join(STUDY_LOSSES)} "
                             f"(or any library loss: {', '.join(sorted(_library_losses()))})")
        for name in ("epochs", "size", "n", "batch_size", "base_channels", "depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be positive, got {getattr(self, name)}")
        if self.size % (2 ** self.depth):
            raise ValueError(f"size: must be divisible by 2**depth = {2 ** self.depth}, got {self.size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr: must be a positive number, got {self.lr}")
        if not isinstance(self.batch_norm, (bool, np.bool_)):
            raise TypeError(f"batch_norm: expected True or False, got {self.batch_norm!r}")
        self.batch_norm = bool(self.batch_norm)  # numpy.bool_ -> bool, for config.json
        if not self.seeds:
            raise ValueError("seeds: give at least one seed")
        if not isinstance(self.classes, (int, np.integer)) or isinstance(self.classes, bool) or self.classes < 1:
            raise ValueError(f"classes: expected 1 (binary masks) or the number of classes K >= 2, got {self.classes!r}")
        if self.classes >= 2:
            for loss in self.losses:
                _check_multiclass(loss, self.classes)


def _check_multiclass(loss: str, classes: int) -> None:
    """Raises ValueError naming `loss` when it has no multiclass mode (tried on a tiny batch)."""
    from . import losses as L
    name, options = resolve_loss(loss, classes)
    x = np.zeros((1, classes, 16, 16), np.float32)
    labels = np.zeros((1, 16, 16), np.int64)
    labels[:, 4:12, 4:12] = classes - 1
    try:
        L.LOSSES[name](x, labels, **options)
    except (ValueError, TypeError) as e:
        raise ValueError(f"losses: {loss} cannot train on {classes} exclusive classes ({e})") from None


def _library_losses():
    from .losses import LOSSES
    return set(LOSSES)


def resolve_loss(name: str, classes: int = 1):
    """Study name (or library name) -> (library loss name, options); with `classes` >= 2
    the options ask for multiclass mode."""
    library, options = STUDY_LOSSES[name] if name in STUDY_LOSSES else (name, {})
    return library, dict(options, mode="multiclass") if classes >= 2 else dict(options)


#: --quick: small images, a smaller U-Net with BatchNorm and a higher learning rate, so that
#: the five losses converge within a few minutes on 2 cores (the full protocol uses lr 2e-4
#: and no BatchNorm). Without BatchNorm, 260 Adam steps at lr 1e-3 left the Tversky losses
#: unconverged or stuck (test IoU 0.41-0.81 over seeds 0-2) and collapsed the network for
#: Dice-BCE and focal at seed 1 (a nearly constant output, one class at every pixel: IoU
#: 0.15); with it all five reached IoU 0.89-0.95 on seeds 0-2 (README, "The loss study").
QUICK = dict(size=64, n=256, epochs=20, base_channels=8, depth=3, lr=1e-3, batch_norm=True)


#: What a finished run's numbers depend on besides its loss and seed.
_SETUP_KEYS = ("data", "data_sha1", "classes", "size", "n", "data_seed", "epochs", "batch_size", "lr",
               "base_channels", "depth", "batch_norm")
#: The value of a setup key that a config.json of an older version lacks (runs made then
#: had no BatchNorm).
_SETUP_DEFAULTS = {"batch_norm": False}


def _fingerprint(x: np.ndarray, y: np.ndarray) -> str:
    """SHA-1 of the images and masks as studied (after conversion and resizing)."""
    h = hashlib.sha1()
    for a in (x, y):
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def _require_same_setup(out: str, config: Dict[str, Any]) -> None:
    """Finished runs in `out` are reused (skipped), so `out` must hold runs of this setup: a
    config.json there that differs in `_SETUP_KEYS` raises ValueError (keys it lacks, from
    older versions, take their value of then, `_SETUP_DEFAULTS`, or are not compared)."""
    path = os.path.join(out, "config.json")
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return
    old = dict(_SETUP_DEFAULTS, **old)
    changed = [f"{k} {old[k]!r} -> {config[k]!r}" for k in _SETUP_KEYS if k in old and old[k] != config[k]]
    if changed:
        raise ValueError(f"out: {out} holds runs of another setup ({'; '.join(changed)}), which would be reused "
                         "as finished: choose another --out, or delete that folder")


# ----------------------------------------------------------------------------- driver

def _log(cfg: StudyConfig, message: str) -> None:
    if cfg.verbose:
        print(message, flush=True)



def run_study(cfg: StudyConfig, arrays: Optional[Tuple[Any, Any]] = None) -> str:
    """Runs the study of `cfg` and returns the results table (Markdown); files go to
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
    cfg.validate()
    os.makedirs(os.path.join(cfg.out, "runs"), exist_ok=True)
    if arrays is not None:
        _log(cfg, f"study: your arrays ({cfg.data}) at {cfg.size}x{cfg.size} ...")
        x, y = datasets.from_arrays(*arrays, size=cfg.size, classes=cfg.classes)
    else:
        _log(cfg, f"study: loading {cfg.data} at {cfg.size}x{cfg.size} ...")
        x, y = datasets.load(cfg.data, size=cfg.size, n=cfg.n, seed=cfg.data_seed, classes=cfg.classes)
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
            done = os.path.join(run_dir, "metrics.json")
            if os.path.exists(done):
                with open(done) as f:
                    rows.append(json.load(f))
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
            seeds=[int(s) for s in a.seeds.split(",") if s.strip()], batch_size=a.batch_size,
            lr=pick(a.lr, "lr", 2e-4),
            base_channels=pick(a.base_channels, "base_channels", 16), depth=pick(a.depth, "depth", 4),
            batch_norm=pick(a.batch_norm, "batch_norm", False), out=a.out, verbose=not a.quiet, classes=a.classes)
        text = run_study(cfg)
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"semsegloss-swift study: error: {e}", file=sys.stderr)
        return 2
    print()
    print(text)
    print(f"(results in {os.path.abspath(cfg.out)})")
    return 0
