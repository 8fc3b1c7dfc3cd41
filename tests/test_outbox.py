"""The outbox and the dispatcher's decisions, on SQLite and PostgreSQL.

The notifier here is an in-memory recorder: the subject is the outbox logic, not a
wire protocol (the HTTP notifiers have their own loopback tests, and
tests/test_dispatch_webhook.py drives this dispatcher against a real receiver).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import ClassVar

import pytest

from monitor.delivery.dispatcher import Dispatcher, backoff_seconds
from notifiers.base import (
    Alert,
    DestinationGone,
    Notifier,
    PermanentError,
    TransientError,
)
from storage import outbox
from storage.db import Database
from storage.models import Delivery, utcnow


class Recorder(Notifier):
    name = "rec"
    rate_per_second: ClassVar[float | None] = None

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.script: dict[str, list[Exception]] = {}

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        errors = self.script.get(destination)
        if errors:
            raise errors.pop(0)
        self.sent.append((alert.rcept_no, destination))


async def resolve(row: Delivery) -> Alert:
    return Alert(
        rcept_no=row.ref,
        corp_code="00266961",
        corp_name="NAVER",
        report_nm="t",
        rcept_dt="20260115",
    )


async def _enqueue(db: Database, n: int, dest: str = "default", kind: str = "alert") -> None:
    async with db.session() as s:
        await outbox.enqueue(
            s,
            [
                outbox.NewDelivery(
                    kind=kind, ref=f"2026011500{i:04d}", notifier="rec", destination=dest
                )
                for i in range(n)
            ],
        )


def _dispatcher(db: Database, rec: Recorder, **kw: object) -> Dispatcher:
    params: dict[str, object] = {"worker_id": "w1", "backoff_initial": 0.01, "backoff_max": 0.02}
    params.update(kw)
    return Dispatcher(db, {"rec": rec}, resolve, **params)  # type: ignore[arg-type]


async def test_enqueue_is_idempotent(db: Database) -> None:
    await _enqueue(db, 5)
    await _enqueue(db, 5)  # the pipeline re-run after a crash must not double rows
    assert (await outbox.counts(db)) == {"pending": 5}


async def test_each_row_sent_exactly_once(db: Database) -> None:
    await _enqueue(db, 120)
    rec = Recorder()
    await _dispatcher(db, rec, batch_size=25).drain(timeout=30)
    assert len(rec.sent) == 120
    assert len(set(rec.sent)) == 120
    assert (await outbox.counts(db)) == {"sent": 120}


async def test_transient_failures_retry_then_succeed(db: Database) -> None:
    await _enqueue(db, 1, dest="flaky")
    rec = Recorder()
    rec.script["flaky"] = [TransientError("502"), TransientError("timeout")]
    d = _dispatcher(db, rec)
    for _ in range(50):
        await d.run_once()
        if rec.sent:
            break
        await asyncio.sleep(0.03)
    assert rec.sent == [("20260115000000", "flaky")]
    assert d.stats.retried == 2
    rows = await outbox.list_by_status(db, ["sent"])
    assert rows[0].attempts == 3


async def test_gives_up_into_dead_letters_and_retry_requeues(db: Database) -> None:
    await _enqueue(db, 1, dest="down")
    rec = Recorder()
    rec.script["down"] = [TransientError("503")] * 3
    d = _dispatcher(db, rec, max_attempts=3)
    for _ in range(50):
        await d.run_once()
        if (await outbox.counts(db)).get("dead"):
            break
        await asyncio.sleep(0.03)
    dead = await outbox.list_by_status(db, ["dead"])
    assert len(dead) == 1 and "503" in dead[0].last_error and dead[0].attempts == 3
    assert await outbox.requeue_failed(db) == 1
    await d.drain(timeout=10)
    assert rec.sent == [("20260115000000", "down")]


async def test_permanent_error_is_dead_at_once(db: Database) -> None:
    await _enqueue(db, 1, dest="bad")
    rec = Recorder()
    rec.script["bad"] = [PermanentError("400 bad payload")]
    await _dispatcher(db, rec).drain(timeout=10)
    assert (await outbox.counts(db)) == {"dead": 1}


async def test_destination_gone_drops_its_queue_and_calls_hook(db: Database) -> None:
    async with db.session() as s:
        await outbox.enqueue(
            s,
            [
                outbox.NewDelivery("alert", f"r{i}", "rec", "blocked", subscriber_id=7)
                for i in range(3)
            ]
            + [outbox.NewDelivery("alert", "r0", "rec", "ok", subscriber_id=8)],
        )
    rec = Recorder()
    rec.script["blocked"] = [DestinationGone("403 blocked")]
    gone: list[str] = []

    async def on_gone(row: Delivery, why: str) -> None:
        gone.append(row.destination)

    await _dispatcher(db, rec, batch_size=1, concurrency=1, on_gone=on_gone).drain(timeout=10)
    assert gone == ["blocked"]
    assert rec.sent == [("r0", "ok")]
    assert (await outbox.counts(db)) == {"dropped": 3, "sent": 1}


async def test_retry_after_pauses_without_counting_an_attempt(db: Database) -> None:
    await _enqueue(db, 1, dest="busy")
    rec = Recorder()
    rec.script["busy"] = [TransientError("429", retry_after=0.2)]
    d = _dispatcher(db, rec, max_attempts=1)
    await d.run_once()
    rows = await outbox.list_by_status(db, ["pending"])
    assert rows and rows[0].attempts == 0
    await asyncio.sleep(0.25)
    await d.drain(timeout=10)
    assert rec.sent == [("20260115000000", "busy")]


async def test_endless_retry_after_gives_up_after_max_age(db: Database) -> None:
    """Retry-After never counts as an attempt, so the row's age bounds it instead."""
    await _enqueue(db, 1, dest="busy")
    rec = Recorder()
    rec.script["busy"] = [TransientError("429", retry_after=0.05) for _ in range(100)]
    d = _dispatcher(db, rec, max_attempts=3, max_age=timedelta(seconds=0.3))
    for _ in range(100):
        await d.run_once()
        if (await outbox.counts(db)).get("dead"):
            break
        await asyncio.sleep(0.06)
    [row] = await outbox.list_by_status(db, [outbox.DEAD])
    assert row.attempts == 1 and "gave up after" in (row.last_error or "")
    assert "429" in (row.last_error or "")
    assert d.stats.dead == 1 and rec.sent == []
    assert await outbox.requeue_failed(db) == 1  # replayable like any dead letter


async def test_disabled_notifier_rows_wait_then_expire(db: Database) -> None:
    await _enqueue(db, 2)
    d = Dispatcher(db, {}, resolve, worker_id="w1", max_age=timedelta(hours=1))
    await d.run_once()
    assert (await outbox.counts(db)) == {"pending": 2}  # kept for when it comes back
    rows = await outbox.list_by_status(db, ["pending"])
    assert all("not enabled" in (r.last_error or "") and r.attempts == 0 for r in rows)
    d.max_age = timedelta(0)
    async with db.session() as s:  # due again now
        for r in rows:
            r.next_attempt_at = utcnow()
            s.add(r)
    await d.run_once()
    assert (await outbox.counts(db)) == {"dead": 2}


async def test_gone_configured_destination_is_dead_lettered_not_dropped(db: Database) -> None:
    """No subscriber behind the row (a webhook URL, an e-mail address from the settings):
    "gone" means the setting is wrong, so each row waits in the dead letters for
    `deliveries --retry` instead of vanishing."""
    await _enqueue(db, 3, dest="hook")
    rec = Recorder()
    rec.script["hook"] = [DestinationGone("404") for _ in range(3)]
    gone: list[str] = []

    async def on_gone(row: Delivery, why: str) -> None:
        gone.append(row.destination)

    d = _dispatcher(db, rec, concurrency=1, on_gone=on_gone)
    await d.drain(timeout=10)
    assert (await outbox.counts(db)) == {"dead": 3}
    assert d.stats.dead == 3 and d.stats.dropped == 0 and gone == []
    assert await outbox.requeue_failed(db) == 3
    await d.drain(timeout=10)
    assert sorted(rec.sent) == [(f"2026011500{i:04d}", "hook") for i in range(3)]


async def test_parallel_dispatchers_never_claim_the_same_row(db: Database) -> None:
    await _enqueue(db, 300)
    rec = Recorder()
    ds = [_dispatcher(db, rec, worker_id=f"w{i}", batch_size=20) for i in range(3)]
    await asyncio.gather(*(d.drain(timeout=60) for d in ds))
    counts = Counter(rec.sent)
    assert len(counts) == 300
    assert max(counts.values()) == 1


async def test_stale_claims_are_taken_back(db: Database) -> None:
    await _enqueue(db, 4)
    claimed = await outbox.claim_due(db, "dead-worker", 4)
    assert len(claimed) == 4
    assert await outbox.release_stale(db, timedelta(seconds=60)) == 0
    assert (
        await outbox.release_stale(db, timedelta(seconds=0), now=utcnow() + timedelta(seconds=1))
        == 4
    )
    assert (await outbox.counts(db)) == {"pending": 4}


async def test_run_forever_stops_and_releases(db: Database) -> None:
    await _enqueue(db, 30)
    rec = Recorder()
    d = _dispatcher(db, rec, batch_size=10, concurrency=2)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, idle=0.05))
    for _ in range(200):
        if len(rec.sent) == 30:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert len(rec.sent) == 30
    assert (await outbox.counts(db)) == {"sent": 30}


@pytest.mark.parametrize("attempt", [1, 2, 5, 10])
def test_backoff_grows_and_is_bounded(attempt: int) -> None:
    delay = backoff_seconds(attempt, initial=2, maximum=60)
    assert 0 < delay <= 61


async def test_mark_sent_many_marks_exactly_the_rows_given(db: Database) -> None:
    await _enqueue(db, 5)
    claimed = await outbox.claim_due(db, "w", 5)
    ids = [r.id for r in claimed if r.id is not None]
    assert await outbox.mark_sent_many(db, ids[:3]) == 3
    assert await outbox.mark_sent_many(db, []) == 0
    assert (await outbox.counts(db)) == {"sent": 3, "sending": 2}
    rows = {r.id: r for r in await outbox.list_by_status(db, ["sent"])}
    assert sorted(rows) == sorted(ids[:3])
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows.values())


class Watcher(Recorder):
    """Counts, at every send, the rows claimed but not marked sent: the rows a SIGKILL
    at that moment would send twice."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.unmarked: list[int] = []

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        self.unmarked.append((await outbox.counts(self.db)).get("sending", 0))
        await super().send_alert(alert, destination, lang=lang)


async def test_buffered_marks_keep_the_crash_window_within_batch_plus_concurrency(
    db: Database,
) -> None:
    await _enqueue(db, 60)
    rec = Watcher(db)
    # Marks are written by count only (the timer is far off): the claimer must leave
    # room for the buffered ones, or claimed-but-unmarked rows would pile up.
    d = _dispatcher(db, rec, batch_size=10, concurrency=3, mark_every=5, mark_interval=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, idle=0.05))
    for _ in range(500):
        if len(rec.sent) == 60:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert len(set(rec.sent)) == len(rec.sent) == 60
    assert max(rec.unmarked) <= 10 + 3
    assert (await outbox.counts(db)) == {"sent": 60}


async def test_a_lone_sent_row_is_marked_at_once_not_after_a_timer(db: Database) -> None:
    """Group commit: with no write in progress, a sent row's mark is written at once,
    so a trickle (Telegram's 30/s) leaves almost nothing for a SIGKILL to send twice.
    The interval only spaces writes under a fast stream."""
    await _enqueue(db, 1)
    rec = Recorder()
    d = _dispatcher(db, rec, batch_size=10, mark_interval=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, idle=0.05))
    counts: dict[str, int] = {}
    try:
        for _ in range(200):
            counts = await outbox.counts(db)
            if counts == {"sent": 1}:
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert counts == {"sent": 1}, "the mark waited for the 30 s interval"
    assert rec.sent == [("2026011500" + "0000", "default")]


async def test_a_burst_is_marked_in_spaced_writes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a stream the marker writes at most once per interval, each write carrying
    what was buffered meanwhile: far fewer transactions than rows."""
    writes: list[int] = []
    real = outbox.mark_sent_many

    async def counted(db_: Database, ids: list[int], **kw: object) -> int:
        writes.append(len(ids))
        return await real(db_, ids)

    monkeypatch.setattr(outbox, "mark_sent_many", counted)
    await _enqueue(db, 200)
    rec = Recorder()
    d = _dispatcher(db, rec, batch_size=50, concurrency=4, mark_interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, idle=0.05))
    try:
        for _ in range(1000):
            if (await outbox.counts(db)) == {"sent": 200}:
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert (await outbox.counts(db)) == {"sent": 200}
    assert sum(writes) == 200
    assert len(writes) < 200 / 3, writes
    assert max(writes) <= d.mark_every


class Slow(Recorder):
    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        await asyncio.sleep(0.01)
        await super().send_alert(alert, destination, lang=lang)


async def test_a_stop_mid_fanout_writes_the_marks_before_handing_claims_back(
    db: Database,
) -> None:
    await _enqueue(db, 80)
    rec = Slow()
    d = _dispatcher(db, rec, batch_size=20, concurrency=4, mark_interval=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(stop, idle=0.05))
    for _ in range(500):
        if len(rec.sent) >= 25:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    sent_before = len(rec.sent)
    # Every send is marked (none handed back as pending to be sent again)...
    assert (await outbox.counts(db)) == {"sent": sent_before, "pending": 80 - sent_before}
    # ...so a successor sends only the rest.
    await _dispatcher(db, rec, worker_id="w2", batch_size=20).drain(timeout=30)
    assert len(rec.sent) == len(set(rec.sent)) == 80


async def test_daemon_loop_claims_a_backlog_without_waiting_for_the_idle_tick(
    db: Database,
) -> None:
    await _enqueue(db, 200)
    rec = Recorder()
    d = _dispatcher(db, rec, batch_size=10, concurrency=4)
    stop = asyncio.Event()
    # A 30 s idle tick: a loop that waited for it whenever its queue was full would
    # send about one batch per tick.
    task = asyncio.create_task(d.run_forever(stop, idle=30.0))
    start = asyncio.get_running_loop().time()
    while len(rec.sent) < 200 and asyncio.get_running_loop().time() - start < 20:
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert len(rec.sent) == len(set(rec.sent)) == 200
    assert (await outbox.counts(db)) == {"sent": 200}
