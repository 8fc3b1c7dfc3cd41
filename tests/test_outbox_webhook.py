"""The outbox against a real webhook receiver on loopback (real WebhookNotifier over
httpx, real dispatcher, SQLite and PostgreSQL): a receiver that fails for a while, stalls
past the timeout, or refuses connections — every alert arrives once it recovers; a
permanent failure lands in the dead letters and --retry delivers it."""

from __future__ import annotations

import asyncio
import time

import pytest

from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from storage import outbox
from storage.db import Database
from testkit.fakes.receiver import OutboxReceiver, restartable
from testkit.outbox import fill_outbox, webhook

N = 40


def _dispatcher(db: Database, url: str, **kw: object) -> Dispatcher:
    params: dict[str, object] = {
        "worker_id": "t",
        "backoff_initial": 0.05,
        "backoff_max": 0.3,
        "max_attempts": 30,
    }
    params.update(kw)
    return Dispatcher(db, {"webhook": webhook(url)}, PayloadResolver(db), **params)  # type: ignore[arg-type]


async def _run_until(d: Dispatcher, done: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("not delivered in time")
        await d.run_once()
        await asyncio.sleep(0.05)


async def test_receiver_failing_for_a_while(db: Database) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), N)
        rx.fail_for(1.5, status=503)
        d = _dispatcher(db, server.url)
        await _run_until(d, lambda: len(rx.ids) == N, 60)
        await d.notifiers["webhook"].close()
    assert {i.split(":")[0] for i in rx.ids} == set(rcepts)
    assert rx.duplicates() == 0  # a 5xx means "not taken": retrying cannot duplicate
    assert rx.bad_signatures == 0
    assert d.stats.retried > 0
    assert (await outbox.counts(db)) == {"sent": N}


async def test_receiver_refusing_connections_for_a_while(db: Database) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        await fill_outbox(db, webhook(server.url), N)
        server.stop()  # connection refused from now on
        d = _dispatcher(db, server.url)
        for _ in range(5):
            await d.run_once()
        assert rx.total == 0 and d.stats.retried >= 1
        server.start()
        await _run_until(d, lambda: len(rx.ids) == N, 60)
        await d.notifiers["webhook"].close()
    assert rx.duplicates() == 0
    assert (await outbox.counts(db)) == {"sent": N}


@pytest.mark.slow
@pytest.mark.parametrize("processed", [False, True])
async def test_receiver_timing_out_for_a_while(db: Database, processed: bool) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        await fill_outbox(db, webhook(server.url), 10)
        rx.stall_for(2.0, processed=processed)
        d = Dispatcher(
            db,
            {"webhook": webhook(server.url, timeout=0.5)},
            PayloadResolver(db),
            worker_id="t",
            backoff_initial=0.3,
            backoff_max=1.0,
            max_attempts=30,
        )
        deadline = time.monotonic() + 60
        while (await outbox.counts(db)) != {"sent": 10}:
            assert time.monotonic() < deadline, "not delivered in time"
            await d.run_once()
            await asyncio.sleep(0.05)
        await d.notifiers["webhook"].close()
    assert len(rx.ids) == 10
    if not processed:
        assert rx.duplicates() == 0  # a hung server took nothing: nothing doubles
        return
    # A server that is only slow acts on requests the client already gave up on: the
    # at-least-once window. Each duplicate is one timed-out attempt, never more.
    print(f"\nslow receiver: {rx.duplicates()} duplicate(s) of 10 ({d.stats.retried} retries)")
    assert rx.duplicates() <= d.stats.retried


async def test_permanent_failure_is_dead_lettered_then_retried(db: Database) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), 5)
        rx.permanent = {rcepts[2]}
        d = _dispatcher(db, server.url)
        await d.drain(timeout=30)
        dead = await outbox.list_by_status(db, ["dead"])
        assert [r.ref for r in dead] == [rcepts[2]]
        assert "400" in dead[0].last_error
        rx.permanent = set()
        assert await outbox.requeue_failed(db) == 1
        await d.drain(timeout=30)
        await d.notifiers["webhook"].close()
    assert len(rx.ids) == 5 and rx.duplicates() == 0


async def test_gone_webhook_is_dead_lettered(db: Database) -> None:
    rx = OutboxReceiver(secret="s3cret")
    with restartable(rx) as server:
        await fill_outbox(db, webhook(server.url), 3)
        rx.fail_for(30, status=410)
        d = _dispatcher(db, server.url)
        await d.drain(timeout=30)
        await d.notifiers["webhook"].close()
    # Not "dropped": a configured URL that 410s is fixed by the operator, who then
    # replays the dead letters with `dartwatch deliveries --retry`.
    assert (await outbox.counts(db)) == {"dead": 3}
