#!/usr/bin/env bash
# The main job: install (if needed), then the loss study on the built-in synthetic chest
# X-ray phantom (--quick preset: a few minutes on 2 cores) and print its table.
# Extra arguments go to `semsegloss-swift study` (e.g. --epochs 50 for the full protocol).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then set -- --quick; fi
.venv/bin/semsegloss-swift study "$@"
