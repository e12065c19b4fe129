"""The loss study: train the same U-Net with several losses and compare them on a test set.

    semsegloss-swift study --quick                       # a few minutes on 2 cores
    semsegloss-swift study --data synthetic --epochs 50  # the study's protocol on the phantom
    semsegloss-swift study --data montgomery:/data/MontgomerySet --size 256 --seeds 0,1,2
    semsegloss-swift study --data npz:my_data.npz --size 128 --losses dice_bce,focal,lovasz_hinge_loss
    semsegloss-swift study --data folders:scans/,labels/ --quick
    semsegloss-swift study --data npz:organs.npz --classes 4 --losses dice_ce_loss,focal,lovasz_softmax_loss

Protocol (defaults reproduce the chest X-ray study): 80/10/10 split, U-Net with
base_channels 16 and depth 4, batch 16, Adam lr 2e-4, 50 epochs, the five losses Dice-BCE,
Jaccard, focal, Tversky and focal Tversky (SemSegLoss's definitions; ``--list-losses`` prints
them and the catalogue names). The model of the epoch with the best validation IoU (the
lowest validation loss when the validation split has no foreground pixel) is evaluated on
the test set: IoU, Dice and binary accuracy over all test pixels, and the mean HD95 (pixels at
--size) over the test images where it is defined (the report counts the others).
``--quick``: 64x64 images, 256 of them, 20 epochs, a U-Net with base_channels 8, depth 3 and
BatchNorm, lr 1e-3. A run that diverges is recorded as such (‡, metrics n/a) and the study
goes on.

Output in --out (default ``study-out``): ``results.csv`` (one row per run),
``results.md`` (mean ± std over seeds), ``runs/<loss>-seed<k>/history.json`` and
``metrics.json``, and PNG plots (learning curves, bar chart, and the overlays of the
first seed in ``overlays.png``, of each further seed k in ``overlays-seed<k>.png``). Finished runs
(those with a metrics.json) are skipped when the command is run again with the same setup
(``config.json``: data and its SHA-1, classes, size, epochs, training settings); another
setup in the same --out is refused, and so are finished runs next to a missing or unreadable
config.json. The reports cover the losses and seeds of the command that writes them (a rerun
with fewer warns, naming the finished runs it leaves out). Ctrl-C ends the command with one
line (exit 130); run it again to resume. A
closed output (``| head``) stops it likewise (exit 141). JSON files hold null for NaN.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from typing import Any, List, Optional, Tuple

from . import datasets
from ._study_config import (DEFAULT_LOSSES, QUICK, STUDY_LOSSES, StudyConfig, definitions, describe, finished_runs,
                            fingerprint as _fingerprint, require_same_setup as _require_same_setup, resolve_loss)
from ._study_report import COLLAPSED, DEAD, machine as _machine, summarize, write_reports
from ._study_run import (StudyWarning, finished_result, has_foreground, one_class_everywhere, run_one, test_metrics,
                         warn, write_json)

__all__ = ["StudyConfig", "STUDY_LOSSES", "DEFAULT_LOSSES", "QUICK", "resolve_loss", "run_study", "main",
           "summarize", "write_reports", "test_metrics", "one_class_everywhere", "COLLAPSED", "StudyWarning"]


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
    # Loss study: my squares, 32x32, 1 epoch, seeds [0]
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
    train = len(splits[0][0])
    split = dict(train=train, val_foreground=has_foreground(splits[1][1]), test_foreground=has_foreground(splits[2][1]))
    _log(cfg, f"study: {_machine()}")
    _log(cfg, f"study: {len(x)} images -> train {train}, val {len(splits[1][0])}, test {len(splits[2][0])}")
    config = dict(cfg.__dict__, data_sha1=_fingerprint(x, y), loss_definitions=definitions(cfg.losses, cfg.classes))
    _require_same_setup(cfg.out, config)
    write_json(os.path.join(cfg.out, "config.json"), config)
    if cfg.batch_size > train:
        warn(f"--batch-size {cfg.batch_size} is larger than the training split ({train} images): "
             f"each epoch is one batch of {train}")
    if not split["val_foreground"]:
        warn("the validation split has no foreground pixel, so validation IoU cannot choose the epoch (an "
             "all-background prediction scores 1.0): each run keeps the epoch of the lowest validation loss")
    rows = []
    total = len(cfg.losses) * len(cfg.seeds)
    k = 0
    started, trained = time.perf_counter(), []   # for the elapsed / left figures of the log
    for seed in cfg.seeds:
        for loss in cfg.losses:
            k += 1
            run_dir = os.path.join(cfg.out, "runs", f"{loss}-seed{seed}")
            done = finished_result(run_dir, loss, seed, cfg.epochs)
            if done is not None:
                rows.append(done)
                _log(cfg, f"[{k}/{total}] {loss} seed {seed}: finished earlier"
                          + (" (diverged; delete its folder to train it again)" if done.get("diverged") else "")
                          + ", skipped")
                continue
            os.makedirs(run_dir, exist_ok=True)
            _log(cfg, f"[{k}/{total}] {loss} seed {seed}: training {cfg.epochs} epoch{'s' if cfg.epochs != 1 else ''}")
            t0 = time.perf_counter()
            r = run_one(cfg, loss, seed, splits, run_dir)
            trained.append(time.perf_counter() - t0)
            rows.append(r)
            if r["diverged"]:
                _log(cfg, f"[{k}/{total}] {loss} seed {seed}: {r['error'].split(':')[0]}, recorded as diverged "
                          "(metrics n/a); the study goes on")
                continue
            _log(cfg, f"[{k}/{total}] {loss} seed {seed}: test IoU {r['iou']:.4f}, accuracy {r['accuracy']:.4f}, "
                      f"Dice {r['dice']:.4f} ({r['seconds']:.0f} s), epoch {r['best_epoch']} kept (best "
                      f"{'validation IoU' if r['selected_by'] == 'val_iou' else 'validation loss'})"
                      + ((f"; every test pixel got the same class: {DEAD}" if r["dead_epoch"] is not None else f"; {COLLAPSED}")
                         if r["one_class"] else ""))
            _log(cfg, "  " + _progress(time.perf_counter() - started, trained, total - k))
    text = write_reports(cfg, rows, images=len(x), split=split)
    left_out = _runs_left_out(cfg)
    if left_out:
        shown = ", ".join(left_out[:4]) + (f" and {len(left_out) - 4} more" if len(left_out) > 4 else "")
        warn(f"{cfg.out} also holds {len(left_out)} finished run(s) that this report leaves out ({shown}): the "
             "reports cover the --losses and --seeds given; name those too to include them (they are not retrained)")
    diverged = sum(bool(r.get("diverged")) for r in rows)
    if diverged:
        warn(f"{diverged} of {total} runs diverged (‡ in the table): their metrics are n/a; try a lower --lr")
    try:
        from . import plots
        with warnings.catch_warnings():   # NaN metrics (numpy) and crowded figures (matplotlib)
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.filterwarnings("ignore", message="Tight layout not applied")
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
    ap.add_argument("--losses", default=",".join(DEFAULT_LOSSES),
                    help=f"comma-separated loss names (default: {','.join(DEFAULT_LOSSES)}): the study's names "
                         "(SemSegLoss's definitions) or any catalogue name of the library, ending in _loss "
                         "(semsegloss_swift.LOSSES, with its defaults); --list-losses prints them all with their "
                         "options, and results.md records each one's definition")
    ap.add_argument("--list-losses", action="store_true", help="print the loss names and their definitions, and exit")
    ap.add_argument("--classes", type=int, default=1,
                    help="1: binary masks (default); K >= 2: label maps 0..K-1 (npz data), multiclass losses")
    ap.add_argument("--epochs", type=int, default=None, help="default 50 (20 with --quick)")
    ap.add_argument("--size", type=int, default=None, help="image size (default 128; 64 with --quick)")
    ap.add_argument("--n", type=int, default=None, help="synthetic images (default 704; 256 with --quick)")
    ap.add_argument("--seeds", default="0", help="comma-separated training seeds (default 0)")
    ap.add_argument("--batch-size", type=int, default=16,
                    help="default 16; larger than the training split: one batch per epoch (said in the log and report)")
    ap.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 2e-4; 1e-3 with --quick)")
    ap.add_argument("--base-channels", type=int, default=None, help="default 16 (8 with --quick)")
    ap.add_argument("--depth", type=int, default=None, help="default 4 (3 with --quick)")
    ap.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                    help="BatchNorm after every convolution (default off; on with --quick)")
    ap.add_argument("--out", default="study-out")
    ap.add_argument("--quick", action="store_true", help="small preset that finishes in a few minutes on 2 cores")
    ap.add_argument("--quiet", action="store_true",
                    help="print only the results table (warnings that the report repeats are left out)")
    a = ap.parse_args(argv)
    try:
        if a.list_losses:
            _list_losses(a.classes)
            return 0
        preset = QUICK if a.quick else {}
        pick = lambda value, key, default: value if value is not None else preset.get(key, default)
        with _cli_warnings(quiet=a.quiet):
            cfg = StudyConfig(
                data=a.data, losses=[s.strip() for s in a.losses.split(",") if s.strip()],
                epochs=pick(a.epochs, "epochs", 50), size=pick(a.size, "size", 128), n=pick(a.n, "n", 704),
                seeds=_seed_list(a.seeds), batch_size=a.batch_size, lr=pick(a.lr, "lr", 2e-4),
                base_channels=pick(a.base_channels, "base_channels", 16), depth=pick(a.depth, "depth", 4),
                batch_norm=pick(a.batch_norm, "batch_norm", False), out=a.out, verbose=not a.quiet,
                classes=a.classes)
            text = run_study(cfg)
        print()
        print(text)
        print(f"(results in {os.path.abspath(cfg.out)})")
    except BrokenPipeError:
        # stdout closed (`| head`, quitting `less`): stop, as command-line tools do on SIGPIPE.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
            print("semsegloss-swift study: stopped: the output was closed (finished runs are kept; rerun the same "
                  "command to resume)", file=sys.stderr)
        except (OSError, ValueError):
            pass
        return 141
    except (ValueError, TypeError, OSError) as e:
        print(f"semsegloss-swift study: error: {_cli_names(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsemsegloss-swift study: interrupted; rerun the same command to resume (finished runs are kept; "
              "the interrupted run starts again from its first epoch)", file=sys.stderr)
        return 130
    return 0


#: StudyConfig fields -> the CLI options that set them (errors name what the user typed).
_CLI_OPTIONS = {"batch_size": "--batch-size", "base_channels": "--base-channels", "lr": "--lr", "epochs": "--epochs",
                "size": "--size", "n": "--n", "seeds": "--seeds", "depth": "--depth", "classes": "--classes",
                "losses": "--losses", "data": "--data", "out": "--out"}


def _runs_left_out(cfg: StudyConfig) -> List[str]:
    """The finished runs in ``cfg.out`` (``<loss>-seed<k>``) outside this command's losses and
    seeds, which its reports (rewritten for the runs asked for) do not show."""
    asked = {f"{loss}-seed{seed}" for loss in cfg.losses for seed in cfg.seeds}
    return [run for run in finished_runs(cfg.out) if run not in asked]


def _cli_names(message: str) -> str:
    """`message` with a leading StudyConfig field name (``batch_size: ...``) replaced by its
    CLI option (``--batch-size: ...``)."""
    field, colon, rest = message.partition(":")
    return f"{_CLI_OPTIONS[field]}:{rest}" if colon and field in _CLI_OPTIONS else message


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min {s:02d} s" if m else f"{s} s"


def _progress(elapsed: float, trained: List[float], left: int) -> str:
    """The study's elapsed time and, from the mean time of the runs trained so far, the
    time the `left` runs still to do would take (runs finished earlier are skipped, so this
    is an upper bound on a resumed study)."""
    if left == 0:
        return f"study: {_duration(elapsed)} elapsed, all runs done"
    eta = left * sum(trained) / len(trained)
    return f"study: {_duration(elapsed)} elapsed; {left} run{'s' if left != 1 else ''} left, about {_duration(eta)}"


def _list_losses(classes: int) -> None:
    from .losses import LOSSES
    print("Study names (SemSegLoss's definitions):")
    for loss in STUDY_LOSSES:
        print(f"  {describe(loss, classes)}")
    print("Catalogue names (the library's defaults; semsegloss_swift.LOSSES):")
    print("  " + ", ".join(sorted(LOSSES)))


class _cli_warnings:
    """Warnings during the CLI as one line each on stderr (no source line): the study's own
    (:class:`StudyWarning`, repeated by the report) not at all with --quiet, others once;
    with --quiet at the end."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.seen, self.pending = quiet, set(), []

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        if text in self.seen or (self.quiet and issubclass(category, StudyWarning)):
            return
        self.seen.add(text)
        line = f"semsegloss-swift study: warning: {text}"
        if self.quiet:
            self.pending.append(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def __enter__(self):
        self.saved = warnings.catch_warnings()
        self.saved.__enter__()
        warnings.showwarning = self.show
        return self

    def __exit__(self, *exc) -> None:
        self.saved.__exit__(*exc)
        for line in self.pending:
            print(line, file=sys.stderr)


def _seed_list(text: str) -> List[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"seeds: expected comma-separated integers such as 0,1,2, got {text!r}") from None
