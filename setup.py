"""Build glue: compile the Swift C-ABI library, then the CPython extension against it.

`pip install .` runs `swift build -c release --product SemSegLossC -Xswiftc -static-stdlib`
(so the shared library needs nothing from the Swift toolchain at run time), copies
`libSemSegLossC.so` into the package, and links `semsegloss_swift._core` to it with an
rpath of `$ORIGIN`.

Environment:
  SEMSEGLOSS_SWIFT=/path/to/swift     the toolchain (default: `swift` on PATH)
  SEMSEGLOSS_SWIFT_SCRATCH=.build-x   SwiftPM scratch directory (default `.build`), so that a
                                      development checkout can keep several build trees
  SEMSEGLOSS_TARGET_CPU=native        CPU to compile the kernels for (default `native`: the
                                      machine that runs pip; use e.g. `x86-64` for a wheel
                                      that must run on other machines)
  SEMSEGLOSS_VECTOR_BITS=256          with `native` on an AVX-512 CPU, keep LLVM's 256-bit
                                      vector preference (default: 512-bit vectors, see
                                      `prefer_512_bit_flags`)
"""
import os
import shutil
import subprocess
import sys

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
SCRATCH = os.path.abspath(os.environ.get("SEMSEGLOSS_SWIFT_SCRATCH") or os.path.join(ROOT, ".build"))
LIB_NAME = "libSemSegLossC.so"


def swift_executable():
    swift = os.environ.get("SEMSEGLOSS_SWIFT") or shutil.which("swift")
    if not swift:
        sys.exit("semsegloss-swift: the Swift toolchain (swift) is needed to build from source; "
                 "put it on PATH or set SEMSEGLOSS_SWIFT")
    return swift


def host_cpu_flags():
    """The x86-64 CPU flags of this machine (empty elsewhere or when unreadable)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((set(line.split(":", 1)[1].split()) for line in f if line.startswith("flags")), set())
    except OSError:
        return set()


def prefer_512_bit_flags():
    """swiftc flags that let LLVM use 512-bit vectors on an AVX-512 CPU.

    LLVM's tuning for Intel's AVX-512 CPUs prefers 256-bit vectors (the `prefer-256-bit`
    feature), so the kernels used half of the vector width. The loss loops are bound by
    arithmetic, and on an Intel Xeon (2026-12-04; alternating processes, same data) 512-bit
    vectors took 0.63-0.88x the time: BCE 0.75x, focal 0.66x, exp-log 0.63x, Dice 0.88x.
    Multiclass losses changed by less than 3 %. Removing the feature passes through Clang's
    target options, which the Swift compiler uses for code generation.
    """
    if os.environ.get("SEMSEGLOSS_VECTOR_BITS", "512") != "512" or "avx512f" not in host_cpu_flags():
        return []
    clang = ["-Xclang", "-target-feature", "-Xclang", "-prefer-256-bit"]
    return [flag for arg in clang for flag in ("-Xswiftc", "-Xcc", "-Xswiftc", arg)]


def vector_interleave_flags():
    """swiftc flags that make LLVM's loop vectoriser interleave 4 vectors per iteration.

    The loss loops evaluate a long chain of dependent operations per element (exp and
    log polynomials, a division). With one vector per iteration (the count LLVM chose for
    these loops itself) an iteration's latency, ~100 cycles, exceeds what the out-of-order
    window can overlap; four independent vectors per iteration keep the FMA units busy. On a Zen 2 EPYC (AVX2; 2026-12-06, alternating processes,
    16x1x256x256): BCE 1.32x, focal 1.6x, exp-log 1.6x, top-k CE 1.3x faster, Dice 1.05x;
    the Lovasz, SSIM, distance-transform and trainer timings did not change beyond noise
    (benchmarks/HISTORY.md). SEMSEGLOSS_VECTOR_INTERLEAVE=1 builds without it.
    """
    count = os.environ.get("SEMSEGLOSS_VECTOR_INTERLEAVE", "4")
    if not count.isdigit() or int(count) < 1:
        raise SystemExit(f"SEMSEGLOSS_VECTOR_INTERLEAVE: expected a positive integer, got {count!r}")
    if int(count) == 1:
        return []
    return ["-Xswiftc", "-Xllvm", "-Xswiftc", f"-force-vector-interleave={int(count)}"]


def vector_sqrt_flags():
    """swiftc flags under which square roots compile to vector instructions.

    Swift's `Float.squareRoot()` goes through a C shim that Clang lowers to a call of
    glibc's `sqrtf` while errno is part of the maths (`-fmath-errno`, the Linux default);
    the call stops LLVM's loop vectoriser. `-Xcc -fno-math-errno` makes it `vsqrtps`;
    `-DSEMSEG_VECTOR_SQRT` tells the code so, which then takes focal powers at
    gamma = 0.5 as square roots (`HalfPower`, FocalPowers.swift): on a Zen 2 EPYC,
    16x1x256x256, focal gamma = 0.5 0.60x the time from probabilities, 0.65x from logits
    (benchmarks/HISTORY.md). SEMSEGLOSS_VECTOR_SQRT=0 builds without them.
    """
    if os.environ.get("SEMSEGLOSS_VECTOR_SQRT", "1") == "0":
        return []
    return ["-Xswiftc", "-Xcc", "-Xswiftc", "-fno-math-errno", "-Xswiftc", "-DSEMSEG_VECTOR_SQRT"]


def host_has_avx2():
    """True on an x86-64 CPU with AVX2 (the `avx2` flag in /proc/cpuinfo)."""
    import platform
    return platform.machine() in ("x86_64", "AMD64") and "avx2" in host_cpu_flags()


def host_has_fma():
    """True when this machine's CPU has fused multiply-add (x86-64 `fma` flag; arm64 always)."""
    import platform
    if platform.machine() in ("arm64", "aarch64"):
        return True
    return "fma" in host_cpu_flags()


class BuildSwiftThenExtension(build_ext):
    def run(self):
        swift = swift_executable()
        cmd = [swift, "build", "-c", "release", "--product", "SemSegLossC",
               "--scratch-path", SCRATCH, "-Xswiftc", "-static-stdlib"]
        cpu = os.environ.get("SEMSEGLOSS_TARGET_CPU", "native")
        if cpu:
            cmd += ["-Xswiftc", "-target-cpu", "-Xswiftc", cpu]
        if cpu == "native" and host_has_fma():
            # fused multiply-adds in FastMath's polynomials (~20% faster kernels)
            cmd += ["-Xswiftc", "-DSEMSEG_FMA"]
        if cpu == "native" and host_has_avx2():
            # three Lovász loops written with AVX2 intrinsics (LovaszItemLoops.swift)
            cmd += ["-Xswiftc", "-DSEMSEG_AVX2"]
        if cpu == "native":
            cmd += prefer_512_bit_flags()
        cmd += vector_interleave_flags()
        cmd += vector_sqrt_flags()
        print("semsegloss-swift: " + " ".join(cmd), flush=True)
        subprocess.check_call(cmd, cwd=ROOT)
        bin_dir = subprocess.check_output(cmd + ["--show-bin-path"], cwd=ROOT, text=True).strip()
        lib = os.path.join(bin_dir, LIB_NAME)
        for ext in self.extensions:
            ext.library_dirs.append(bin_dir)
        super().run()
        # Ship the Swift library next to the extension (found through rpath $ORIGIN).
        dest_dir = os.path.join(self.build_lib, "semsegloss_swift")
        os.makedirs(dest_dir, exist_ok=True)
        shutil.copy2(lib, os.path.join(dest_dir, LIB_NAME))
        if self.inplace:
            shutil.copy2(lib, os.path.join(ROOT, "python", "semsegloss_swift", LIB_NAME))


core = Extension(
    "semsegloss_swift._core",
    sources=sorted(os.path.join("python", "csrc", f) for f in os.listdir(os.path.join(ROOT, "python", "csrc"))
                   if f.endswith(".c")),
    include_dirs=[numpy.get_include(), os.path.join("Sources", "CSemSegLoss", "include"),
                  os.path.join("python", "csrc")],
    libraries=["SemSegLossC"],
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                        "-Wno-missing-field-initializers"],
    depends=[os.path.join("python", "csrc", "semseg_py.h"), os.path.join("python", "csrc", "training.h"), os.path.join("Sources", "CSemSegLoss", "include", "semsegloss.h")],
    extra_link_args=["-Wl,-rpath,$ORIGIN"],
)

setup(ext_modules=[core], cmdclass={"build_ext": BuildSwiftThenExtension})
