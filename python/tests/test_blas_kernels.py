"""`training.blas_kernels()` and the trainer's warning when OpenBLAS runs generic kernels
on a CPU with AVX2 / AVX-512 (a fresh interpreter per case: OpenBLAS picks its kernels
once per process, when it loads)."""
import ctypes
import json
import os
import subprocess
import sys

import semsegloss_swift as ss
from semsegloss_swift import _openblas_core as oc

from test_openblas_core import loaded_system_openblas

_AVX512 = ("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl")


def cpu_flags():
    for line in oc._cpuinfo().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def expected_faster(core):
    """The rule, restated: a kernel set without AVX2 on a CPU with AVX2 and FMA."""
    flags = cpu_flags()
    generic = {"prescott", "core2", "penryn", "dunnington", "nehalem", "sandybridge", "atom", "katmai",
               "coppermine", "northwood", "banias", "athlon", "opteron", "opteron_sse3", "barcelona",
               "bobcat", "bulldozer", "piledriver", "steamroller", "nano", "unknown"}
    if core.lower() not in generic or "avx2" not in flags or "fma" not in flags:
        return None
    return "SkylakeX" if all(f in flags for f in _AVX512) else "Haswell"


def test_this_process_reports_the_loaded_kernels():
    info = ss.training.blas_kernels()
    lib = ctypes.CDLL(loaded_system_openblas())
    lib.openblas_get_corename.restype = ctypes.c_char_p
    assert info["core"] == lib.openblas_get_corename().decode()
    assert info["faster_core"] == expected_faster(info["core"])
    if "OPENBLAS_CORETYPE" not in os.environ:
        assert info["chosen_by_import"] == oc.core_for(oc._cpuinfo())
        # What the import chose is what OpenBLAS runs, and it is not a fallback.
        if info["chosen_by_import"] is not None:
            assert info["core"].lower() == info["chosen_by_import"].lower()
            assert info["faster_core"] is None


PROBE = r"""
import json, warnings
import numpy as np
import semsegloss_swift as ss
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = ss.UNet(base_channels=2, depth=1, threads=1)
    ss.Trainer(model, loss="dice", batch_size=2)
    ss.Trainer(model, loss="dice", batch_size=2)
print(json.dumps({"info": ss.training.blas_kernels(),
                  "warnings": [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)],
                  "files": [w.filename for w in caught if issubclass(w.category, RuntimeWarning)]}))
"""


def probe(core):
    env = dict(os.environ, OPENBLAS_CORETYPE=core)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_generic_kernels_are_reported_and_the_trainer_warns_once():
    r = probe("Prescott")
    info = r["info"]
    assert info["core"] == "Prescott"
    assert info["chosen_by_import"] is None  # the user's variable is kept
    faster = expected_faster("Prescott")
    assert info["faster_core"] == faster
    if faster is None:  # a CPU without AVX2: Prescott is no worse than the alternatives
        assert r["warnings"] == []
    else:
        assert len(r["warnings"]) == 1, r["warnings"]
        message = r["warnings"][0]
        assert "'Prescott'" in message and f"OPENBLAS_CORETYPE={faster}" in message
        assert r["files"] == ["<string>"], r["files"]  # points at the caller of Trainer(...)


def test_no_warning_with_avx2_kernels():
    flags = cpu_flags()
    if "avx2" not in flags or "fma" not in flags:
        # Haswell kernels cannot run here; the rule is covered by the Swift tests.
        assert expected_faster("Haswell") is None
        return
    r = probe("Haswell")
    assert r["info"]["core"] == "Haswell"
    assert r["info"]["faster_core"] is None
    assert r["warnings"] == []
