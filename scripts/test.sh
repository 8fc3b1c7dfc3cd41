#!/usr/bin/env bash
# README command 2: set up, then lint, type-check and run the whole test suite.
# PostgreSQL tests run when TEST_DATABASE_URL is set (they skip loudly otherwise;
# REQUIRE_POSTGRES=1 makes a missing server a failure). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev --browser
export PTB_TIMEDELTA=1
echo "== ruff format --check"; .venv/bin/ruff format --check monitor notifiers storage tests benchmarks testkit tools
echo "== ruff check";          .venv/bin/ruff check monitor notifiers storage tests benchmarks testkit tools
echo "== mypy --strict";       .venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest -ra "$@"
