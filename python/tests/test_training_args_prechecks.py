"""`Trainer.fit`'s checks before its first step (audit of 2026-12-06): every
``early_stopping`` field, the ``checkpoint`` path and ``verbose`` are checked before the
model changes, naming the argument; a dangling symbolic link is followed to its target."""
from __future__ import annotations

import os

import numpy as np
import pytest

import semsegloss_swift as ss

TINY = dict(base_channels=2, depth=1, threads=1, seed=3)


def data(n=4, size=8):
    rng = np.random.default_rng(0)
    y = (rng.random((n, 1, size, size)) > 0.5).astype(np.float32)
    return (y + 0.1 * rng.standard_normal(y.shape)).astype(np.float32), y


def fails_unchanged(exc, fragments, **fit_kwargs):
    """Calls fit on a fresh trainer and checks that it raises `exc` with every fragment in
    its message, and that the model, the Adam step, the epoch and the history are unchanged."""
    x, y = data()
    t = ss.Trainer(ss.UNet(**TINY), batch_size=2, lr=1e-2)
    before = t.model.get_parameters()
    with pytest.raises(exc) as info:
        t.fit(x, y, **fit_kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))
    assert np.array_equal(t.model.get_parameters(), before)
    assert (t.step, t.epoch, t.history["epoch"]) == (0, 0, [])
    return str(info.value)


@pytest.mark.parametrize("min_delta", [-1.0, -1e-12, float("nan"), float("inf"), -float("inf")])
def test_a_bad_min_delta_fails_before_the_first_step(min_delta):
    """Before 2026-12-06 a negative, NaN or infinite min_delta passed the Python checks and
    the library refused it at the end of the first epoch: its Adam steps stayed applied
    (step 2) while the epoch was neither counted nor recorded."""
    x, y = data()
    fails_unchanged(ValueError, ["early_stopping: min_delta", "finite number >= 0", repr(min_delta)],
                    validation_data=(x, y), early_stopping={"min_delta": min_delta}, verbose=False)


@pytest.mark.parametrize("patience", [2 ** 31, 2 ** 52, np.int64(2 ** 40)])
def test_a_too_large_patience_states_the_accepted_range(patience):
    """Before 2026-12-06 patience >= 2**31 was refused with "patience: must be >= 1, got
    2147483648", a bound the value met; the message now gives the accepted range."""
    x, y = data()
    fails_unchanged(ValueError, ["early_stopping: patience", "[1, 2147483647]", str(int(patience))],
                    validation_data=(x, y), early_stopping={"patience": patience}, verbose=False)


def test_the_largest_patience_and_a_zero_min_delta_are_accepted():
    x, y = data()
    t = ss.Trainer(ss.UNet(**TINY), batch_size=2, lr=1e-2)
    h = t.fit(x, y, validation_data=(x, y), early_stopping={"patience": 2 ** 31 - 1, "min_delta": 0.0},
              verbose=False)
    assert h["epoch"] == [1]
    fails_unchanged(ValueError, ["early_stopping: patience", "[1, 2147483647]", "got 0"],
                    validation_data=(x, y), early_stopping={"patience": 0}, verbose=False)


def _links(tmp_path):
    loop1, loop2 = tmp_path / "loop1", tmp_path / "loop2"
    loop1.symlink_to(loop2)
    loop2.symlink_to(loop1)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing" / "x.ckpt")
    return loop1, dangling


def test_bad_checkpoint_paths_fail_before_the_first_step_naming_checkpoint(tmp_path):
    """Before 2026-12-06 a symbolic-link loop, a dangling link into a missing folder, the
    empty string and a file name longer than the file system allows passed the pre-checks:
    each was refused after epoch 1 had trained and been recorded, naming `path`."""
    loop, dangling = _links(tmp_path)
    cases = [
        (loop, ["checkpoint: ", "symbolic link that cannot be followed"]),
        (dangling, ["checkpoint: ", "does not exist"]),
        ("", ["checkpoint: must not be empty"]),
        (tmp_path / ("a" * 300), ["checkpoint: ", "file name", "too long"]),
    ]
    for path, fragments in cases:
        message = fails_unchanged(OSError, fragments, checkpoint=path, verbose=False)
        assert not message.startswith("path:"), message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "loop1", "loop2"]


def test_a_dangling_link_into_an_existing_folder_is_followed(tmp_path):
    """Saves follow symbolic links (README). Before 2026-12-06 a link whose target did not
    exist yet was refused ("a symbolic link that cannot be followed"), by fit after the
    first epoch; now fit, Trainer.save and UNet.save write the link's target."""
    x, y = data()
    (tmp_path / "runs").mkdir()
    link = tmp_path / "run.ckpt"
    link.symlink_to(os.path.join("runs", "run.ckpt"))  # relative, as ln -s makes them
    t = ss.Trainer(ss.UNet(**TINY), batch_size=2, lr=1e-2)
    t.fit(x, y, checkpoint=link, verbose=False)
    assert link.is_symlink() and (tmp_path / "runs" / "run.ckpt").is_file()
    assert ss.Trainer.load(link).step == t.step == 2
    for name, save in (("t.ckpt", t.save), ("m.model", t.model.save)):
        other = tmp_path / ("link-" + name)
        other.symlink_to(tmp_path / "runs" / name)
        save(other)
        assert other.is_symlink() and (tmp_path / "runs" / name).is_file()
    assert np.array_equal(ss.UNet.load(tmp_path / "link-m.model").get_parameters(), t.model.get_parameters())


@pytest.mark.parametrize("verbose, exc", [
    ("no", TypeError), (0.5, TypeError), ([0], TypeError), (None, TypeError),
    (3, ValueError), (-1, ValueError), (np.int64(5), ValueError),
])
def test_verbose_must_be_a_bool_or_0_1_2(verbose, exc, capsys):
    """Before 2026-12-06 any value was accepted: "no", 3, -1, 0.5 and [0] all printed
    progress lines ("no" being a non-empty string)."""
    fails_unchanged(exc, ["verbose: ", "0, 1 or 2"], verbose=verbose)
    captured = capsys.readouterr()
    assert "epoch" not in captured.out + captured.err


@pytest.mark.parametrize("verbose", [False, True, 0, 1, 2, np.bool_(False), np.int64(2)])
def test_documented_verbose_values_are_accepted(verbose, capsys):
    x, y = data()
    t = ss.Trainer(ss.UNet(**TINY), batch_size=2, lr=1e-2)
    assert t.fit(x, y, verbose=verbose)["epoch"] == [1]
    captured = capsys.readouterr()  # lines on stdout, or a tqdm bar on stderr
    assert ("epoch 1/1" in captured.out + captured.err) == bool(verbose)
