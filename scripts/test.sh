#!/usr/bin/env bash
# All tests: install (if needed), then the Swift suites (swift test) and the Python suite
# (pytest against the installed package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A crashing test must fail fast, not wait on the interactive backtracer.
export SWIFT_BACKTRACE=enable=no
echo "== Swift tests"
swift test
echo "== Python tests"
# The torch adapter tests must run, not skip: setup.sh installed torch and MONAI.
export SEMSEG_REQUIRE_OPTIONAL=1
(cd python/tests && ../../.venv/bin/python -m pytest -q -p no:cacheprovider .)
