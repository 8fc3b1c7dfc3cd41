"""Dispatcher throughput to a local webhook receiver, and its overhead per delivery, on
SQLite and PostgreSQL; beside it the naive approach (sequential POSTs, no outbox).

Run: .venv/bin/python -m benchmarks.dispatch [--n 2000]
(PostgreSQL when TEST_DATABASE_URL is set; a scratch database is created and dropped.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.dispatcher import Dispatcher  # noqa: E402
from monitor.loopback import serve_in_thread  # noqa: E402
from monitor.payloads import PayloadResolver  # noqa: E402
from storage.db import Database, sync_url  # noqa: E402
from storage.migrate import upgrade_sync  # noqa: E402
from tests.fakes.receiver import OutboxReceiver  # noqa: E402
from tests.outbox_support import fill_outbox, webhook  # noqa: E402


async def _one(url: str, n: int, receiver_url: str) -> dict[str, float]:
    upgrade_sync(url)
    db = Database(url)
    try:
        notifier = webhook(receiver_url, timeout=10)
        await fill_outbox(db, notifier, n)
        d = Dispatcher(
            db, {"webhook": notifier}, PayloadResolver(db), worker_id="bench", batch_size=50
        )
        start = time.perf_counter()
        await d.drain(timeout=600)
        elapsed = time.perf_counter() - start
        await notifier.close()
        assert d.stats.sent == n, d.stats
    finally:
        await db.dispose()
    return {"rate": n / elapsed, "elapsed": elapsed}


async def _naive(n: int, receiver_url: str) -> float:
    """One POST after another, nothing recorded: what a typical bot does."""
    async with httpx.AsyncClient() as client:
        start = time.perf_counter()
        for i in range(n):
            r = await client.post(
                receiver_url,
                json={"rcept_no": f"{i:014d}"},
                headers={"X-Dartwatch-Id": f"naive{i}"},
            )
            r.raise_for_status()
        return n / (time.perf_counter() - start)


def _scratch_postgres() -> tuple[str, Any] | None:
    admin = os.environ.get("TEST_DATABASE_URL")
    if not admin:
        return None
    name = f"dartwatch_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return make_url(admin).set(database=name).render_as_string(hide_password=False), drop


def run(n: int = 2000) -> list[dict[str, Any]]:
    rx = OutboxReceiver()  # no signature check: the naive bot does not sign
    rows: list[dict[str, Any]] = []
    with serve_in_thread(rx) as base, tempfile.TemporaryDirectory() as tmp:
        url = f"{base}/hook"
        naive = asyncio.run(_naive(n, url))
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", None)]
        pg = _scratch_postgres()
        if pg is not None:
            targets.append(("PostgreSQL", pg[0], pg[1]))
        for label, db_url, cleanup in targets:
            try:
                res = asyncio.run(_one(db_url, n, url))
            finally:
                if cleanup is not None:
                    cleanup()
            overhead_ms = (1 / res["rate"] - 1 / naive) * 1000
            rows.append(
                {
                    "name": f"dispatcher throughput to a webhook ({label}, {n})",
                    "value": round(res["rate"], 1),
                    "unit": "deliveries/s",
                    "target": "-",
                    "ok": None,
                    "naive": round(naive, 1),
                }
            )
            rows.append(
                {
                    "name": f"outbox overhead per delivery ({label})",
                    "value": round(max(overhead_ms, 0.0), 2),
                    "unit": "ms",
                    "target": "-",
                    "ok": None,
                    "naive": 0.0,
                }
            )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    for row in run(parser.parse_args().n):
        print(f"{row['name']:<55} {row['value']:>10} {row['unit']:<13} naive {row['naive']}")
