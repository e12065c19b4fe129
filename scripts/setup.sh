#!/usr/bin/env bash
# Installs everything semsegloss-swift needs on a fresh Debian machine with Swift 6.3:
# the OpenBLAS development package, a virtualenv in .venv, and the package itself built
# from this source tree (`pip install .`, which compiles the Swift library and the C
# extension) with its test dependencies, torch and MONAI. Idempotent; safe to run again.
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
# The optional torch adapter (semsegloss_swift.torch) is tested against PyTorch and MONAI:
# a CPU build of torch from the machine's local wheel folder when it has one (PyPI's Linux
# wheel pulls ~3 GB of CUDA libraries), else PyPI's; then MONAI (pure Python).
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    wheel=""
    for dir in ${PIP_FIND_LINKS:-} /opt/wheels; do
        for w in "$dir"/torch-*+cpu-cp3*-manylinux*_x86_64.whl; do [ -f "$w" ] && wheel="$w"; done
    done
    if [ -n "$wheel" ] && .venv/bin/python -m pip install -q "$wheel"; then
        echo "setup: installed torch from $wheel"
    else
        echo "setup: pip install torch (PyPI)"
        .venv/bin/python -m pip install -q torch
    fi
fi
.venv/bin/python -c "import monai" >/dev/null 2>&1 || .venv/bin/python -m pip install -q monai
.venv/bin/python -c "import semsegloss_swift as s, torch, monai; print('setup: semsegloss_swift', s.__version__, 'installed; torch', torch.__version__, 'monai', monai.__version__)"
