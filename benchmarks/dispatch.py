"""Dispatcher throughput to a local webhook receiver, and its overhead per delivery, on
SQLite and PostgreSQL; beside it the naive approach (sequential POSTs, no outbox).

The rate is measured twice: batch at a time (``dispatch --until-empty``) and in the
daemon loop that ``dartwatch run`` and ``dartwatch dispatch`` run.

The receiver runs in its own process (:mod:`benchmarks.receiver`), as a local webhook
is another program on the host; it checks every signature and counts deliveries by id,
and each run must find exactly one of each. One row repeats the SQLite run with the
receiver in a thread of this process instead, sharing the interpreter lock (how this
benchmark measured until then; see ``docs/delivery.md``).

Overhead is shown two ways: the throughput gap to the naive loop, and the time measured
inside the outbox calls (claim, mark) and the alert rebuild, per delivery, in a
sequential run (concurrency 1, so waits for other tasks are not counted). A second
receiver answers after 50 ms, as one across the internet does: there the dispatcher's
concurrency is what counts, and the naive loop pays every round trip in turn.

The machine this runs on is often shared, so beside the wall-clock rate each run also
prints the CPU time of this process per delivery (the dispatcher and the receiver's
thread; the PostgreSQL server's own time is not in it): that figure moves less with
the load of others.

Each rate is the median of ``RUNS`` runs, each in a fresh database (a run of a few
seconds on a shared machine moves by a tenth either way); the rows give every run.

Last, the crash window: ``dartwatch dispatch`` (the daemon loop) is killed with SIGKILL
after 300 of 1,000 deliveries and ``dispatch --until-empty`` finishes; the row prints the
median and the largest count of duplicates the receiver saw over ``CRASH_RUNS`` kills,
against the bound ``DISPATCH_BATCH_SIZE + concurrency``.

Run: .venv/bin/python -m benchmarks.dispatch [--n 2000]
(PostgreSQL when TEST_DATABASE_URL is set; a scratch database is created and dropped.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.receiver import ReceiverProcess, receiver_process  # noqa: E402
from monitor.core.loopback import serve_in_thread  # noqa: E402
from monitor.delivery.dispatcher import Dispatcher  # noqa: E402
from monitor.delivery.payloads import PayloadResolver  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import Database, sync_url  # noqa: E402
from storage.migrate import upgrade_sync  # noqa: E402
from storage.models import Delivery  # noqa: E402
from testkit.fakes.receiver import OutboxReceiver  # noqa: E402
from testkit.outbox import fill_outbox, start_dispatch, webhook  # noqa: E402

OUTBOX_CALLS = (
    "release_stale",
    "claim_due",
    "mark_sent",
    "mark_sent_many",
    "mark_retry",
    "mark_dead",
)
BATCH = 50
CONCURRENCY = 32  # the Dispatcher's default
CRASH_N = 1000
RUNS = 3
CRASH_RUNS = 5


@contextlib.contextmanager
def _timed_outbox(spent: dict[str, float]) -> Iterator[None]:
    """Accumulate the wall time of the outbox calls the dispatcher makes (it looks them
    up on the module at call time)."""
    originals = {name: getattr(outbox, name) for name in OUTBOX_CALLS if hasattr(outbox, name)}

    def timed(name: str, fn: Any) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                spent["outbox"] += time.perf_counter() - start

        return call

    for name, fn in originals.items():
        setattr(outbox, name, timed(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(outbox, name, fn)


async def _until_sent(d: Dispatcher, n: int) -> None:
    """The daemon loop (``dartwatch run`` / ``dispatch``), stopped once *n* are sent."""
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, idle=1.0))
    deadline = time.monotonic() + 600
    while d.stats.sent < n and not task.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    stop.set()
    await task


async def _one(
    url: str,
    n: int,
    receiver_url: str,
    *,
    concurrency: int = 32,
    fresh: bool = True,
    daemon: bool = False,
    receiver: ReceiverProcess | None = None,
) -> dict[str, float]:
    if fresh:
        upgrade_sync(url)
    db = Database(url)
    spent: dict[str, float] = defaultdict(float)
    try:
        notifier = webhook(receiver_url, timeout=10)
        if not fresh:  # a second run in the same database: new filings, new rows
            async with db.session() as s:
                await s.exec(text("DELETE FROM deliveries"))  # type: ignore[call-overload]
                await s.exec(text("DELETE FROM matches"))  # type: ignore[call-overload]
                await s.exec(text("DELETE FROM filings"))  # type: ignore[call-overload]
        await fill_outbox(db, notifier, n)
        if receiver is not None:
            receiver.reset()

        class TimedResolver(PayloadResolver):
            async def prefetch(self, rows: Any) -> int:
                start = time.perf_counter()
                try:
                    return await super().prefetch(rows)
                finally:
                    spent["resolve"] += time.perf_counter() - start

            async def __call__(self, row: Delivery) -> Any:
                start = time.perf_counter()
                try:
                    return await super().__call__(row)
                finally:
                    spent["resolve"] += time.perf_counter() - start

        d = Dispatcher(
            db,
            {"webhook": notifier},
            TimedResolver(db),
            worker_id="bench",
            batch_size=BATCH,
            concurrency=concurrency,
        )
        with _timed_outbox(spent):
            cpu = time.process_time()
            start = time.perf_counter()
            if daemon:
                await _until_sent(d, n)
            else:
                await d.drain(timeout=600)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
        await notifier.close()
        assert d.stats.sent == n, d.stats
        if receiver is not None:
            seen = receiver.stats()
            if (seen["distinct"], seen["duplicates"], seen["bad_signatures"]) != (n, 0, 0):
                raise RuntimeError(f"the receiver saw {seen} for {n} deliveries")
    finally:
        await db.dispose()
    return {
        "rate": n / elapsed,
        "elapsed": elapsed,
        "cpu_ms": cpu * 1000 / n,
        "outbox_ms": spent["outbox"] * 1000 / n,
        "resolve_ms": spent["resolve"] * 1000 / n,
    }


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


def _crash_duplicates(db_url: str, receiver: OutboxReceiver, url: str, tmp: Path) -> int:
    """SIGKILL the daemon loop after 300 of CRASH_N deliveries, finish with
    ``--until-empty``; return the duplicates *receiver* saw."""

    async def fill() -> None:
        db = Database(db_url)
        try:
            await fill_outbox(db, webhook(url), CRASH_N)
        finally:
            await db.dispose()

    upgrade_sync(db_url)
    asyncio.run(fill())
    log = tmp / f"crash-{uuid.uuid4().hex[:6]}.log"
    first = start_dispatch(db_url, url, log, batch=BATCH, args=["--lease", "2"])
    try:
        deadline = time.monotonic() + 180
        while receiver.total < 300:
            if time.monotonic() > deadline or first.poll() is not None:
                raise RuntimeError(f"dispatcher did not get going: {log.read_text()[-2000:]}")
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    second = start_dispatch(db_url, url, log, batch=BATCH, args=["--until-empty", "--lease", "2"])
    try:
        if second.wait(timeout=300) != 0:
            raise RuntimeError(f"the second dispatcher failed: {log.read_text()[-2000:]}")
    finally:
        if second.poll() is None:
            second.kill()
    if len(receiver.ids) != CRASH_N:
        raise RuntimeError(f"{len(receiver.ids)} of {CRASH_N} alerts arrived")
    return receiver.duplicates()


def _fresh_run(
    label: str, tmp: Path, n: int, url: str, rx: ReceiverProcess, *, daemon: bool
) -> dict[str, float]:
    """One throughput run in a database of its own (a run after another in the same
    database would meet the deleted rows of the first)."""
    pg = _scratch_postgres() if label == "PostgreSQL" else None
    db_url = pg[0] if pg else f"sqlite:///{tmp / f'run-{uuid.uuid4().hex[:6]}.db'}"
    try:
        return asyncio.run(_one(db_url, n, url, daemon=daemon, receiver=rx))
    finally:
        if pg is not None:
            pg[1]()


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate (its other figures with it)."""
    return sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]


def _row(name: str, value: float, unit: str, naive: float | None) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "target": "-", "ok": None, "naive": naive}


def run(n: int = 2000, remote_n: int = 300) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with (
        receiver_process() as plain,  # the naive bot does not sign
        receiver_process(secret="s3cret") as rx,
        receiver_process(delay=0.05) as remote,  # the naive loop posts here too
        tempfile.TemporaryDirectory() as tmp,
    ):
        url = rx.url
        naive = asyncio.run(_naive(n, plain.url))
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", None)]
        pg = _scratch_postgres()
        if pg is not None:
            targets.append(("PostgreSQL", pg[0], pg[1]))
        for label, db_url, cleanup in targets:
            try:
                seq = asyncio.run(_one(db_url, max(n // 4, 1), url, concurrency=1, receiver=rx))
            finally:
                if cleanup is not None:
                    cleanup()
            batch_runs = [
                _fresh_run(label, Path(tmp), n, url, rx, daemon=False) for _ in range(RUNS)
            ]
            loop_runs = [_fresh_run(label, Path(tmp), n, url, rx, daemon=True) for _ in range(RUNS)]
            res = _median_run(batch_runs)
            loop = _median_run(loop_runs)
            dupes_each = []
            for _ in range(CRASH_RUNS):
                crash_rx = OutboxReceiver(secret="s3cret")
                crash_pg = _scratch_postgres() if label == "PostgreSQL" else None
                crash_url = (
                    crash_pg[0]
                    if crash_pg
                    else f"sqlite:///{Path(tmp) / f'crash-{uuid.uuid4().hex[:6]}.db'}"
                )
                try:
                    with serve_in_thread(crash_rx) as crash_base:
                        dupes_each.append(
                            _crash_duplicates(crash_url, crash_rx, f"{crash_base}/hook", Path(tmp))
                        )
                finally:
                    if crash_pg is not None:
                        crash_pg[1]()
            dupes = statistics.median(dupes_each)
            overhead_ms = (1 / res["rate"] - 1 / naive) * 1000
            rows.append(
                {
                    "name": f"dispatcher throughput to a webhook ({label}, {n})",
                    "value": round(res["rate"], 1),
                    "unit": "deliveries/s",
                    "target": ">= 300",
                    "ok": res["rate"] >= 300,
                    "naive": round(naive, 1),
                    "runs": [round(r["rate"], 1) for r in batch_runs],
                    "crash_duplicates": dupes,
                }
            )
            rows.append(
                {
                    "name": (
                        f"duplicates after a SIGKILL mid-fan-out ({label}, {CRASH_N}; "
                        f"median of {CRASH_RUNS}, max {max(dupes_each)})"
                    ),
                    "value": dupes,
                    "unit": "deliveries",
                    "target": f"<= {BATCH + CONCURRENCY} (batch + concurrency)",
                    "ok": max(dupes_each) <= BATCH + CONCURRENCY,
                    "naive": None,
                    "runs": dupes_each,
                }
            )
            rows.append(
                {
                    "name": f"dispatcher throughput, daemon loop ({label}, {n})",
                    "value": round(loop["rate"], 1),
                    "unit": "deliveries/s",
                    "target": ">= 300",
                    "ok": loop["rate"] >= 300,
                    "naive": round(naive, 1),
                    "runs": [round(r["rate"], 1) for r in loop_runs],
                }
            )
            rows.append(
                _row(
                    f"CPU time of this process per delivery ({label})",
                    round(res["cpu_ms"], 2),
                    "ms",
                    None,
                )
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
            rows.append(
                _row(
                    f"dispatcher throughput, concurrency 1 ({label}, {max(n // 4, 1)})",
                    round(seq["rate"], 1),
                    "deliveries/s",
                    round(naive, 1),
                )
            )
            rows.append(
                _row(
                    f"outbox DB time per delivery, claim + mark ({label})",
                    round(seq["outbox_ms"], 2),
                    "ms",
                    0.0,
                )
            )
            rows.append(
                _row(
                    f"alert rebuilt from the DB per delivery ({label})",
                    round(seq["resolve_ms"], 2),
                    "ms",
                    0.0,
                )
            )
        remote_naive = asyncio.run(_naive(remote_n, remote.url))
        far = asyncio.run(
            _one(f"sqlite:///{Path(tmp) / 'remote.db'}", remote_n, remote.url, receiver=remote)
        )
        rows.append(
            _row(
                f"dispatcher throughput, receiver answering in 50 ms (SQLite, {remote_n})",
                round(far["rate"], 1),
                "deliveries/s",
                round(remote_naive, 1),
            )
        )
        with serve_in_thread(OutboxReceiver()) as base:
            shared = asyncio.run(_one(f"sqlite:///{Path(tmp) / 'shared.db'}", n, f"{base}/hook"))
            shared_naive = asyncio.run(_naive(n, f"{base}/hook"))
        rows.append(
            _row(
                f"dispatcher throughput, receiver in a thread of this process (SQLite, {n})",
                round(shared["rate"], 1),
                "deliveries/s",
                round(shared_naive, 1),
            )
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    for row in run(parser.parse_args().n):
        print(f"{row['name']:<55} {row['value']:>10} {row['unit']:<13} naive {row['naive']}")
