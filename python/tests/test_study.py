"""The loss study end to end on a tiny configuration: report files exist and parse, plots
are written, a rerun skips finished runs, bad arguments are refused."""
import csv
import json
import os
import re

import numpy as np
import pytest

from semsegloss_swift import study
from semsegloss_swift.__main__ import main as cli


def tiny(out, **kw):
    cfg = dict(data="synthetic", losses=["dice_bce", "focal_tversky"], epochs=2, size=32, n=20,
               seeds=[0, 1], batch_size=4, lr=1e-3, base_channels=4, depth=2, out=str(out), verbose=False)
    cfg.update(kw)
    return study.StudyConfig(**cfg)


def test_tiny_study_writes_reports_and_plots(tmp_path):
    text = study.run_study(tiny(tmp_path))
    # (2 epochs on 16 images: a run may still predict one class everywhere, marked "†")
    assert re.search(r"\| dice_bce( †)? \|", text) and re.search(r"\| focal_tversky( †)? \|", text)
    with open(tmp_path / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and {r["loss"] for r in rows} == {"dice_bce", "focal_tversky"}
    for r in rows:
        for key in ("iou", "dice", "accuracy"):
            assert 0.0 <= float(r[key]) <= 1.0
    md = (tmp_path / "results.md").read_text()
    assert "IoU" in md and "±" in md
    for name in ("learning_curves.png", "test_metrics.png", "overlays.png", "overlays-seed1.png"):
        assert (tmp_path / name).stat().st_size > 1000
    # seed 1's overlays are their own figure (its predictions, its title), not a copy of seed 0's
    assert (tmp_path / "overlays-seed1.png").read_bytes() != (tmp_path / "overlays.png").read_bytes()
    assert not (tmp_path / "overlays-seed0.png").exists()
    with open(tmp_path / "runs" / "dice_bce-seed0" / "history.json") as f:
        history = json.load(f)
    assert len(history["loss"]) == 2 and len(history["val_iou"]) == 2


def test_rerun_skips_finished_runs(tmp_path, capsys):
    cfg = tiny(tmp_path, seeds=[0], losses=["jaccard"])
    study.run_study(cfg)
    metrics = tmp_path / "runs" / "jaccard-seed0" / "metrics.json"
    stamp = os.path.getmtime(metrics)
    cfg.verbose = True
    study.run_study(cfg)
    assert os.path.getmtime(metrics) == stamp
    assert "finished earlier, skipped" in capsys.readouterr().out


def test_a_rerun_with_fewer_losses_or_seeds_names_the_runs_its_report_leaves_out(tmp_path):
    study.run_study(tiny(tmp_path, epochs=1, seeds=[0, 1], losses=["jaccard", "focal"]))
    with pytest.warns(study.StudyWarning, match=r"3 finished run\(s\) that this report leaves out "
                                                 r"\(focal-seed0, focal-seed1, jaccard-seed1\)"):
        text = study.run_study(tiny(tmp_path, epochs=1, seeds=[0], losses=["jaccard"]))
    assert "| jaccard" in text and "| focal" not in text
    with open(tmp_path / "results.csv") as f:
        assert [r["loss"] for r in csv.DictReader(f)] == ["jaccard"]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", study.StudyWarning)   # all four asked for: nothing left out
        study.run_study(tiny(tmp_path, epochs=1, seeds=[0, 1], losses=["jaccard", "focal"]))


def test_cli_quick_options_and_errors(tmp_path, capsys):
    assert cli(["study", "--losses", "nope", "--out", str(tmp_path)]) == 2
    assert "losses" in capsys.readouterr().err
    assert cli(["study", "--size", "30", "--out", str(tmp_path)]) == 2
    assert "size" in capsys.readouterr().err
    assert cli(["study", "--data", "montgomery:/does/not/exist", "--size", "32", "--out", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err
    assert cli(["nonsense"]) == 2


def test_test_metrics_are_pooled_over_pixels():
    y = np.zeros((2, 1, 4, 4), np.float32)
    y[0, 0, :2] = 1
    prob = y.copy()
    prob[1, 0, 0, 0] = 0.9  # one false positive on an image with an empty mask
    m = study.test_metrics(prob, y)
    assert m["iou"] == pytest.approx(8 / 9)
    assert m["accuracy"] == pytest.approx(31 / 32)


def test_verbose_progress_counts_epochs_of_the_run(tmp_path, capsys):
    """Each epoch line reads "epoch k/N" with N the run's epochs (not "k/k")."""
    study.run_study(tiny(tmp_path, seeds=[0], losses=["dice_bce"], epochs=3, verbose=True))
    lines = [ln.strip() for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("epoch ")]
    assert [ln.split(" - ")[0] for ln in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all("val_iou" in ln for ln in lines)


def test_batch_norm_is_a_study_option_of_the_quick_preset(tmp_path, monkeypatch):
    """--quick trains the U-Net with BatchNorm (it converges in 20 epochs without dying),
    --no-batch-norm turns it off, the report says which, and the saved model has it."""
    seen = []

    def fake_run_study(cfg):
        seen.append(cfg)
        return ""
    monkeypatch.setattr(study, "run_study", fake_run_study)
    assert cli(["study", "--quick", "--quiet", "--out", str(tmp_path)]) == 0
    assert cli(["study", "--quick", "--no-batch-norm", "--quiet", "--out", str(tmp_path)]) == 0
    assert cli(["study", "--quiet", "--out", str(tmp_path)]) == 0
    assert cli(["study", "--batch-norm", "--quiet", "--out", str(tmp_path)]) == 0
    assert [c.batch_norm for c in seen] == [True, False, False, True]
    assert seen[0].lr == 1e-3 and seen[0].base_channels == 8


def test_batch_norm_reaches_the_model_report_and_setup_check(tmp_path):
    from semsegloss_swift.training import UNet
    text = study.run_study(tiny(tmp_path, seeds=[0], losses=["dice_bce"], epochs=1, batch_norm=True))
    assert "depth=2 with BatchNorm," in text
    assert UNet.load(str(tmp_path / "runs" / "dice_bce-seed0" / "best.model")).batch_norm is True
    with pytest.raises(ValueError, match=r"^out: .*batch_norm True -> False"):
        study.run_study(tiny(tmp_path, seeds=[0], losses=["dice_bce"], epochs=1))
    with pytest.raises(TypeError, match=r"^batch_norm: "):
        study.run_study(tiny(tmp_path / "x", batch_norm="yes"))
    study.run_study(tiny(tmp_path / "y", seeds=[0], losses=["dice_bce"], epochs=1, batch_norm=np.bool_(True)))
    assert json.loads((tmp_path / "y" / "config.json").read_text())["batch_norm"] is True


def test_config_of_an_older_version_counts_as_without_batch_norm(tmp_path):
    """A config.json written before the option existed holds runs without BatchNorm."""
    study.run_study(tiny(tmp_path, seeds=[0], losses=["dice_bce"], epochs=1))
    config = json.loads((tmp_path / "config.json").read_text())
    del config["batch_norm"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"batch_norm False -> True"):
        study.run_study(tiny(tmp_path, seeds=[0], losses=["dice_bce"], epochs=1, batch_norm=True))
    study.run_study(tiny(tmp_path, seeds=[0], losses=["dice_bce"], epochs=1))  # same setup: accepted


def test_one_class_everywhere_marks_a_collapsed_prediction():
    assert study.one_class_everywhere(np.full((2, 1, 4, 4), 0.6))          # all foreground
    assert study.one_class_everywhere(np.full((2, 1, 4, 4), 0.4))          # all background
    assert study.one_class_everywhere(np.full((1, 1, 2, 2), 0.5))          # p >= 0.5 is foreground
    mixed = np.full((2, 1, 4, 4), 0.5)
    mixed[1, 0, 3, 3] = 0.49
    assert not study.one_class_everywhere(mixed)
    p = np.zeros((2, 3, 4, 4))
    p[:, 1] = 1
    assert study.one_class_everywhere(p, classes=3)
    p[0, 2, 0, 0] = 2
    assert not study.one_class_everywhere(p, classes=3)


def test_report_marks_losses_with_collapsed_runs(tmp_path):
    cfg = tiny(tmp_path)
    run = dict(iou=0.9, dice=0.95, accuracy=0.99, hd95=1.0, iou_per_image=0.9, best_val_iou=0.9, epochs=2,
               seconds=1.0, one_class=False)
    rows = [dict(run, loss="dice_bce", seed=0), dict(run, loss="dice_bce", seed=1, iou=0.15, one_class=True),
            dict(run, loss="focal_tversky", seed=0), dict(run, loss="focal_tversky", seed=1)]
    text = study.write_reports(cfg, rows)
    assert "| dice_bce † |" in text and "| focal_tversky |" in text
    assert "† dice_bce: 1 of 2 runs — every test pixel got the same class: the network is untrained or collapsed" in text
    with open(tmp_path / "results.csv") as f:
        assert [r["one_class"] for r in csv.DictReader(f)] == ["False", "True", "False", "False"]
    rows[1]["one_class"] = False
    assert "†" not in study.write_reports(cfg, rows)


def test_a_run_records_whether_it_predicted_one_class(tmp_path):
    study.run_study(tiny(tmp_path, seeds=[0], losses=["dice_bce"], epochs=1))
    metrics = json.loads((tmp_path / "runs" / "dice_bce-seed0" / "metrics.json").read_text())
    assert isinstance(metrics["one_class"], bool)


def test_learning_curves_take_histories_of_unequal_lengths(tmp_path):
    """A history with fewer validation scores than training losses (a run stopped between
    the two, or written by hand) is plotted; before 2026-12-06 matplotlib raised on it."""
    from semsegloss_swift import plots
    run = tmp_path / "runs" / "dice-seed0"
    run.mkdir(parents=True)
    (run / "history.json").write_text(json.dumps({"loss": [1.0, 0.5, 0.4], "val_iou": [0.2, 0.3]}))
    path = plots.learning_curves(str(tmp_path), ["dice"], [0])
    assert os.path.getsize(path) > 1000
