#!/usr/bin/env bash
# README command 1: set up, then run the demo (bundled local OpenDART, SQLite in a
# temporary folder, no key, no network). Extra args go to `dartwatch demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dartwatch demo "$@"
