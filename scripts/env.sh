# Sourced by examples/main.sh, tests/run.sh and .ci/run: find or make the Python environment, then
# install minigrad into it (editable) with the extras asked for.
#
#   source scripts/env.sh && mg_install examples      # sets PY to the environment's python
#
# Which Python: the active virtualenv ($VIRTUAL_ENV) or conda environment ($CONDA_PREFIX) when there is
# one; otherwise ./.venv, created on first use from `python3` (or `python`). A system Python locked by
# PEP 668 ("externally-managed-environment") is never installed into. When `python3 -m venv` fails for
# want of ensurepip (Debian/Ubuntu without python3-venv), python3-venv is installed with apt-get if we
# are root or have password-less sudo; otherwise the message says what to run.

mg_say() { printf '%s\n' "$*" >&2; }

mg_find_python() {
  PY=""
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    PY="$VIRTUAL_ENV/bin/python"
    mg_say "using the active virtualenv: $PY"
    return 0
  fi
  if [ -n "${CONDA_PREFIX:-}" ] && [ -x "$CONDA_PREFIX/bin/python" ]; then
    PY="$CONDA_PREFIX/bin/python"
    mg_say "using the active conda environment: $PY"
    return 0
  fi
  if [ -x .venv/bin/python ] && .venv/bin/python -c "import pip" >/dev/null 2>&1; then
    PY="$PWD/.venv/bin/python"
    return 0
  fi
  local base
  base="$(command -v python3 || command -v python || true)"
  if [ -z "$base" ]; then
    mg_say "error: no python3 on PATH. Install Python 3.10 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)."
    return 1
  fi
  if ! "$base" -c "import sys; sys.exit(sys.version_info < (3, 10))"; then
    mg_say "error: $base is Python $("$base" -c 'import platform; print(platform.python_version())'); minigrad needs 3.10 or newer."
    return 1
  fi
  mg_say "creating .venv with $base (no active virtualenv or conda environment)"
  if ! mg_make_venv "$base"; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if command -v apt-get >/dev/null 2>&1 && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
      mg_say "python3 -m venv needs ensurepip: installing python3-venv with apt-get"
      $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      mg_make_venv "$base" || { mg_say "error: $base -m venv still fails after installing python3-venv."; return 1; }
    else
      mg_say "error: '$base -m venv .venv' fails: Python's venv module (ensurepip) is missing."
      mg_say "Run:  sudo apt-get install python3-venv   (or activate any virtualenv or conda environment),"
      mg_say "then run this command again."
      return 1
    fi
  fi
  PY="$PWD/.venv/bin/python"
}

mg_make_venv() {  # a half-made .venv (no pip) is removed, so the next try starts clean
  rm -rf .venv
  if "$1" -m venv .venv >/dev/null 2>&1 && .venv/bin/python -c "import pip" >/dev/null 2>&1; then
    return 0
  fi
  rm -rf .venv
  return 1
}

# mg_install EXTRA: minigrad (editable) with the extra EXTRA into $PY's environment. Skipped when this
# checkout's pyproject.toml was already installed there with that extra (a stamp in the environment).
mg_install() {
  mg_find_python || return 1
  local prefix stamp want
  prefix="$("$PY" -c 'import sys; print(sys.prefix)')"
  stamp="$prefix/.minigrad-$1.stamp"
  want="$PWD $(cksum < pyproject.toml)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && (cd / && "$PY" -c "import minigrad") >/dev/null 2>&1; then
    return 0
  fi
  if ! "$PY" -m pip --version >/dev/null 2>&1; then  # e.g. an environment made by uv: no pip inside
    "$PY" -m ensurepip -q >/dev/null 2>&1 || { mg_say "error: $PY has no pip (and no ensurepip)."; return 1; }
  fi
  mg_say "installing minigrad[$1] into $prefix"
  "$PY" -m pip install -q -e ".[$1]" || return 1
  printf '%s\n' "$want" > "$stamp"
}
