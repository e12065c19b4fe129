"""Randomised calls of the whole public API never crash the interpreter, raise only
ValueError / TypeError, return gradients of the input's shape and leave the caller's arrays
alone (`fuzz_calls.py`). Each seed runs in its own interpreter, so that a crash (a Swift
trap, a segfault) fails this test with the call that caused it instead of ending the run."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CALLS = 2500


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_random_calls_raise_only_value_or_type_errors(seed, tmp_path):
    last_call = tmp_path / "last_call.txt"
    env = dict(os.environ, FUZZ_LAST_CALL=str(last_call))
    run = subprocess.run([sys.executable, str(HERE / "fuzz_calls.py"), str(seed), str(CALLS)],
                         capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    report = run.stdout + run.stderr
    if run.returncode not in (0, 1):
        call = last_call.read_text() if last_call.exists() else "?"
        pytest.fail(f"the interpreter died (exit {run.returncode}) during: {call}\n{report[-2000:]}")
    assert run.returncode == 0, report
    counts = dict(part.split("=") for part in report.split("\n")[0].split())
    # Enough calls get past validation for the fuzzing to exercise the kernels too.
    assert int(counts["returned"]) > CALLS // 5, report
    assert int(counts["rejected"]) > CALLS // 5, report
