#!/usr/bin/env bash
# The main job on a fresh machine: install Graphviz's `dot` when missing (needs apt-get and root or
# sudo; otherwise the example saves DOT text instead of SVG), install minigrad with the examples'
# extras, then train the XOR network and render its graph into examples/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  ($SUDO apt-get update -qq && $SUDO apt-get install -y -qq graphviz >/dev/null) \
    || echo "note: could not install graphviz's dot; graphs will be written as .dot text"
fi
python -m pip install -q -e ".[examples]"
python examples/xor.py "$@"
