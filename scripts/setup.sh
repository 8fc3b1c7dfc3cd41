#!/usr/bin/env bash
# Set up dartwatch in ./.venv (idempotent). Needs Python 3.11+.
#   --dev       also the test/lint tools
#   --browser   also Debian's chromium, a Korean and an emoji font (for the screenshot
#               tests: the digest, the web desk, the Telegram alert; needs root/apt)
#   --unlocked  resolve from pyproject.toml's ranges instead of the hashed lock
#               (while changing dependencies, before `bash scripts/lock.sh`)
# By default every dependency is installed from requirements.lock (requirements-dev.lock
# with --dev) with pinned versions and --require-hashes; see docs/development.md.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; browser=0; unlocked=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --browser) browser=1 ;;
    --unlocked) unlocked=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PY="$cand"; break
    fi
  done
fi
[[ -n "$PY" ]] || { echo "setup.sh: Python 3.11 or newer is required" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
if [[ $unlocked -eq 1 ]]; then
  "${pip[@]}" --upgrade pip >/dev/null
  if [[ $dev -eq 1 ]]; then "${pip[@]}" -e ".[dev]"; else "${pip[@]}" -e .; fi
else
  lock=requirements.lock
  [[ $dev -eq 1 ]] && lock=requirements-dev.lock
  .venv/bin/python scripts/check_lock.py "$lock" \
    || { echo "setup.sh: $lock does not match pyproject.toml; run: bash scripts/lock.sh" >&2; exit 1; }
  "${pip[@]}" --require-hashes -r "$lock"
  "${pip[@]}" --no-deps -e .
fi

if [[ $browser -eq 1 ]] && { ! command -v chromium >/dev/null || ! dpkg -s fonts-nanum >/dev/null 2>&1 \
    || ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; }; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup.sh: installing Debian's chromium for the browser test..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum fonts-noto-color-emoji >/dev/null) \
      || echo "setup.sh: WARNING: could not install chromium; the browser test will say why it skips" >&2
  else
    echo "setup.sh: WARNING: chromium missing and no root/apt; the browser test will skip" >&2
  fi
fi
