#!/usr/bin/env bash
# All tests: install (if needed), then the Swift suites (swift test) and the Python suite
# (pytest against the installed package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A crashing test must fail fast, not wait on the interactive backtracer.
export SWIFT_BACKTRACE=enable=no
echo "== Swift tests"
# The Swift tests build with vectorisable square roots as pip install does (the γ = 0.5
# focal powers, setup.py's vector_sqrt_flags). On an x86-64 CPU with AVX2 they build the
# AVX2 loops too (SEMSEG_AVX2 needs -target-cpu native); elsewhere they test the scalar
# versions only.
swift_flags=(-Xswiftc -Xcc -Xswiftc -fno-math-errno -Xswiftc -DSEMSEG_VECTOR_SQRT)
if [ "$(uname -m)" = x86_64 ] && grep -qw avx2 /proc/cpuinfo; then
    swift_flags+=(-Xswiftc -target-cpu -Xswiftc native -Xswiftc -DSEMSEG_AVX2)
fi
swift test "${swift_flags[@]}"
echo "== Python tests"
# The torch adapter tests must run, not skip: setup.sh installed torch and MONAI.
export SEMSEG_REQUIRE_OPTIONAL=1
(cd python/tests && ../../.venv/bin/python -m pytest -q -p no:cacheprovider .)
