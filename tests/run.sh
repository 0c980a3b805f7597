#!/usr/bin/env bash
# Install minigrad with the test extras (into the active virtualenv/conda environment, else into
# ./.venv) and run the test suite. Arguments go to pytest:  bash tests/run.sh tests/test_ops.py -x
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mg_install test
exec "$PY" -m pytest "$@"
