"""The study's command line and report wording (audit of 2026-12-06): loss names (did you mean,
definitions recorded, where names come from), a closed stdout, the dead-network warning,
a batch larger than the training split, and "1 epoch"."""
import json
import os
import subprocess
import sys

import pytest

from semsegloss_swift import study
from semsegloss_swift.__main__ import main as cli

TINY_CLI = ["--size", "32", "--n", "20", "--epochs", "1", "--base-channels", "4", "--depth", "2"]


def tiny(out, **kw):
    cfg = dict(data="synthetic", losses=["dice_bce"], epochs=1, size=32, n=20, seeds=[0], batch_size=4,
               lr=1e-2, base_channels=4, depth=2, batch_norm=True, out=str(out), verbose=False)
    cfg.update(kw)
    return study.StudyConfig(**cfg)


def test_an_unknown_loss_gets_did_you_mean(tmp_path, capsys):
    """Before 2026-12-06 `--losses lovasz_hinge` got a list of 53 names and no suggestion."""
    assert cli(["study", *TINY_CLI, "--losses", "dice_bce,lovasz_hinge", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("semsegloss-swift study: error: --losses: unknown ['lovasz_hinge']; did you mean "
                          "lovasz_hinge_loss for lovasz_hinge?") and err.count("\n") == 1, err
    with pytest.raises(ValueError, match=r"did you mean tversky or tversky_loss"):
        tiny(tmp_path / "p", losses=["tversk"]).validate()


def test_each_loss_definition_is_recorded_and_listed(tmp_path, capsys):
    """Before 2026-12-06 neither config.json nor results.md said which definition a name is
    (`tversky`: SemSegLoss's alpha 0.3, beta 0.7; `tversky_loss`: the library's defaults),
    and --help named no losses."""
    text = study.run_study(tiny(tmp_path, losses=["tversky", "tversky_loss"]))
    assert ("- tversky = tversky_loss(alpha=0.3, beta=0.7, smooth_nr=1.0, smooth_dr=1.0, batch=True), "
            "SemSegLoss's definition") in text
    assert "- tversky_loss = tversky_loss(), the library's defaults" in text
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["loss_definitions"]["tversky"] == {"loss": "tversky_loss", "options": dict(
        alpha=0.3, beta=0.7, smooth_nr=1.0, smooth_dr=1.0, batch=True)}
    assert config["loss_definitions"]["tversky_loss"] == {"loss": "tversky_loss", "options": {}}
    with pytest.raises(SystemExit):
        cli(["study", "--help"])
    assert "--list-losses" in " ".join(capsys.readouterr().out.split())
    assert cli(["study", "--list-losses"]) == 0
    listed = capsys.readouterr().out
    assert "focal = focal_loss(alpha=0.25, gamma=2.0), SemSegLoss's definition" in listed
    assert "generalized_wasserstein_dice_loss" in listed


def test_a_closed_stdout_stops_the_study_quietly(tmp_path):
    """Before 2026-12-06 `study ... | head -1` printed "error: [Errno 32] Broken pipe", exit 2."""
    package = os.path.dirname(os.path.dirname(study.__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package, os.environ.get("PYTHONPATH", "")]))
    p = subprocess.Popen([sys.executable, "-m", "semsegloss_swift", "study", *TINY_CLI, "--out", str(tmp_path / "o")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        p.stdout.readline()
        p.stdout.close()                                     # the reader goes away, as `head -1` does
        err = p.stderr.read()
        p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 141, err
    assert "Broken pipe" not in err and "error" not in err and "Traceback" not in err
    assert err.strip().startswith("semsegloss-swift study: stopped: the output was closed")


def test_dead_network_warning_is_one_cli_line_that_agrees_with_the_footnote(tmp_path, capsys):
    """Before 2026-12-06 it was a raw Python warning (source line `sys.exit(main())`) advising
    UNet(batch_norm=True), printed with --quiet, next to a footnote saying "try more epochs"."""
    dead = ["study", "--size", "16", "--n", "20", "--epochs", "1", "--base-channels", "2", "--depth", "4",
            "--losses", "dice_bce", "--no-batch-norm"]
    assert cli([*dead, "--out", str(tmp_path / "a")]) == 0
    out, err = capsys.readouterr()
    warning = [line for line in err.splitlines() if "dead" in line]
    assert len(warning) == 1 and warning[0].startswith("semsegloss-swift study: warning: dice_bce seed 0: after epoch")
    assert "--batch-norm" in warning[0] and "UNet(" not in err and "sys.exit" not in err
    assert "more epochs will not change it" in warning[0]
    footnote = [line for line in out.splitlines() if line.startswith("- †")][0]
    assert "(1 dead)" in footnote and "more epochs will not change it" in footnote and "try more epochs" not in footnote
    assert cli([*dead, "--quiet", "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().err == ""                    # --quiet: the footnote says it


def test_a_batch_larger_than_the_training_split_is_said_and_one_epoch_is_singular(tmp_path):
    """Before 2026-12-06 `--batch-size 1000` on 16 training images was reported as "batch 1000"
    without a word, and the title read "1 epochs"."""
    with pytest.warns(study.StudyWarning, match=r"--batch-size 64 is larger than the training split \(16 images\)"):
        text = study.run_study(tiny(tmp_path, batch_size=64))
    assert "batch 16 (--batch-size 64 is larger than the 16 training images: one batch per epoch)" in text
    assert text.startswith("# Loss study: synthetic, 32x32, 1 epoch, seeds [0]")


def test_the_log_says_the_elapsed_time_and_the_time_left():
    """Before 2026-12-06 the log had no elapsed or remaining time for the whole study."""
    from semsegloss_swift.study import _duration, _progress
    assert _duration(5.4) == "5 s" and _duration(100) == "1 min 40 s" and _duration(3725) == "1 h 02 min"
    assert _progress(40, [18.0, 22.0], 3) == "study: 40 s elapsed; 3 runs left, about 1 min 00 s"
    assert _progress(40, [20.0], 1) == "study: 40 s elapsed; 1 run left, about 20 s"
    assert _progress(95, [20.0], 0) == "study: 1 min 35 s elapsed, all runs done"
