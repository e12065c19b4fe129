#!/usr/bin/env bash
# Installs everything semsegloss-swift needs on a fresh Debian machine with Swift 6.3:
# the OpenBLAS development package, a virtualenv in .venv, and the package itself built
# from this source tree (`pip install .`, which compiles the Swift library and the C
# extension) with its test dependencies. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || need_apt+=(libopenblas-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (swift) must be on PATH" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating virtualenv .venv"
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "setup: pip install .[test] (builds the Swift library in release mode; takes a few minutes the first time)"
.venv/bin/python -m pip install -q ".[test]"
.venv/bin/python -c "import semsegloss_swift as s; print('setup: semsegloss_swift', s.__version__, 'installed')"
