#!/usr/bin/env bash
# The main job: install (if needed) and run the demo on the built-in synthetic batch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/semsegloss-swift demo "$@"
