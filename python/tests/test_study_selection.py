"""The study's epoch choice, failed runs and saved numbers (audit of 2026-12-06): a validation
split without foreground, losses that cannot train in the study's mode, diverging runs,
strict JSON, and HD95 values that are undefined."""
import json
import math
import warnings

import numpy as np
import pytest

from semsegloss_swift import datasets, study
from semsegloss_swift.__main__ import main as cli
from semsegloss_swift.training import Trainer

TINY_CLI = ["--size", "32", "--n", "20", "--epochs", "1", "--base-channels", "4", "--depth", "2", "--quiet"]


def tiny(out, **kw):
    cfg = dict(data="synthetic", losses=["dice_bce"], epochs=2, size=32, n=20, seeds=[0], batch_size=4,
               lr=1e-2, base_channels=4, depth=2, batch_norm=True, out=str(out), verbose=False)
    cfg.update(kw)
    return study.StudyConfig(**cfg)


def strict_json(path):
    """json.load that refuses NaN and Infinity, as JSON parsers outside Python do."""
    def refuse(name):
        raise ValueError(f"{path}: {name} is not JSON")
    with open(path) as f:
        return json.load(f, parse_constant=refuse)


def test_empty_validation_split_chooses_the_epoch_by_validation_loss(tmp_path, monkeypatch):
    """Before 2026-12-06 a validation split without foreground scored an all-background model
    IoU 1.0, so the study kept that (early) epoch silently (test IoU 0.41 instead of 0.97)."""
    split = datasets.split

    def no_validation_foreground(x, y, fractions, seed):
        parts = split(x, y, fractions, seed=seed)
        return parts[0], (parts[1][0], np.zeros_like(parts[1][1])), parts[2]
    monkeypatch.setattr(study.datasets, "split", no_validation_foreground)
    with pytest.warns(study.StudyWarning, match="validation split has no foreground pixel") as caught:
        text = study.run_study(tiny(tmp_path, epochs=3))
    assert sum("no foreground" in str(w.message) for w in caught) == 1          # warned once
    run = tmp_path / "runs" / "dice_bce-seed0"
    metrics, history = strict_json(run / "metrics.json"), strict_json(run / "history.json")
    assert metrics["selected_by"] == "val_loss"
    assert metrics["best_epoch"] == 1 + int(np.argmin(history["val_loss"]))
    assert "lowest validation loss" in text and "count it as 1" in text        # the note under the table
    assert "val_loss" in (tmp_path / "results.csv").read_text()


def test_a_loss_that_cannot_train_in_binary_mode_is_refused_before_training(tmp_path, capsys):
    """Before 2026-12-06 generalized_wasserstein_dice_loss passed the check in binary mode and
    stopped the study after the earlier runs had trained, naming mode='multiclass'."""
    out = tmp_path / "out"
    assert cli(["study", *TINY_CLI, "--losses", "dice_bce,generalized_wasserstein_dice_loss", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("semsegloss-swift study: error: --losses: generalized_wasserstein_dice_loss cannot train "
                          "on binary masks") and err.count("\n") == 1, err
    assert "--classes K" in err and "--losses" in err and "mode=" not in err
    assert not out.exists()                                                    # nothing trained


def test_a_diverging_run_is_recorded_and_the_study_goes_on(tmp_path, monkeypatch):
    """Before 2026-12-06 one diverging run (ValueError naming lr or logits) ended the whole
    study without results.md; now it is marked ‡ with n/a metrics and reused as such."""
    fit = Trainer.fit

    def diverging_focal(self, *args, **kwargs):
        if self.loss == "focal_loss":
            raise ValueError("lr: Adam step 3 would make parameters NaN or infinite: lower the learning rate")
        return fit(self, *args, **kwargs)
    monkeypatch.setattr(Trainer, "fit", diverging_focal)
    cfg = tiny(tmp_path, losses=["dice_bce", "focal"], epochs=1)
    with pytest.warns(study.StudyWarning, match="diverged"):
        text = study.run_study(cfg)
    assert "| focal ‡ | n/a |" in text and "‡ focal: 1 of 1 runs diverged" in text
    assert "| dice_bce |" in text or "| dice_bce † |" in text
    metrics = strict_json(tmp_path / "runs" / "focal-seed0" / "metrics.json")
    assert metrics["diverged"] is True and metrics["iou"] is None and "lr: Adam step 3" in metrics["error"]
    assert not (tmp_path / "runs" / "focal-seed0" / "best.model").exists()
    cfg.verbose = True
    with pytest.warns(study.StudyWarning, match="diverged"):
        assert study.run_study(cfg) == text                                     # rerun: the same record
    other = ValueError("x: must be finite")                                    # not a divergence: still an error
    monkeypatch.setattr(Trainer, "fit", lambda self, *a, **k: (_ for _ in ()).throw(other))
    with pytest.raises(ValueError, match="^x: must be finite"):
        study.run_study(tiny(tmp_path / "b"))


def test_metrics_json_is_strict_json_and_null_reads_back_as_nan(tmp_path, monkeypatch):
    """Before 2026-12-06 an undefined metric was written as a bare NaN, which is not JSON."""
    from semsegloss_swift import _study_run
    scores = _study_run.test_metrics
    monkeypatch.setattr(_study_run, "test_metrics", lambda *a: dict(scores(*a), hd95=float("nan")))
    cfg = tiny(tmp_path, epochs=1)
    study.run_study(cfg)
    for name in ("config.json", "runs/dice_bce-seed0/metrics.json", "runs/dice_bce-seed0/history.json"):
        strict_json(tmp_path / name)
    assert strict_json(tmp_path / "runs" / "dice_bce-seed0" / "metrics.json")["hd95"] is None
    row = study.finished_result(str(tmp_path / "runs" / "dice_bce-seed0"), "dice_bce", 0, 1)
    assert math.isnan(row["hd95"])
    assert "| n/a |" in study.run_study(cfg)                                    # reused finished run


def test_undefined_hd95_is_counted_not_hidden(tmp_path):
    """Before 2026-12-06 a missed object left HD95 0.0 (the undefined image silently dropped)
    and a seed with NaN HD95 gave "19.10 ± 0.00", a mean over one seed of two."""
    y = np.zeros((2, 1, 32, 32), np.float32)
    y[:, :, 8:20, 8:20] = 1
    missed = y.copy()
    missed[1] = 0
    m = study.test_metrics(missed, y)
    assert (m["hd95_undefined"], m["hd95_cases"]) == (1, 2)
    run = dict(iou=0.5, dice=0.6, accuracy=0.9, iou_per_image=0.5, best_val_iou=0.5, epochs=2, seconds=1.0,
               one_class=False, hd95_cases=2)
    rows = [dict(run, loss="dice_bce", seed=0, hd95=19.1, hd95_undefined=0),
            dict(run, loss="dice_bce", seed=1, hd95=float("nan"), hd95_undefined=2)]
    text = study.write_reports(tiny(tmp_path, losses=["dice_bce"], seeds=[0, 1]), rows)
    assert "| 19.10 (1 of 2 seeds undefined) |" in text and "HD95 (px at 32x32)" in text
    assert "dice_bce seed 1: 2 of 2 test images" in text and "population std" in text
    one = study.write_reports(tiny(tmp_path, losses=["dice_bce"]), rows[:1])
    assert "| 0.5000 |" in one and "±" not in one.split("|---|")[1].split("\n-")[0]  # one seed: no "± 0"


def test_numpy_warnings_of_nan_metrics_do_not_leak_from_the_plots(tmp_path, monkeypatch):
    """Before 2026-12-06 NaN metrics made the plots print numpy's 'Mean of empty slice' (with a
    file path and source line) even with --quiet; the study now silences numpy's
    RuntimeWarnings while it plots (here a stand-in for plots that averages a NaN metric)."""
    from semsegloss_swift import _study_run, plots
    monkeypatch.setattr(_study_run, "test_metrics",
                        lambda *a: {k: float("nan") for k in ("iou", "dice", "accuracy", "hd95", "iou_per_image")})
    make_all = plots.make_all
    monkeypatch.setattr(plots, "make_all", lambda *a: (np.nanmean(np.array([np.nan])), make_all(*a)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.run_study(tiny(tmp_path, epochs=1))
    assert not [w for w in caught if not issubclass(w.category, getattr(study, "StudyWarning", ()))], \
        [str(w.message) for w in caught]
