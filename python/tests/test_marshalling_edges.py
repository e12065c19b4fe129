"""Inputs the C marshalling must not misread: label maps at the edges of the integer
types, and a level list that changes while its arrays are converted (found by an input
audit on 2026-12-06)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import semsegloss_swift as ss

LABEL_LOSSES = ("cross_entropy_loss", "dice_loss", "focal_loss", "lovasz_softmax_loss", "top_k_ce_loss")


def _labels(dtype=np.int64):
    return np.array([[[0, 1], [2, 1]]], dtype=dtype)


@pytest.mark.parametrize("name", LABEL_LOSSES)
def test_int64_min_label_is_out_of_range_without_ignore_index(name):
    """Int64.min is the kernels' placeholder for "no ignore_index"; a label equal to it
    used to be skipped silently (the mean then covered three voxels of four)."""
    x = np.random.default_rng(0).standard_normal((1, 3, 2, 2))
    t = _labels()
    t[0, 0, 0] = np.iinfo(np.int64).min
    with pytest.raises(ValueError, match=r"target: labels must lie in \[0, 3\).*-9223372036854775808"):
        ss.LOSSES[name](x, t, mode="multiclass")
    # with ignore_index set to that value it is an ordinary ignored voxel
    assert np.isfinite(ss.LOSSES[name](x, t, mode="multiclass", ignore_index=int(np.iinfo(np.int64).min)))


@pytest.mark.parametrize("name", LABEL_LOSSES)
def test_uint64_labels_that_do_not_fit_int64_are_refused(name):
    """uint64 labels used to wrap: 2**63 became Int64.min (skipped), 2**64 - 1 became -1
    (ignored with ignore_index=-1, or reported as "-1")."""
    x = np.random.default_rng(1).standard_normal((1, 3, 2, 2))
    small = _labels(np.uint64)
    assert ss.LOSSES[name](x, small, mode="multiclass") == ss.LOSSES[name](x, _labels(), mode="multiclass")
    for big, options in ((2**63, {}), (2**64 - 1, {"ignore_index": -1})):
        t = small.copy()
        t[0, 1, 0] = big
        with pytest.raises(ValueError, match=f"target: label {big} at flat index 2 does not fit in int64"):
            ss.LOSSES[name](x, t, mode="multiclass", **options)


def test_metrics_refuse_uint64_labels_beyond_int64():
    p = np.random.default_rng(2).random((1, 3, 2, 2))
    t = _labels(np.uint64)
    t[0, 0, 1] = 2**64 - 1
    with pytest.raises(ValueError, match="target: label 18446744073709551615 at flat index 1"):
        ss.metrics.iou(p, t, mode="multiclass", ignore_index=-1)


def test_level_list_changed_during_conversion_is_read_as_it_was():
    """Converting a level may run Python code (`__array__`); if that code empties the
    caller's list the extension used to read past its end (SIGSEGV). It now converts a
    snapshot of the list. Run in a child process so that a regression cannot take the
    test runner down with it."""
    code = textwrap.dedent("""
        import numpy as np, semsegloss_swift as ss
        x0 = np.zeros((2, 1, 16, 16), np.float32); x1 = np.zeros((2, 1, 8, 8), np.float32)
        t = np.zeros_like(x0)
        class Shrinking:
            def __init__(self, levels): self.levels = levels
            def __array__(self, dtype=None, copy=None):
                self.levels.clear()
                return x1
        levels = [x0, None, x1, x1, x1]
        levels[1] = Shrinking(levels)
        value = ss.deep_supervision_loss(levels, t)
        assert levels == [] and np.isfinite(value), value
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", (done.returncode, done.stderr[-2000:])


OUT_OF_MEMORY = textwrap.dedent("""
    import resource, sys
    import numpy as np, semsegloss_swift as ss
    name, mode = sys.argv[1], sys.argv[2]
    fn = getattr(ss.metrics, name[8:]) if name.startswith("metrics.") else ss.LOSSES[name]
    rng = np.random.default_rng(0)
    shape = (1, 4, 1024, 2048) if mode == "multiclass" else (4, 1, 1024, 2048)
    x = rng.random(shape, dtype=np.float32)
    t = rng.integers(0, 4, (1, 1024, 2048)) if mode == "multiclass" else (x > 0.5).astype(np.float32)
    options = {"mode": mode}
    fn(x[..., :64, :64], t[..., :64, :64], **options)  # worker threads started
    ss.release_scratch_memory()
    with open("/proc/self/status") as status:
        used = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize:"))
    # room for a few MB more, not for a buffer the size of the input (32 MB)
    resource.setrlimit(resource.RLIMIT_AS, (used + (16 << 20), resource.RLIM_INFINITY))
    try:
        fn(x, t, **options)
    except MemoryError as e:
        print("MemoryError", e)
    else:
        print("no error")
""")


@pytest.mark.parametrize("name, mode", [("lovasz_softmax_loss", "multiclass"), ("ssim_loss", "binary"),
                                        ("top_k_ce_loss", "binary"), ("soft_cldice_loss", "binary"),
                                        ("hausdorff_dt_loss", "multiclass"), ("nacl_loss", "binary")])
def test_scratch_memory_that_cannot_be_had_is_a_memory_error(name, mode):
    """Scratch buffers as large as the input used to come from Swift's allocator, which
    aborts the process when memory runs out; they now raise MemoryError naming `input`.
    The child process limits its address space to a little more than it already uses.
    (A survey of every loss in both modes this way on 2026-12-06: 34 raise MemoryError, the
    rest need no input-sized scratch and return; none aborts.)"""
    done = subprocess.run([sys.executable, "-c", OUT_OF_MEMORY, name, mode], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.startswith("MemoryError input: out of memory"), done.stdout


@pytest.mark.parametrize("name", ["metrics.confusion_counts", "metrics.iou", "metrics.hausdorff_distance"])
def test_multiclass_metrics_without_memory_for_their_class_maps_raise_memory_error(name):
    """The multiclass metrics keep a predicted and a true class per voxel (16 MB each here);
    before 2026-12-06 those came from Swift arrays and the interpreter aborted when memory
    ran out. Set-up as above."""
    done = subprocess.run([sys.executable, "-c", OUT_OF_MEMORY, name, "multiclass"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.startswith("MemoryError input: "), done.stdout
