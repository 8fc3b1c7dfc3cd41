"""Receiver faults against the dispatcher's daemon loop (``run_forever``: a claimer
feeding worker tasks, heartbeats, the path ``dartwatch run`` takes), with the real
WebhookNotifier over httpx to a receiver on loopback and the real outbox on SQLite and
PostgreSQL. tests/test_outbox_webhook.py drives the same faults batch by batch
(``run_once``); here the dispatcher stays up while the receiver misbehaves and recovers.

Duplicates are counted by the ``rcept_no`` in each accepted JSON body, not by a header
the sender chose.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from notifiers.webhook import WebhookNotifier
from storage import outbox
from storage.db import Database
from testkit.fakes.receiver import OutboxReceiver, restartable
from testkit.outbox import fill_outbox, webhook

# Subprocesses never read the real DART feed (the environment filter drops DART_*).
NO_FEED = {"DART_RSS_URL": ""}

N = 40


def _dispatcher(db: Database, notifier: WebhookNotifier, **kw: object) -> Dispatcher:
    params: dict[str, object] = {
        "worker_id": "faults",
        "backoff_initial": 0.05,
        "backoff_max": 0.5,
        "max_attempts": 30,
    }
    params.update(kw)
    return Dispatcher(db, {"webhook": notifier}, PayloadResolver(db), **params)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running(d: Dispatcher) -> AsyncIterator[None]:
    """The daemon loop as a task; stopped (and its claims released) when the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, idle=0.05))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        for notifier in d.notifiers.values():
            await notifier.close()


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def all_sent(db: Database, n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await outbox.counts(db)) == {"sent": n}

    return check


def exactly_once(rx: OutboxReceiver, rcepts: list[str]) -> None:
    assert rx.rcepts == Counter(dict.fromkeys(rcepts, 1))
    assert rx.duplicates() == 0
    assert rx.bad_signatures == 0


async def test_5xx_for_the_next_requests(db: Database) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), N)
        rx.fail_next(60, status=503)
        d = _dispatcher(db, webhook(server.url))
        async with running(d):
            await until(all_sent(db, N), 60, f"{N} deliveries")
    exactly_once(rx, rcepts)
    # Every 503 was one retry, and nothing else failed: 60 refusals + N deliveries.
    assert d.stats.retried == 60
    assert rx.requests == 60 + N


async def test_5xx_for_a_while(db: Database) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), N)
        rx.fail_for(1.5, status=500)
        started = time.monotonic()
        d = _dispatcher(db, webhook(server.url))
        async with running(d):
            await until(all_sent(db, N), 60, f"{N} deliveries")
        assert time.monotonic() - started >= 1.5
    exactly_once(rx, rcepts)
    # Rows claimed during the outage were refused (how many depends on how many the
    # dispatcher had in hand then); every refusal was a retry and nothing else failed.
    assert d.stats.retried > 0
    assert rx.requests == N + d.stats.retried
    assert d.stats.dead == 0


async def test_connection_refused_for_a_while(db: Database) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), N)
        server.stop()
        d = _dispatcher(db, webhook(server.url))
        async with running(d):

            async def refused_many() -> bool:
                return d.stats.retried >= N

            await until(refused_many, 30, "every row refused once")
            assert rx.requests == 0 and (await outbox.counts(db)).get("sent") is None
            server.start()  # same port: the URL in the rows still works
            await until(all_sent(db, N), 60, f"{N} deliveries after the restart")
    exactly_once(rx, rcepts)


@pytest.mark.slow
@pytest.mark.parametrize("processed", [False, True], ids=["hung", "slow"])
async def test_timing_out_for_a_while(db: Database, processed: bool) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), 10)
        rx.stall_for(2.0, processed=processed)
        d = _dispatcher(db, webhook(server.url, timeout=0.5), backoff_initial=0.3)
        async with running(d):
            await until(all_sent(db, 10), 60, "10 deliveries")
        await asyncio.sleep(0.6)  # let the last stalled requests finish on the receiver
    assert set(rx.rcepts) == set(rcepts)
    assert d.stats.retried >= 10  # every row timed out at least once
    dupes = rx.duplicates()
    print(
        f"\ntimeouts ({'slow' if processed else 'hung'} receiver): "
        f"{d.stats.retried} timed-out attempts, {dupes} duplicate(s) of 10"
    )
    if not processed:
        assert dupes == 0  # a hung server took nothing: nothing doubles
    else:
        # A receiver that processes what the client gave up on is the at-least-once
        # window: at most one duplicate per timed-out attempt.
        assert 0 < dupes <= d.stats.retried


def _cli(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DART_", "WEBHOOK_"))} | NO_FEED
    env["DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_permanent_failures_are_dead_letters_the_cli_requeues(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """A 400 is not retried: the row is dead at once, listed by ``dartwatch deliveries
    --failed``; once the receiver is fixed, ``--retry`` hands it to the running
    dispatcher, which delivers it (once)."""
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), 6)
        rx.permanent = {rcepts[1], rcepts[4]}
        d = _dispatcher(db, webhook(server.url))
        async with running(d):

            async def settled() -> bool:
                return (await outbox.counts(db)) == {"sent": 4, "dead": 2}

            await until(settled, 30, "4 sent and 2 dead")
            assert rx.requests == 6  # the dead ones were tried once, not retried

            listed = await asyncio.to_thread(
                _cli, ["deliveries", "--failed", "--format", "json"], db_url, tmp_path
            )
            assert listed.returncode == 0, listed.stderr
            dead = json.loads(listed.stdout)
            assert sorted(r["ref"] for r in dead) == sorted(rx.permanent)
            assert all("HTTP 400" in r["last_error"] and r["attempts"] == 1 for r in dead)

            rx.permanent = set()
            requeued = await asyncio.to_thread(_cli, ["deliveries", "--retry"], db_url, tmp_path)
            assert requeued.returncode == 0, requeued.stderr
            assert "requeued 2" in requeued.stdout
            await until(all_sent(db, 6), 30, "the requeued deliveries")
    exactly_once(rx, rcepts)


async def test_gone_webhook_is_dead_lettered_then_retried(db: Database) -> None:
    """A configured webhook answering 410 is a setup problem, not a user who left:
    each row is tried once (never retried by itself), lands in the dead letters, and
    ``deliveries --retry`` sends them once the receiver is back."""
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), 5)
        rx.fail_for(30, status=410)
        d = _dispatcher(db, webhook(server.url))
        async with running(d):

            async def dead() -> bool:
                return (await outbox.counts(db)) == {"dead": 5}

            await until(dead, 30, "5 dead letters")
            assert rx.requests == 5 and rx.total == 0
            assert d.stats.retried == 0 and d.stats.dead == 5 and d.stats.dropped == 0
            failed = await outbox.list_by_status(db, [outbox.DEAD])
            assert all("no longer exists" in (row.last_error or "") for row in failed)
            rx.fail_for(0)
            assert await outbox.requeue_failed(db) == 5
            d.wake()
            await until(all_sent(db, 5), 30, "the requeued deliveries")
    exactly_once(rx, rcepts)
