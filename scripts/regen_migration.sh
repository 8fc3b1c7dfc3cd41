#!/usr/bin/env bash
# Pre-release only: rebuild the single initial migration from storage/models.py.
# Once a release has shipped, add a new revision instead (alembic revision --autogenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f storage/migrations/versions/0001_*.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from storage.migrate import alembic_config
command.revision(alembic_config(f"sqlite:///{sys.argv[1]}/gen.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
rm -rf "$tmp"
