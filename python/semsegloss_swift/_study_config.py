"""The loss study's setup: its configuration (:class:`StudyConfig`) with the checks of every
field, the study's losses, the ``--quick`` preset, and whether an output folder's finished
runs belong to this setup (``config.json``). Re-exported by :mod:`semsegloss_swift.study`."""
from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List

import numpy as np

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
        """Checks every field (TypeError or ValueError naming it) and normalises them (lists of
        str and int, int and float for NumPy scalars), so that config.json can hold them."""
        from ._training_args import check_path
        if not isinstance(self.data, str):
            raise TypeError(f"data: expected a data specification (str), got {self.data!r}")
        self.losses = _distinct("losses", self.losses, str, "a list of loss names such as ['dice_bce', 'focal']")
        unknown = [l for l in self.losses if l not in STUDY_LOSSES and l not in _library_losses()]
        if unknown:
            hints = [f"did you mean {' or '.join(close)} for {name}?" for name in unknown
                     for close in [_close_names(name)] if close]
            raise ValueError(f"losses: unknown {unknown}; " + (" ".join(hints) + " " if hints else "")
                             + f"study names: {', '.join(STUDY_LOSSES)} "
                             f"(or any library loss: {', '.join(sorted(_library_losses()))})")
        self.seeds = _distinct("seeds", self.seeds, numbers.Integral, "a list of ints such as [0, 1, 2]")
        for seed in self.seeds:
            if not 0 <= seed < 2 ** 64:
                raise ValueError(f"seeds: each seed must be an integer in [0, 2**64 - 1], got {seed}")
        for name in ("epochs", "size", "n", "batch_size", "base_channels", "depth", "data_seed"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name}: expected an int, got {value!r}")
            if value < (0 if name == "data_seed" else 1):
                raise ValueError(f"{name}: must be {'>= 0' if name == 'data_seed' else 'positive'}, got {value}")
            setattr(self, name, int(value))
        if self.size % (2 ** self.depth):
            raise ValueError(f"size: must be divisible by 2**depth = {2 ** self.depth}, got {self.size}")
        if isinstance(self.lr, (bool, np.bool_)) or not isinstance(self.lr, numbers.Real):
            raise TypeError(f"lr: expected a number, got {self.lr!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr: must be a positive number, got {self.lr}")
        self.lr = float(self.lr)
        if not isinstance(self.batch_norm, (bool, np.bool_)):
            raise TypeError(f"batch_norm: expected True or False, got {self.batch_norm!r}")
        self.batch_norm = bool(self.batch_norm)  # numpy.bool_ -> bool, for config.json
        self.out = check_path("out", self.out)
        if not isinstance(self.classes, (int, np.integer)) or isinstance(self.classes, bool) or self.classes < 1:
            raise ValueError(f"classes: expected 1 (binary masks) or the number of classes K >= 2, got {self.classes!r}")
        self.classes = int(self.classes)
        for loss in self.losses:
            _check_trainable(loss, self.classes)


def _distinct(name: str, values: Any, kind: type, example: str) -> list:
    """`values` as a non-empty list of `kind` without repeats (a repeated loss or seed would
    be counted twice in the results); a str is refused (it would split into characters)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name}: expected {example}, got {values!r}")
    values = list(values)
    wrong = [v for v in values if not isinstance(v, kind) or isinstance(v, (bool, np.bool_))]
    if wrong:
        raise TypeError(f"{name}: expected {example}, got {wrong[0]!r} in {values!r}")
    if not values:
        raise ValueError(f"{name}: give at least one {'loss' if name == 'losses' else 'seed'} (got an empty list)")
    repeated = sorted({v for v in values if values.count(v) > 1}, key=values.index)
    if repeated:
        raise ValueError(f"{name}: {repeated} given more than once; each must appear once")
    return [str(v) if kind is str else int(v) for v in values]


def _check_trainable(loss: str, classes: int) -> None:
    """Builds the trainer of `loss` in the study's mode on a tiny U-Net (cheap: no training),
    so that a loss that cannot train in that mode is refused before any run (ValueError
    naming --losses, and --classes where that is the fix)."""
    from .training import Trainer, UNet
    name, options = resolve_loss(loss, classes)
    model = UNet(out_channels=classes if classes >= 2 else 1, base_channels=2, depth=1, seed=0)
    try:
        Trainer(model, loss=name, loss_options=options)
    except (ValueError, TypeError) as e:
        reason = str(e)
        reason = reason[len("mode: "):] if reason.startswith("mode: ") else reason
        if classes >= 2:
            reason = reason.replace("Use mode='multilabel' with one-hot targets (sigmoid per class)",
                                    "The study has no multilabel mode")
            raise ValueError(f"losses: {loss} cannot train on {classes} exclusive classes ({reason}); "
                             "drop it from --losses") from None
        reason = reason.replace("; use mode='multiclass'", "")
        raise ValueError(f"losses: {loss} cannot train on binary masks (--classes 1): {reason}; for label maps "
                         "of K classes use --classes K (K >= 2), or drop it from --losses") from None


def _close_names(name: str) -> List[str]:
    """Study or catalogue names close to the unknown `name` (difflib), the catalogue name
    with the "_loss" suffix first."""
    import difflib
    names = list(STUDY_LOSSES) + sorted(_library_losses())
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    suffixed = f"{name}_loss"
    return [suffixed] + [c for c in close if c != suffixed] if suffixed in names else close


def definitions(losses: List[str], classes: int = 1) -> Dict[str, Dict[str, Any]]:
    """Each loss name of the study -> its catalogue loss and options, as trained (for
    config.json and the report): a study name is SemSegLoss's definition, a catalogue
    name the library's defaults."""
    return {loss: dict(zip(("loss", "options"), resolve_loss(loss, classes))) for loss in losses}


def describe(loss: str, classes: int = 1) -> str:
    """``tversky = tversky_loss(alpha=0.3, ...), SemSegLoss's definition`` or
    ``tversky_loss = tversky_loss(), the library's defaults``."""
    name, options = resolve_loss(loss, classes)
    call = f"{name}({', '.join(f'{k}={v!r}' for k, v in options.items())})"
    return f"{loss} = {call}, " + ("SemSegLoss's definition" if loss in STUDY_LOSSES else "the library's defaults")


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


def fingerprint(x: np.ndarray, y: np.ndarray) -> str:
    """SHA-1 of the images and masks as studied (after conversion and resizing)."""
    h = hashlib.sha1()
    for a in (x, y):
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def finished_runs(out: str) -> List[str]:
    """The run folders in ``out/runs`` that hold a metrics.json (finished, so reused)."""
    runs = os.path.join(out, "runs")
    names = sorted(os.listdir(runs)) if os.path.isdir(runs) else []
    return [d for d in names if os.path.isfile(os.path.join(runs, d, "metrics.json"))]


def require_same_setup(out: str, config: Dict[str, Any]) -> None:
    """Finished runs in `out` are reused (skipped), so `out` must hold runs of this setup: a
    config.json there that differs in `_SETUP_KEYS` raises ValueError (keys it lacks, from
    older versions, take their value of then, `_SETUP_DEFAULTS`, or are not compared), and
    so do finished runs next to a config.json that is missing or unreadable. `data` and `n`
    are not compared when the SHA-1 of the data as studied is the same."""
    path = os.path.join(out, "config.json")
    try:
        with open(path) as f:
            old = json.load(f)
        if not isinstance(old, dict):
            raise ValueError(f"expected a JSON object, got {type(old).__name__}")
    except (OSError, ValueError) as e:
        finished = finished_runs(out)
        if finished:
            problem = "has no config.json" if isinstance(e, FileNotFoundError) else f"has an unreadable config.json ({e})"
            raise ValueError(f"out: {out} {problem}, so the setup of its {len(finished)} finished run(s) "
                             f"(e.g. {finished[0]}) cannot be verified and they would be reused as they are: "
                             "choose another --out, or delete that folder") from None
        return
    old = dict(_SETUP_DEFAULTS, **old)
    # The images as studied decide: another spelling of the same file's path, or an --n that
    # a file's data ignores, leaves the SHA-1 of the data as studied, and the runs, unchanged.
    same_data = old.get("data_sha1") is not None and old.get("data_sha1") == config.get("data_sha1")
    keys = [k for k in _SETUP_KEYS if not (same_data and k in ("data", "n"))]
    changed = [f"{k} {old[k]!r} -> {config[k]!r}" for k in keys if k in old and old[k] != config[k]]
    if changed:
        raise ValueError(f"out: {out} holds runs of another setup ({'; '.join(changed)}), which would be reused "
                         "as finished: choose another --out, or delete that folder")
