"""Crashes of the daemon loop (``dartwatch dispatch`` without ``--until-empty``: the
claimer + worker tasks + heartbeat ``dartwatch run`` uses), on SQLite and PostgreSQL.

The SIGKILL test kills it twice in the middle of 1,000 deliveries to a real webhook
receiver; a third process finishes. Every alert arrives; the duplicates are counted
(by the ``rcept_no`` of each accepted JSON body) and can only be rows the killed process
held claimed — counted in the database right after each kill, and bounded by
DISPATCH_BATCH_SIZE + the dispatcher's concurrency. (tests/test_outbox_crash.py does the
same to ``dispatch --until-empty``, the batch-at-a-time loop.)

The other two tests pin down how a successor finds a dead dispatcher's claims.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from storage import outbox
from storage.db import Database
from storage.models import Delivery
from testkit.fakes.receiver import OutboxReceiver, restartable
from testkit.outbox import fill_outbox, start_dispatch, webhook

N = 1000
BATCH = 50
CONCURRENCY = 32  # the Dispatcher's default, which `dartwatch dispatch` uses
IN_FLIGHT = BATCH + CONCURRENCY
LEASE = 2.0


def _start(db_url: str, url: str, log: Path) -> subprocess.Popen[bytes]:
    return start_dispatch(db_url, url, log, batch=BATCH, args=["--lease", str(LEASE)])


def _wait(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")
        time.sleep(0.02)


async def _claims(db: Database) -> Counter[str]:
    """Rows still claimed, per dispatcher process (``claimed_by`` is the process's
    claimer id, ``:``, a token per batch)."""
    async with db.session() as s:
        rows = (await s.exec(select(Delivery.claimed_by).where(Delivery.status == "sending"))).all()
    return Counter(str(by).split(":")[0] for by in rows)


async def _until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_sigkill_twice_mid_fanout_loses_nothing(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    rx = OutboxReceiver(secret="s3cret", delay=0.004)
    log = tmp_path / "dispatch.log"
    procs: list[subprocess.Popen[bytes]] = []
    kills: list[tuple[int, int]] = []  # (received when killed, rows left claimed)
    claimers: set[str] = set()  # of the processes killed so far
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), N)
        assert (await outbox.counts(db)) == {"pending": N}
        try:
            for threshold in (300, 600):
                proc = _start(db_url, server.url, log)
                procs.append(proc)
                reached = functools.partial(lambda t: rx.total >= t, threshold)
                await asyncio.to_thread(_wait, reached, 120, f"{threshold} received", log)
                os.kill(proc.pid, signal.SIGKILL)
                assert proc.wait(timeout=10) == -signal.SIGKILL
                # Only the process just killed: an earlier one's claims wait for the
                # lease (2 s), which a fast machine reaches 300 more deliveries inside.
                claims = await _claims(db)
                claimed = sum(n for by, n in claims.items() if by not in claimers)
                claimers |= claims.keys()
                kills.append((rx.total, claimed))
                # The dead process's claims wait for the lease; a 1,000-row outbox with
                # ~82 in flight must not be mostly claimed.
                assert claimed <= IN_FLIGHT, claims
            last = _start(db_url, server.url, log)
            procs.append(last)

            async def everything_sent() -> bool:
                return (await outbox.counts(db)) == {"sent": N}

            await _until(everything_sent, 240, f"all {N} sent")
            last.send_signal(signal.SIGTERM)
            assert last.wait(timeout=30) == 0, log.read_text(errors="replace")[-2000:]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
        await asyncio.sleep(0.2)
    dupes = rx.duplicates()
    by_body = sum(n - 1 for n in rx.rcepts.values() if n > 1)
    left_claimed = sum(c for _, c in kills)
    print(
        f"\ncrash test, daemon loop ({db_url.split(':')[0]}): killed at "
        + ", ".join(f"{got} received ({c} rows left claimed)" for got, c in kills)
        + f"; all {N} delivered: {set(rx.rcepts) == set(rcepts)}; duplicates: {by_body} "
        f"(bound: rows left claimed = {left_claimed} <= 2 x {IN_FLIGHT}); "
        f"requests cut off by the kills: {rx.aborted}"
    )
    assert set(rx.rcepts) == set(rcepts)
    assert by_body == dupes  # the header and the body agree
    # A duplicate is a row the killed process sent but never marked: it was claimed.
    assert by_body <= left_claimed <= 2 * IN_FLIGHT
    assert rx.bad_signatures == 0


async def test_successor_with_the_same_worker_id_sends_orphaned_claims(db: Database) -> None:
    """A restarted container keeps its hostname and pid (often 1), so a successor can
    have the dead dispatcher's worker_id. Its heartbeat must not keep the orphaned
    claims alive: they come back after the lease and are sent."""
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), 10)
        resolver = PayloadResolver(db)
        lease = timedelta(seconds=1)
        dead = Dispatcher(db, {}, resolver, worker_id="dartwatch-1", lease=lease)
        assert len(await outbox.claim_due(db, dead.claimer, 4)) == 4  # then SIGKILL

        notifier = webhook(server.url)
        successor = Dispatcher(
            db, {"webhook": notifier}, resolver, worker_id="dartwatch-1", lease=lease
        )
        stop = asyncio.Event()
        task = asyncio.create_task(successor.run_forever(stop, idle=0.05))
        try:

            async def everything_sent() -> bool:
                return (await outbox.counts(db)) == {"sent": 10}

            await _until(everything_sent, 15, "the orphaned claims to be sent")
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)
            await notifier.close()
    assert sorted(rx.rcepts) == sorted(rcepts) and rx.duplicates() == 0


async def test_a_long_hostname_still_claims(db: Database) -> None:
    """claimed_by is VARCHAR(64); EC2-style host names are long (PostgreSQL enforces the
    length: a claim that does not fit would fail on every attempt)."""
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), 3)
        notifier = webhook(server.url)
        d = Dispatcher(
            db,
            {"webhook": notifier},
            PayloadResolver(db),
            worker_id="ip-172-31-23-45.ap-northeast-2.compute.internal-4194303",
        )
        await d.drain(timeout=15)
        await notifier.close()
    assert sorted(rx.rcepts) == sorted(rcepts)
