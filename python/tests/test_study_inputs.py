"""The study's inputs (audit): every StudyConfig field and CLI option is checked by name
before anything is trained, repeated losses or seeds are refused, an output folder whose
finished runs cannot be verified is refused, broken run files are named, too few images
are reported before training, and Ctrl-C ends with one line (exit 130)."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from semsegloss_swift import study
from semsegloss_swift._training_args import check_path
from semsegloss_swift.__main__ import main as cli

TINY_CLI = ["--size", "16", "--n", "20", "--epochs", "1", "--base-channels", "2", "--depth", "1", "--quiet"]


def squares(n=20, size=16):
    y = np.zeros((n, size, size), np.uint8)
    y[:, 4:12, 4:12] = 1
    return (y * 200 + np.random.default_rng(0).integers(0, 50, y.shape)).astype(np.uint8), y


def tiny(out, **kw):
    cfg = dict(data="squares", losses=["jaccard"], epochs=1, size=16, batch_size=4, base_channels=4, depth=2,
               batch_norm=True, out=str(out), verbose=False)
    cfg.update(kw)
    return study.StudyConfig(**cfg)


@pytest.mark.parametrize("field, value, error, message", [
    ("losses", "dice_bce", TypeError, "losses: expected a list of loss names"),
    ("losses", [], ValueError, "losses: give at least one loss"),
    ("losses", ["dice_bce", "jaccard", "dice_bce"], ValueError, "losses: ['dice_bce'] given more than once"),
    ("losses", [3], TypeError, "losses: expected a list of loss names"),
    ("seeds", 0, TypeError, "seeds: expected a list of ints"),
    ("seeds", [], ValueError, "seeds: give at least one seed"),
    ("seeds", [0, 1, 0], ValueError, "seeds: [0] given more than once"),
    ("seeds", [-1], ValueError, "seeds: each seed must be an integer in [0, 2**64 - 1]"),
    ("seeds", [2 ** 64], ValueError, "seeds: each seed must be an integer in [0, 2**64 - 1]"),
    ("seeds", ["0"], TypeError, "seeds: expected a list of ints"),
    ("epochs", 1.5, TypeError, "epochs: expected an int, got 1.5"),
    ("epochs", "2", TypeError, "epochs: expected an int, got '2'"),
    ("size", 16.0, TypeError, "size: expected an int"),
    ("batch_size", True, TypeError, "batch_size: expected an int"),
    ("data_seed", -1, ValueError, "data_seed: must be >= 0"),
    ("lr", "1e-3", TypeError, "lr: expected a number, got '1e-3'"),
    ("out", None, TypeError, "out: expected a str or os.PathLike path"),
    ("out", "study\0out", ValueError, "out: the path contains a NUL byte"),
    ("data", None, TypeError, "data: expected a data specification"),
])
def test_study_config_fields_are_checked_by_name_before_training(tmp_path, field, value, error, message):
    out = tmp_path / "out"
    cfg = tiny(out, **{field: value}) if field != "out" else tiny(out)
    if field == "out":
        cfg.out = value
    with pytest.raises(error) as e:
        study.run_study(cfg, arrays=squares())
    assert str(e.value).startswith(message), str(e.value)
    assert not out.exists()                                  # refused before any folder or run


def test_numpy_scalars_are_accepted_and_stored_as_json(tmp_path):
    cfg = tiny(tmp_path, epochs=np.int64(1), lr=np.float32(1e-3), seeds=(np.int64(0),), losses=("jaccard",))
    study.run_study(cfg, arrays=squares())
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["epochs"] == 1 and config["seeds"] == [0] and config["losses"] == ["jaccard"]


def test_arrays_must_be_a_pair_and_hold_three_images(tmp_path):
    x, y = squares()
    with pytest.raises(TypeError, match=r"^arrays: expected a pair \(images, masks\), got tuple of 1"):
        study.run_study(tiny(tmp_path / "a"), arrays=(x,))
    with pytest.raises(ValueError, match="^data: squares has 2 image.*needs at least 3"):
        study.run_study(tiny(tmp_path / "b"), arrays=(x[:2], y[:2]))
    assert os.listdir(tmp_path / "b" / "runs") == []          # reported before any training
    with pytest.warns(study.StudyWarning, match="larger than the training split"):
        study.run_study(tiny(tmp_path / "c", verbose=True), arrays=(x[:4], y[:4]))  # 4 images: 2 / 1 / 1, a test image
    metrics = json.loads((tmp_path / "c" / "runs" / "jaccard-seed0" / "metrics.json").read_text())
    assert not np.isnan(metrics["accuracy"])


def test_cli_list_options_name_themselves(tmp_path, capsys):
    cases = [(["--losses", ","], "--losses: give at least one loss (got an empty list)"),
             (["--losses", "dice_bce,dice_bce"], "--losses: ['dice_bce'] given more than once"),
             (["--seeds", "0,0"], "--seeds: [0] given more than once"),
             (["--seeds", "a"], "--seeds: expected comma-separated integers such as 0,1,2, got 'a'"),
             (["--seeds", ""], "--seeds: give at least one seed (got an empty list)")]
    for options, message in cases:
        assert cli(["study", *TINY_CLI, "--out", str(tmp_path / "out"), *options]) == 2, options
        err = capsys.readouterr().err
        assert err.startswith(f"semsegloss-swift study: error: {message}") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_cli_out_that_is_not_a_folder(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    assert cli(["study", *TINY_CLI, "--out", str(tmp_path / "file")]) == 2
    assert capsys.readouterr().err == f"semsegloss-swift study: error: --out: {tmp_path / 'file'} is a file, not a folder\n"
    assert cli(["study", *TINY_CLI, "--out", str(tmp_path / "file" / "below")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"semsegloss-swift study: error: --out: cannot create the folder {tmp_path / 'file'}")
    assert (tmp_path / "file").read_text() == "not a folder"


def finished(tmp_path):
    """An output folder with one finished run (jaccard, seed 0) of the tiny setup."""
    x, y = squares()
    study.run_study(tiny(tmp_path), arrays=(x, y))
    return (x, y), tmp_path / "runs" / "jaccard-seed0"


def test_finished_runs_without_a_readable_config_are_refused(tmp_path):
    """A missing or broken config.json used to be ignored: old runs of any setup were reused."""
    arrays, _ = finished(tmp_path)
    config = tmp_path / "config.json"
    for text in (None, "{", "[1, 2]"):
        if text is None:
            config.unlink()
        else:
            config.write_text(text)
        with pytest.raises(ValueError, match=f"^out: {tmp_path} has (no|an unreadable) config.json.*"
                                             r"1 finished run\(s\) \(e.g. jaccard-seed0\) cannot be verified"):
            study.run_study(tiny(tmp_path, epochs=2), arrays=arrays)
        assert config.exists() == (text is not None) and (text is None or config.read_text() == text)
    config.unlink()
    for name in os.listdir(tmp_path / "runs" / "jaccard-seed0"):
        if name == "metrics.json":                           # an unfinished run only: nothing is reused
            os.remove(tmp_path / "runs" / "jaccard-seed0" / name)
    study.run_study(tiny(tmp_path, epochs=2), arrays=arrays)
    assert json.loads(config.read_text())["epochs"] == 2


def test_broken_files_of_a_finished_run_are_named(tmp_path):
    arrays, run = finished(tmp_path)
    good = json.loads((run / "metrics.json").read_text())
    cases = [("metrics.json", json.dumps(good)[:30], "is unreadable"),
             ("metrics.json", json.dumps({k: v for k, v in good.items() if k != "iou"}), "lacks the number(s) iou"),
             ("metrics.json", json.dumps(dict(good, iou="0.9")), "lacks the number(s) iou"),
             ("metrics.json", json.dumps(dict(good, epochs=7)), "is a run of loss 'jaccard', seed 0, 7 epochs"),
             ("metrics.json", json.dumps(dict(good, seed=3)), "is a run of loss 'jaccard', seed 3"),
             ("history.json", '{"loss": [1', "is unreadable")]
    for name, text, words in cases:
        (run / "metrics.json").write_text(json.dumps(good))
        (run / name).write_text(text)
        with pytest.raises(ValueError) as e:
            study.run_study(tiny(tmp_path), arrays=arrays)
        assert str(e.value).startswith(f"out: {run / name} {words}"), str(e.value)
        assert str(e.value).endswith(f"delete the folder {run} to train that run again")


@pytest.mark.parametrize("cfg", [{"data": "synthetic"}, "synthetic", None])
def test_run_study_names_a_config_that_is_not_a_study_config(cfg, tmp_path):
    """Before 2026-12-06 a dict raised AttributeError ("'dict' object has no attribute
    'validate'"); the docstring asks for a StudyConfig, and the message says how to make one."""
    with pytest.raises(TypeError, match=r"^cfg: expected a study.StudyConfig, got (dict|str|NoneType); "
                                        r"for a dict of its fields pass StudyConfig\(\*\*fields\)$"):
        study.run_study(cfg)
    assert list(tmp_path.iterdir()) == []


def test_check_path_names_the_argument_for_a_nul_byte():
    for name in ("path", "checkpoint", "out"):
        with pytest.raises(ValueError, match=f"^{name}: the path contains a NUL byte"):
            check_path(name, "run\0.ckpt")
    assert check_path("path", "run.ckpt") == "run.ckpt"


def test_ctrl_c_ends_the_study_with_one_line_and_exit_130(tmp_path):
    """SIGINT during training used to print a full traceback."""
    package = os.path.dirname(os.path.dirname(study.__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package, os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-W", "ignore", "-m", "semsegloss_swift", "study", "--size", "32", "--n", "40",
               "--epochs", "100000", "--base-channels", "2", "--depth", "1", "--losses", "focal",
               "--out", str(tmp_path / "out")]
    p = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in p.stdout:
            if "epoch 1/" in line:
                break
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130
    assert "Traceback" not in err
    assert err.strip() == ("semsegloss-swift study: interrupted; rerun the same command to resume "
                           "(finished runs are kept; the interrupted run starts again from its first epoch)")


def test_a_rerun_on_the_same_file_spelt_otherwise_or_with_another_n_is_accepted(tmp_path, monkeypatch):
    """The data's SHA-1 decides whether a rerun studies the same images: before 2026-12-06
    the same .npz under another spelling of its path (./data/x.npz), or an --n that a file's
    data ignores, was refused as another setup."""
    x, y = squares()
    (tmp_path / "data").mkdir()
    np.savez(tmp_path / "data" / "x.npz", images=x, masks=y)
    monkeypatch.chdir(tmp_path)
    out = ["--out", str(tmp_path / "o"), "--losses", "jaccard"] + TINY_CLI
    assert cli(["study", "--data", "npz:data/x.npz"] + out) == 0
    assert cli(["study", "--data", "npz:./data/x.npz"] + out + ["--n", "7"]) == 0
    # other images are still refused
    np.savez(tmp_path / "data" / "x.npz", images=x[::-1], masks=y[::-1])
    assert cli(["study", "--data", "npz:data/x.npz"] + out) == 2


@pytest.mark.parametrize("args, message", [
    (["--batch-size", "0"], "--batch-size: must be positive"),
    (["--lr", "-1"], "--lr: must be a positive number"),
    (["--base-channels", "0"], "--base-channels: "),
])
def test_cli_errors_name_the_option_typed(tmp_path, capsys, args, message):
    """Before 2026-12-06 the CLI's errors named the StudyConfig field (batch_size:)."""
    assert cli(["study", "--out", str(tmp_path / "o")] + TINY_CLI + args) == 2
    assert capsys.readouterr().err.startswith("semsegloss-swift study: error: " + message)
