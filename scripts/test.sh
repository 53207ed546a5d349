#!/usr/bin/env bash
# Run the whole awaitify test suite: Rust build + tests, then the Python
# behaviour tests (pytest) against the freshly built binary.
#
# Usage: bash scripts/test.sh [extra pytest args...]
#
# Environment:
#   PYTHON            interpreter used to create the venv (default: python3)
#   CARGO_TARGET_DIR  honoured when locating the built binary (default: <repo>/target)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in
  /*) ;;
  *) TARGET_DIR="$ROOT/$TARGET_DIR" ;;
esac
VENV="$ROOT/target/pyenv"
REQUIREMENTS="$ROOT/tests/python/requirements.txt"
STAMP="$VENV/.requirements.sha256"
AWAITIFY_BIN="$TARGET_DIR/debug/awaitify"

SECONDS=0
stage() {
  printf '\n==> [%s] %s\n' "$1" "$2"
}

stage "1/4" "cargo build --locked"
cargo build --locked

stage "2/4" "cargo test --locked"
cargo test --locked

if [[ ! -x "$AWAITIFY_BIN" ]]; then
  echo "error: cargo build succeeded but $AWAITIFY_BIN is missing or not executable" >&2
  exit 1
fi

stage "3/4" "python venv at target/pyenv ($REQUIREMENTS)"
# The stamp covers the requirements file and the base interpreter's version,
# so changing either rebuilds the venv from scratch.
want_stamp="$(
  {
    sha256sum <"$REQUIREMENTS"
    "$PYTHON" -c 'import sys; print(sys.version)'
  } | sha256sum | cut -d' ' -f1
)"
have_stamp=""
if [[ -f "$STAMP" ]]; then
  have_stamp="$(cat "$STAMP")"
fi
if [[ "$have_stamp" == "$want_stamp" ]] && "$VENV/bin/python" -c 'import pytest' >/dev/null 2>&1; then
  echo "venv up to date (requirements unchanged)"
else
  echo "creating venv with $("$PYTHON" --version 2>&1) and installing requirements"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQUIREMENTS"
  # Written last: an interrupted install leaves no stamp and is redone next run.
  printf '%s\n' "$want_stamp" >"$STAMP"
fi

stage "4/4" "pytest tests/python (AWAITIFY_BIN=$AWAITIFY_BIN)"
# Keep pytest's cache and bytecode out of the source tree.
export PYTHONPYCACHEPREFIX="$ROOT/target/pycache"
status=0
AWAITIFY_BIN="$AWAITIFY_BIN" "$VENV/bin/python" -m pytest tests/python -q \
  -o cache_dir="$ROOT/target/pytest_cache" "$@" || status=$?

if [[ $status -ne 0 ]]; then
  printf '\n==> FAILED: pytest exited with status %s (after %ss)\n' "$status" "$SECONDS" >&2
  exit "$status"
fi
# Nothing printed after pytest's summary on success: it stays the closing line.
