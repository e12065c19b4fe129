"""The system OpenBLAS (the trainer's sgemm) gets fast kernels on CPUs it does not know:
Debian's 0.3.21 falls back to its generic "Prescott" kernels on recent Intel Xeons
(2.5x slower training steps), so the package picks the core for its own import."""
from __future__ import annotations

import ctypes
import os

import pytest

import semsegloss_swift  # noqa: F401  (loads the system OpenBLAS)
from semsegloss_swift import _openblas_core as oc

INTEL_AVX512 = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\nflags\t\t: fpu sse2 avx avx2 fma " \
               "avx512f avx512dq avx512cd avx512bw avx512vl\n\nvendor_id\t: GenuineIntel\nflags\t\t: fpu\n"
INTEL_AVX2 = "vendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 avx avx2 fma\n"
INTEL_OLD = "vendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 sse3\n"
AMD_AVX512 = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl\n"


@pytest.mark.parametrize("text, core", [(INTEL_AVX512, "SkylakeX"), (INTEL_AVX2, "Haswell"),
                                        (INTEL_OLD, None), (AMD_AVX512, None), ("", None)])
def test_core_for_cpu(text, core):
    assert oc.core_for(text) == core


def test_the_variable_is_set_only_inside_the_import_and_never_over_the_users(monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    with oc.chosen_for_import(INTEL_AVX512) as core:
        assert core == "SkylakeX" and os.environ["OPENBLAS_CORETYPE"] == "SkylakeX"
    assert "OPENBLAS_CORETYPE" not in os.environ
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    with oc.chosen_for_import(INTEL_AVX512) as core:
        assert core is None and os.environ["OPENBLAS_CORETYPE"] == "Haswell"
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"


def loaded_system_openblas():
    """Path of the system libopenblas mapped into this process (NumPy's own is named
    differently)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "/libopenblas" in line}
    assert len(paths) == 1, paths
    return paths.pop()


def test_the_loaded_openblas_runs_the_kernels_for_this_cpu():
    lib = ctypes.CDLL(loaded_system_openblas())
    lib.openblas_get_corename.restype = ctypes.c_char_p
    name = lib.openblas_get_corename().decode()
    cpuinfo = oc._cpuinfo()
    expected = None if "OPENBLAS_CORETYPE" in os.environ else oc.core_for(cpuinfo)
    if expected is not None:
        assert name.lower() == expected.lower()
    if " avx2" in cpuinfo:
        assert name.lower() not in ("prescott", "core2", "katmai", "coppermine", "northwood", "banias")
