"""8 Python threads calling losses and metrics at once (different inputs per thread,
several iterations) give bit-identical results to sequential calls."""
from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

import semsegloss_swift as ss
from conftest import ALL_LOSSES, METRIC_NAMES

THREADS = 8
ITERATIONS = 4


def make_input(k):
    rng = np.random.default_rng(100 + k)
    shape = (2, 2, 48 + 4 * k, 40)
    dtype = np.float32 if k % 2 else np.float64
    x = rng.normal(0, 3, shape).astype(dtype)
    g = (rng.random(shape) < 0.4).astype(dtype)
    g[rng.random(shape) < 0.05] = 255
    return x, g


def work(k):
    """Every loss (value and gradient) and metric on thread k's input, as raw bytes."""
    x, g = make_input(k)
    out = []
    for name in ALL_LOSSES:
        opts = dict(mode="multilabel", ignore_index=255)
        if name != "dice_bce_loss" and k % 3 == 0:
            opts["reduction"] = "none"
        loss, grad = getattr(ss, name)(x, g, return_grad=True, **opts)
        out.append(np.asarray(loss).tobytes())
        out.append(grad.tobytes())
    for name in METRIC_NAMES:
        v = getattr(ss.metrics, name)(x, g, mode="multilabel", from_logits=True, ignore_index=255,
                                      reduction="none")
        out.append(v.tobytes())
    out.append(ss.metrics.confusion_counts(x, g, mode="multilabel", from_logits=True,
                                           ignore_index=255).tobytes())
    return out


def run_threads(target_fn):
    results = [[None] * ITERATIONS for _ in range(THREADS)]
    errors = []
    barrier = threading.Barrier(THREADS)

    def body(k):
        try:
            barrier.wait()
            for it in range(ITERATIONS):
                results[k][it] = target_fn(k)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append((k, exc))

    threads = [threading.Thread(target=body, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    return results


def test_concurrent_calls_are_bit_identical_to_sequential():
    sequential = [work(k) for k in range(THREADS)]
    results = run_threads(work)
    for k in range(THREADS):
        for it in range(ITERATIONS):
            got = results[k][it]
            assert len(got) == len(sequential[k])
            for j, (a, b) in enumerate(zip(got, sequential[k])):
                assert a == b, f"thread {k} iteration {it} output {j} differs from the sequential call"


def test_concurrent_one_sweep_compound_losses():
    """The compound losses on batches where they run both parts in one sweep per row (logits,
    rows of whole 1024-voxel blocks, at least two rows per worker thread): concurrent calls
    give the bits of sequential ones."""
    names = ("dice_bce_loss", "dice_ce_loss", "dice_focal_loss", "combo_loss", "unified_focal_loss",
             "generalized_dice_focal_loss")
    rows = 2 * (__import__("os").cpu_count() or 1)

    def job(k):
        rng = np.random.default_rng(200 + k)
        shape = (rows, 1, 32, 32 * (1 + k % 3))
        x = rng.normal(0, 3, shape).astype(np.float32 if k % 2 else np.float64)
        g = (rng.random(shape) < 0.4).astype(x.dtype)
        out = []
        for name in names:
            loss, grad = getattr(ss, name)(x, g, return_grad=True)
            out += [np.float64(loss).tobytes(), grad.tobytes()]
        return out

    sequential = [job(k) for k in range(THREADS)]
    results = run_threads(job)
    for k in range(THREADS):
        for it in range(ITERATIONS):
            assert results[k][it] == sequential[k], f"thread {k} iteration {it} differs from the sequential call"


def test_errors_raised_concurrently_do_not_leak_between_threads():
    """Half of the threads raise (bad target), half succeed; each gets its own outcome."""
    def job(k):
        x, g = make_input(k)
        if k % 2:
            with pytest.raises(ValueError, match="target"):
                ss.dice_loss(x, g, mode="multilabel")  # 255 without ignore_index
            return "raised"
        return ss.dice_loss(x, g, mode="multilabel", ignore_index=255)

    results = run_threads(job)
    for k in range(THREADS):
        for it in range(ITERATIONS):
            if k % 2:
                assert results[k][it] == "raised"
            else:
                x, g = make_input(k)
                assert results[k][it] == ss.dice_loss(x, g, mode="multilabel", ignore_index=255)


def test_gil_is_released_during_a_call():
    """While one thread runs a large loss, another Python thread keeps making progress."""
    rng = np.random.default_rng(7)
    shape = (8, 3, 160, 160)
    x = rng.normal(size=shape)
    g = (rng.random(shape) < 0.5).astype(np.float64)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1.0)  # without GIL release the ticker would starve for ~1 s slices
    try:
        t = threading.Thread(target=ticker)
        t.start()
        time.sleep(0.01)
        start = time.perf_counter()
        for _ in range(5):
            ss.dice_bce_loss(x, g, mode="multilabel", return_grad=True)
            ss.focal_loss(x, g, mode="multilabel", return_grad=True)
        end = time.perf_counter()
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(old)
    during = [s for s in ticks if start <= s <= end]
    assert len(during) > 10, f"ticker ran {len(during)} times during {end - start:.3f}s of library calls"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_forked_child_computes_the_same_large_losses():
    """A child forked while the library holds pooled scratch buffers (and worker threads)
    computes the same values: the pool and the worker pool step aside after fork()."""
    import os
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2, (4, 1, 200, 200)).astype(np.float32)
    g = (rng.random(x.shape) < 0.3).astype(np.float32)
    names = ["lovasz_softmax_loss", "top_k_ce_loss", "ssim_loss"]
    want = [getattr(ss, n)(x, g, mode="binary", return_grad=True) for n in names]
    pid = os.fork()
    if pid == 0:  # child: exit 0 only if every result matches
        code = 1
        try:
            got = [getattr(ss, n)(x, g, mode="binary", return_grad=True) for n in names]
            same = all(a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(got, want))
            code = 0 if same else 2
        finally:
            os._exit(code)
    deadline = time.time() + 60
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child did not finish within 60 s")
    assert os.waitstatus_to_exitcode(status) == 0
