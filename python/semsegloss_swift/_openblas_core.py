"""Choosing the OpenBLAS kernels before the library loads.

The U-Net trainer's convolutions run on the system's OpenBLAS (Debian's ``libopenblas0``,
0.3.21 on bookworm), built with ``DYNAMIC_ARCH``: when it loads, it picks its kernels for
the CPU it detects. That version does not know Intel CPUs newer than its release (e.g.
Sapphire/Emerald Rapids Xeons, family 6 model 143/207) and falls back to its most generic
kernels ("Prescott", SSE3). On a 2-vCPU Xeon (model 207) that made a training step at
128×128 take 1.40 s instead of 0.55 s (``benchmarks/bench_training.py``).

OpenBLAS reads ``OPENBLAS_CORETYPE`` once, when it is loaded. So, unless the user set it,
the package sets it for the duration of its own import (the import of ``_core`` loads
OpenBLAS) and then restores the environment: ``SkylakeX`` on Intel CPUs with AVX-512,
``Haswell`` on Intel CPUs with AVX2 and FMA. Other CPUs (AMD, which that OpenBLAS detects)
are left to OpenBLAS's own detection. Swift programs that link ``SemSegTraining`` directly
can set the variable themselves (README, "Training a U-Net").

After the import, `blas_kernels` (``semsegloss_swift.training.blas_kernels``) reports the
kernels OpenBLAS runs, and `warn_if_generic` (called by ``Trainer``) warns once per process
when they are a generic fallback on a CPU with AVX2.
"""
from __future__ import annotations

import contextlib
import os
import platform
import warnings

from ._stack_level import user_stacklevel

#: The OPENBLAS_CORETYPE the package's import set while it loaded OpenBLAS, or None
#: (``training.blas_kernels()`` reports it).
chosen: str | None = None

#: AVX-512 subsets the SkylakeX kernels use.
_AVX512 = ("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl")


def core_for(cpuinfo: str) -> str | None:
    """The OPENBLAS_CORETYPE to force for the CPU described by /proc/cpuinfo text, or None
    to keep OpenBLAS's own choice."""
    vendor, flags = "", set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "vendor_id" and not vendor:
            vendor = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    if vendor != "GenuineIntel":
        return None
    if all(f in flags for f in _AVX512):
        return "SkylakeX"
    if "avx2" in flags and "fma" in flags:
        return "Haswell"
    return None


def _cpuinfo() -> str:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return ""
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


@contextlib.contextmanager
def chosen_for_import(cpuinfo: str | None = None):
    """Sets OPENBLAS_CORETYPE (if unset and `core_for` names a core) inside the block, and
    restores the environment after it; records the core set in `chosen`."""
    global chosen
    name = "OPENBLAS_CORETYPE"
    core = None if name in os.environ else core_for(_cpuinfo() if cpuinfo is None else cpuinfo)
    chosen = core
    if core is not None:
        os.environ[name] = core
    try:
        yield core
    finally:
        if core is not None:
            os.environ.pop(name, None)


# ---------------------------------------------------------------- after the import: what OpenBLAS runs

_warned = False


def blas_kernels() -> dict[str, str | None]:
    """The OpenBLAS kernels the trainer's convolutions run on.

    Returns a dict:

    - ``core``: OpenBLAS's name for its kernels ("SkylakeX", "Haswell", "Zen", "Prescott"...);
    - ``faster_core``: the ``OPENBLAS_CORETYPE`` that would be faster on this CPU when
      ``core`` is a generic fallback (kernels without AVX2 on a CPU with AVX2 and FMA),
      else None. Debian's OpenBLAS 0.3.21 falls back to "Prescott" on Intel CPUs newer than
      itself: training steps ~2.5x slower;
    - ``chosen_by_import``: the kernels ``import semsegloss_swift`` asked OpenBLAS for
      (README, "Training a U-Net"), or None when it left OpenBLAS's own choice (the
      variable was already set, or the CPU is not an Intel CPU with AVX2).

    >>> import semsegloss_swift as ss
    >>> sorted(ss.training.blas_kernels())
    ['chosen_by_import', 'core', 'faster_core']
    """
    from . import _core  # loaded by the package's import, after this module
    core, faster = _core.blas_kernels()
    return {"core": core, "faster_core": faster or None, "chosen_by_import": chosen}


def warn_if_generic() -> None:
    """One RuntimeWarning per process when the trainer would run on generic kernels."""
    global _warned
    if _warned:
        return
    _warned = True
    info = blas_kernels()
    if info["faster_core"]:
        warnings.warn(
            f"semsegloss_swift: OpenBLAS runs its generic '{info['core']}' kernels on this CPU, so training runs much "
            f"slower than it could (2.5x on a Xeon); set OPENBLAS_CORETYPE={info['faster_core']} in the "
            "environment before Python starts (OpenBLAS reads it once, when it is first loaded)",
            RuntimeWarning, stacklevel=user_stacklevel())  # the caller of Trainer(...) / Trainer.load
