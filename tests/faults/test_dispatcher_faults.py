"""Regression tests for the two outbox bugs the PostgreSQL kill test found (see
test_storage_faults): a claim orphaned by a lost connection was renewed by the
dispatcher's heartbeat forever (never sent while the process lived), and a database
error while rebuilding a message dead-lettered the alert instead of retrying it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy.exc import OperationalError

from monitor.delivery.dispatcher import Dispatcher
from notifiers.base import Alert, Notifier
from storage import outbox
from storage.db import Database
from storage.models import Delivery

pytestmark = pytest.mark.faults


class Sink(Notifier):
    name: ClassVar[str] = "sink"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text(self, text: str, destination: str) -> None:
        self.sent.append(text)

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        raise AssertionError("texts only here")


async def _queue(db: Database, n: int) -> None:
    async with db.session() as s:
        await outbox.enqueue(
            s,
            [
                outbox.NewDelivery("admin", f"r{i}", "sink", "default", payload={"text": f"t{i}"})
                for i in range(n)
            ],
        )


async def _resolve(row: Delivery) -> str:
    return str(row.payload["text"])


async def _until_sent(db: Database, n: int, timeout: float) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        counts = await outbox.counts(db)
        if counts == {"sent": n}:
            return counts
        await asyncio.sleep(0.1)
    return await outbox.counts(db)


async def test_an_orphaned_claim_is_taken_back_while_the_dispatcher_lives(db: Database) -> None:
    await _queue(db, 3)
    sink = Sink()
    dispatcher = Dispatcher(db, {"sink": sink}, _resolve, worker_id="w", lease=timedelta(seconds=1))
    # A claim made under this dispatcher's name whose rows never reached a worker: what
    # a connection killed between the claim and its read-back leaves behind.
    orphans = await outbox.claim_due(db, dispatcher.claimer, 2)
    assert len(orphans) == 2
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run_forever(stop, idle=0.1))
    try:
        counts = await _until_sent(db, 3, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert counts == {"sent": 3}, "the heartbeat kept renewing claims nobody held"
    assert sorted(sink.sent) == ["t0", "t1", "t2"]


async def test_a_database_error_while_building_the_message_is_retried(db: Database) -> None:
    await _queue(db, 2)
    sink = Sink()
    failures = {"left": 2}

    async def flaky(row: Delivery) -> str:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return str(row.payload["text"])

    dispatcher = Dispatcher(db, {"sink": sink}, flaky, worker_id="w", backoff_initial=0.05)
    for _ in range(50):
        await dispatcher.run_once()
        if (await outbox.counts(db)) == {"sent": 2}:
            break
        await asyncio.sleep(0.05)
    assert (await outbox.counts(db)) == {"sent": 2}
    assert sorted(sink.sent) == ["t0", "t1"]
    assert dispatcher.stats.dead == 0 and dispatcher.stats.retried == 2


async def test_a_lost_sent_mark_is_written_later_and_nothing_is_sent_twice(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The buffered "sent" marks meet a lost connection: they stay buffered (the rows
    held and claimed), are written by a later flush, and no row goes out again."""
    await _queue(db, 6)
    sink = Sink()
    real = outbox.mark_sent_many
    failures = {"left": 2}

    async def flaky(db_: Database, ids: list[int], **kw: object) -> int:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return await real(db_, ids)

    monkeypatch.setattr(outbox, "mark_sent_many", flaky)
    dispatcher = Dispatcher(
        db, {"sink": sink}, _resolve, worker_id="w", batch_size=4, mark_interval=0.05
    )
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run_forever(stop, idle=0.1))
    try:
        counts = await _until_sent(db, 6, timeout=15)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert counts == {"sent": 6}
    assert failures["left"] == 0
    assert sorted(sink.sent) == [f"t{i}" for i in range(6)]
