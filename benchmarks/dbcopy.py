"""``dartwatch db copy`` on a database of 100,000 filings and 100,000 deliveries (every
other table a few hundred rows), SQLite -> PostgreSQL and back; each figure is the
whole command's work: migrating both sides, copying in batches, verifying counts and
checksums of every table on both sides.

PostgreSQL: TEST_DATABASE_URL names a server where a scratch database may be created
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).

Run: .venv/bin/python -m benchmarks.dbcopy
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.copy import copy_database  # noqa: E402
from storage.db import sync_url  # noqa: E402
from testkit.dbcopy import fill  # noqa: E402

ROWS = 100_000
#: A year of a busy deployment should move within a short maintenance window.
TARGET_SECONDS = 300.0


@contextlib.contextmanager
def scratch_postgres() -> Iterator[str]:
    admin = os.environ.get("TEST_DATABASE_URL") or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    name = f"dartwatch_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _row(name: str, seconds: float, rows: int) -> dict[str, Any]:
    return {
        "name": name,
        "value": round(seconds, 1),
        "unit": "s",
        "target": f"< {TARGET_SECONDS:.0f} s ({rows:,} rows)",
        "ok": seconds < TARGET_SECONDS,
        "naive": None,
    }


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder, scratch_postgres() as pg:
        sqlite = f"sqlite:///{Path(folder) / 'source.db'}"
        back = f"sqlite:///{Path(folder) / 'back.db'}"
        counts = fill(sqlite, big=ROWS, small=200, big_tables=("filings", "deliveries"))
        rows = sum(counts.values())
        started = time.perf_counter()
        there = copy_database(sqlite, pg)
        to_pg = time.perf_counter() - started
        started = time.perf_counter()
        again = copy_database(pg, back)
        to_sqlite = time.perf_counter() - started
        if not (there.ok and again.ok):
            raise RuntimeError("copy did not verify")
    return [
        _row("db copy SQLite -> PostgreSQL (100k filings + 100k deliveries)", to_pg, rows),
        _row("db copy PostgreSQL -> SQLite (same rows)", to_sqlite, rows),
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']} (target {row['target']})")
