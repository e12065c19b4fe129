"""Trainer and U-Net checkpoints: a saved model loads with identical weights and
predictions, and a run resumed from a checkpoint is identical to an uninterrupted one."""
from __future__ import annotations

import os
import stat
import struct
import threading

import numpy as np
import pytest

import semsegloss_swift as ss
from training_data import TINY, disks


def test_model_save_load_round_trip(tmp_path):
    x, y = disks(8, seed=4)
    t = ss.Trainer(ss.UNet(seed=5, batch_norm=True, **TINY), lr=1e-2, batch_size=4)
    t.fit(x, y, epochs=1, verbose=False)
    path = tmp_path / "unet.ckpt"
    t.model.save(path)
    loaded = ss.UNet.load(str(path))
    assert loaded.batch_norm and loaded.num_parameters == t.model.num_parameters
    assert np.array_equal(loaded.get_parameters(), t.model.get_parameters())
    for output in ("logits", "probabilities", "mask"):
        assert np.array_equal(loaded.predict(x, output=output), t.model.predict(x, output=output))
    # a trainer checkpoint also loads as a model (t.predict uses the trainer's batch size:
    # another batch size may differ in the last bit, as the BLAS blocks the batch otherwise)
    t.save(tmp_path / "trainer.ckpt")
    from_trainer = ss.UNet.load(tmp_path / "trainer.ckpt")
    assert np.array_equal(from_trainer.get_parameters(), t.model.get_parameters())
    assert np.array_equal(from_trainer.predict(x, batch_size=t.batch_size), t.predict(x))
    np.testing.assert_allclose(from_trainer.predict(x), t.predict(x), rtol=0, atol=1e-6)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_resume_is_identical_to_uninterrupted(tmp_path, batch_norm):
    x, y = disks(11, seed=5)
    xv, yv = disks(4, seed=6)
    stop = {"monitor": "val_dice", "patience": 50}

    def fresh():
        return ss.Trainer(ss.UNet(seed=1, batch_norm=batch_norm, **TINY), loss="focal_tversky",
                          loss_options={"alpha": 0.6, "beta": 0.4}, lr=3e-3, batch_size=4, seed=9,
                          weight_decay=1e-4)

    full = fresh()
    full.fit(x, y, epochs=3, validation_data=(xv, yv), early_stopping=stop, verbose=False)

    path = tmp_path / "run.ckpt"
    first = fresh()
    first.fit(x, y, epochs=1, validation_data=(xv, yv), early_stopping=stop, checkpoint=path, verbose=False)
    del first
    resumed = ss.Trainer.load(path, loss="focal_tversky_loss", loss_options={"alpha": 0.6, "beta": 0.4})
    assert resumed.epoch == 1 and resumed.step == 3 and resumed.model.threads == 2
    h = resumed.fit(x, y, epochs=2, validation_data=(xv, yv), early_stopping=stop, verbose=False)
    assert h["epoch"] == [2, 3]

    assert np.array_equal(resumed.model.get_parameters(), full.model.get_parameters())
    assert np.array_equal(resumed.predict(xv, output="logits"), full.predict(xv, output="logits"))
    a, b = resumed.history, full.history
    for key in ("epoch", "loss", "val_loss", "val_iou", "val_dice", "val_accuracy"):
        assert a[key] == b[key], key
    assert np.isnan(a["time"][0]) and not np.isnan(a["time"][2])


def _reseal(data: bytearray) -> bytes:
    """The checkpoint with its FNV-1a checksum (the last 8 bytes) recomputed."""
    h = 0xCBF29CE484222325
    for byte in data[:-8]:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    data[-8:] = struct.pack("<Q", h)
    return bytes(data)


def test_crafted_checkpoints_are_refused_not_trapped(tmp_path):
    """A file with a valid checksum but values no training can produce (counters near
    Int64.max, NaN weights or moments, a saved thread count outside 1..4096, a NaN best
    validation score) raises OSError at load; before 2026-12-06 an epoch
    or Adam step of 2**63 - 1 loaded and the next fit trapped (killing the interpreter)."""
    x, y = disks(4, seed=2)
    t = ss.Trainer(ss.UNet(seed=3, **TINY), batch_size=4)
    t.fit(x, y, epochs=1, verbose=False)
    path = tmp_path / "ok.ckpt"
    t.save(path)
    good = bytearray(path.read_bytes())
    p = t.model.num_parameters
    header, model = 16, 40
    params = header + model + 8
    stats_count = params + 4 * p
    (s,) = struct.unpack_from("<q", good, stats_count)
    step = stats_count + 8 + 4 * s + 40
    moments_v = step + 8 + 4 * p
    epoch = step + 8 + 8 * p + 32
    assert struct.unpack_from("<q", good, step)[0] == t.step == 1
    assert struct.unpack_from("<q", good, epoch)[0] == t.epoch == 1
    threads, has_best = epoch - 16, epoch + 8 + 32
    assert 1 <= struct.unpack_from("<q", good, threads)[0] <= 4096
    assert good[has_best] == 0
    cases = {"step": [(step, "<q", 2**63 - 1)], "epoch": [(epoch, "<q", 2**63 - 1)],
             "nan parameter": [(params, "<f", float("nan"))], "negative moment": [(moments_v, "<f", -1.0)],
             "thread count": [(threads, "<q", 5000)], "no thread count": [(threads, "<q", 0)],
             "nan best": [(has_best, "<B", 1), (has_best + 1, "<d", float("nan"))],
             "best flag": [(has_best, "<B", 7)]}
    for name, fields in cases.items():
        bad = bytearray(good)
        for offset, fmt, value in fields:
            struct.pack_into(fmt, bad, offset, value)
        crafted = tmp_path / f"{name.replace(' ', '_')}.ckpt"
        crafted.write_bytes(_reseal(bad))
        with pytest.raises(OSError, match="not a valid SemSegLoss U-Net checkpoint"):
            ss.Trainer.load(crafted)
    # a thread count given to load replaces the saved one, so it is not read
    bad = bytearray(good)
    struct.pack_into("<q", bad, threads, 5000)
    (tmp_path / "threads_given.ckpt").write_bytes(_reseal(bad))
    assert ss.Trainer.load(tmp_path / "threads_given.ckpt", threads=1).epoch == 1
    bad = bytearray(good)
    struct.pack_into("<f", bad, params, float("inf"))
    (tmp_path / "inf.ckpt").write_bytes(_reseal(bad))
    with pytest.raises(OSError, match="NaN or infinite"):
        ss.UNet.load(tmp_path / "inf.ckpt")
    # the untouched file, resealed, still loads and trains
    (tmp_path / "same.ckpt").write_bytes(_reseal(bytearray(good)))
    ss.Trainer.load(tmp_path / "same.ckpt").fit(x, y, epochs=1, verbose=False)


def test_saving_follows_links_and_never_replaces_special_files(tmp_path):
    """Saves write a temporary file and rename it over the path: that used to replace a
    symbolic link by a file, a device (/dev/null, as root) or a FIFO by a regular file, and
    reset a file's permissions. Now a link's target is written, special files and
    directories are refused (on save and on load, without waiting on a FIFO), and an
    existing file keeps its mode."""
    m, other = ss.UNet(seed=1, **TINY), ss.UNet(seed=2, **TINY)
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "target.model"
    m.save(target)
    link = tmp_path / "link.model"
    link.symlink_to(target)
    other.save(link)
    assert link.is_symlink()
    assert np.array_equal(ss.UNet.load(target).get_parameters(), other.get_parameters())
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for special in (folder, fifo):
        with pytest.raises(OSError, match="not a regular file"):
            m.save(special)
        with pytest.raises(OSError, match="not a regular file"):
            ss.UNet.load(special)
    assert folder.is_dir() and stat.S_ISFIFO(os.stat(fifo).st_mode)
    os.chmod(target, 0o600)
    m.save(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    long_name = tmp_path / ("m" * 250)  # the temporary name does not grow with the file's
    m.save(long_name)
    assert np.array_equal(ss.UNet.load(long_name).get_parameters(), m.get_parameters())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["real", "link.model", "folder", "fifo", "m" * 250])


def test_a_large_file_that_is_not_a_checkpoint_is_refused_from_its_first_bytes(tmp_path):
    """Loading read the whole file before looking at it: a 100 GB file aborted the
    interpreter (a failed allocation). A sparse 64 GB file is refused at once now."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(64 << 30)
    with pytest.raises(OSError, match="bad magic"):
        ss.UNet.load(big)
    with pytest.raises(OSError, match="bad magic"):
        ss.Trainer.load(big)


def test_concurrent_saves_to_one_path_are_each_atomic(tmp_path):
    """Every thread of a process used the same temporary name: saves tore each other's
    files and failed to rename. Two threads saving and one loading must all succeed."""
    path = tmp_path / "shared.model"
    models = [ss.UNet(seed=s, **TINY) for s in (1, 2)]
    models[0].save(path)
    expected = [m.get_parameters() for m in models]
    errors = []

    def save(m):
        try:
            for _ in range(30):
                m.save(path)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    def load():
        try:
            for _ in range(60):
                p = ss.UNet.load(path).get_parameters()
                assert any(np.array_equal(p, e) for e in expected)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=save, args=(m,)) for m in models] + [threading.Thread(target=load)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["shared.model"]  # no temporary file left
