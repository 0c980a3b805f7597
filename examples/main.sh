#!/usr/bin/env bash
# The main job, from a plain shell or inside an active virtualenv/conda environment: install Graphviz's
# `dot` when missing (needs apt-get and root or sudo; otherwise the example saves DOT text instead of
# SVG), install minigrad with the examples' extras (into the active environment, else into ./.venv),
# then train the XOR network and render its graph into examples/out/.
#
#   bash examples/main.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
  ($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
    || echo "note: could not install graphviz's dot; graphs will be written as .dot text" >&2
fi
source scripts/env.sh
mg_install examples
exec "$PY" examples/xor.py "$@"
