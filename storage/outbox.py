"""The delivery outbox.

Rows are written in the same transaction as the match that causes them, then sent
by any number of dispatchers. A dispatcher *claims* a batch (status ``sending``,
``claimed_by`` = a unique batch token) with one UPDATE whose sub-select uses
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never claim the same row. A
claim older than the lease is taken back by :func:`release_stale`: a dispatcher
killed mid-batch re-sends at most the rows it had claimed but not marked — the
measured duplicate window.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import Delivery, DeliveryStatus, utcnow

PENDING = DeliveryStatus.PENDING
SENDING = DeliveryStatus.SENDING
SENT = DeliveryStatus.SENT
DEAD = DeliveryStatus.DEAD
DROPPED = DeliveryStatus.DROPPED
#: an alert waiting for its chat's quiet hours to end (claimed by nobody until released)
HELD = DeliveryStatus.HELD
#: a held alert delivered inside the summary row named in its payload's ``summary``
BUNDLED = DeliveryStatus.BUNDLED
#: the kind of the one row that carries the alerts a chat's quiet hours held
HELD_KIND = "held"

_COLUMNS = Delivery.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class NewDelivery:
    kind: str
    ref: str
    notifier: str
    destination: str
    subscriber_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    next_attempt_at: datetime | None = None
    status: str = PENDING  # or HELD: an alert held through quiet hours


async def enqueue(session: AsyncSession, rows: Iterable[NewDelivery]) -> int:
    """Insert outbox rows, ignoring ones that already exist (same kind, ref, notifier,
    destination): re-running the pipeline or a digest never doubles a message."""
    now = utcnow()
    values = [
        {
            "kind": r.kind,
            "ref": r.ref,
            "notifier": r.notifier,
            "destination": r.destination,
            "subscriber_id": r.subscriber_id,
            "payload": r.payload,
            "status": r.status,
            "attempts": 0,
            "next_attempt_at": r.next_attempt_at or now,
            "last_error": "",
            "created_at": now,
        }
        for r in rows
    ]
    if not values:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = 0
    # Chunk so a 10,000-subscriber fan-out stays under parameter limits. RETURNING
    # counts what was really inserted (rowcount is not reliable for multi-row
    # INSERT ... ON CONFLICT on every driver).
    for start in range(0, len(values), 500):
        stmt = (
            insert(Delivery)
            .values(values[start : start + 500])
            .on_conflict_do_nothing(index_elements=["kind", "ref", "notifier", "destination"])
            .returning(_COLUMNS.id)
        )
        result = await session.exec(stmt)
        inserted += len(result.all())
    return inserted


async def claim_due(
    db: Database, worker: str, limit: int, *, now: datetime | None = None
) -> list[Delivery]:
    """Atomically take up to *limit* due rows for *worker*; return them."""
    now = now or utcnow()
    due = (
        select(_COLUMNS.id)
        .where(_COLUMNS.status == PENDING, _COLUMNS.next_attempt_at <= now)
        .order_by(_COLUMNS.next_attempt_at, _COLUMNS.id)
        .limit(limit)
    )
    if not db.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    return await _claim(db, worker, _COLUMNS.id.in_(due.scalar_subquery()), now)


async def claim_ids(db: Database, worker: str, ids: Sequence[int]) -> list[Delivery]:
    """Take exactly the pending rows *ids* for *worker*, whatever their due time (a
    command sending rows it just wrote, which no other dispatcher should take first)."""
    if not ids:
        return []
    cond = and_(_COLUMNS.id.in_(list(ids)), _COLUMNS.status == PENDING)
    return await _claim(db, worker, cond, utcnow())


async def _claim(db: Database, worker: str, cond: Any, now: datetime) -> list[Delivery]:
    """Mark the rows matching *cond* ``sending`` under a fresh batch token and return
    them, by id, in one statement (``UPDATE ... RETURNING``: SQLite 3.35+, PostgreSQL):
    one transaction per claim instead of an update and a re-read."""
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    async with db.session() as session:
        result = await session.exec(
            update(Delivery)
            .where(cond)
            .values(status=SENDING, claimed_by=token, claimed_at=now)
            .returning(Delivery)
            .execution_options(synchronize_session=False)
        )
        rows = list(result.scalars().all())
    rows.sort(key=lambda r: r.id or 0)
    return rows


async def by_ref(db: Database, kind: str, ref: str) -> list[Delivery]:
    """Every row of one message (*kind*, *ref*), by id."""
    async with db.session() as session:
        rows = await session.exec(
            select(Delivery).where(_COLUMNS.kind == kind, _COLUMNS.ref == ref).order_by(_COLUMNS.id)
        )
        return list(rows.all())


async def mark_sent(db: Database, delivery_id: int, *, now: datetime | None = None) -> None:
    async with db.session() as session:
        await session.exec(
            update(Delivery)
            .where(_COLUMNS.id == delivery_id)
            .values(
                status=SENT, sent_at=now or utcnow(), attempts=_COLUMNS.attempts + 1, last_error=""
            )
        )


async def mark_sent_many(
    db: Database, delivery_ids: Sequence[int], *, now: datetime | None = None
) -> int:
    """Mark *delivery_ids* sent in one statement; return how many rows it touched.

    The dispatcher buffers "sent" marks and writes them together, which saves one
    transaction per delivery; a row sent but not yet marked is what a SIGKILL turns
    into a duplicate, so the caller bounds the buffer (see :mod:`monitor.delivery.dispatcher`).
    """
    if not delivery_ids:
        return 0
    async with db.session() as session:
        result = await session.exec(
            update(Delivery)
            .where(_COLUMNS.id.in_(list(delivery_ids)))
            .values(
                status=SENT, sent_at=now or utcnow(), attempts=_COLUMNS.attempts + 1, last_error=""
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


async def mark_retry(
    db: Database, delivery_id: int, error: str, next_attempt_at: datetime, *, count: bool = True
) -> None:
    """Back to pending, due at *next_attempt_at*. ``count=False`` for waits that are
    not the destination's fault (rate limits, quiet hours)."""
    values: dict[str, Any] = {
        "status": PENDING,
        "next_attempt_at": next_attempt_at,
        "last_error": error[:500],
        "claimed_by": None,
        "claimed_at": None,
    }
    if count:
        values["attempts"] = _COLUMNS.attempts + 1
    async with db.session() as session:
        await session.exec(update(Delivery).where(_COLUMNS.id == delivery_id).values(**values))


async def mark_dead(db: Database, delivery_id: int, error: str, *, status: str = DEAD) -> None:
    async with db.session() as session:
        await session.exec(
            update(Delivery)
            .where(_COLUMNS.id == delivery_id)
            .values(
                status=status,
                last_error=error[:500],
                attempts=_COLUMNS.attempts + 1,
                claimed_by=None,
            )
        )


async def drop_pending_for_subscriber(db: Database, subscriber_id: int, reason: str) -> int:
    """A destination went away: its other queued messages can never arrive either."""
    async with db.session() as session:
        result = await session.exec(
            update(Delivery)
            .where(
                _COLUMNS.subscriber_id == subscriber_id,
                _COLUMNS.status.in_([PENDING, SENDING, HELD]),
            )
            .values(status=DROPPED, last_error=reason[:500], claimed_by=None)
        )
        return int(result.rowcount or 0)


async def move_destination(db: Database, subscriber_id: int, new_destination: str) -> None:
    """Point queued rows of a migrated chat at its new id."""
    async with db.session() as session:
        await session.exec(
            update(Delivery)
            .where(
                _COLUMNS.subscriber_id == subscriber_id,
                _COLUMNS.status.in_([PENDING, SENDING, HELD]),
            )
            .values(destination=new_destination)
        )


async def release_held(
    db: Database,
    *,
    summarize: Collection[str] = (),
    now: datetime | None = None,
    limit: int = 2000,
) -> int:
    """Release the alerts whose chats' quiet hours are over; return the rows released.

    A chat's held alerts on a notifier named in *summarize* become ONE row of kind
    :data:`HELD_KIND` (its payload lists their refs, in the order they were held),
    and the alerts themselves become :data:`BUNDLED`, in one transaction: the summary
    row carries the delivery from then on (retries, dead letters). A single held alert,
    or one for another notifier, simply becomes due as it is. The rows are locked
    (without skipping) so two dispatchers never split one chat's summary in two.
    """
    now = now or utcnow()
    async with db.session() as session:
        due = (
            select(Delivery)
            .where(_COLUMNS.status == HELD, _COLUMNS.next_attempt_at <= now)
            .order_by(_COLUMNS.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            due = due.with_for_update()
        held = list((await session.exec(due)).all())
        chats: dict[tuple[str, str], list[Delivery]] = {}
        for row in held:
            chats.setdefault((row.notifier, row.destination), []).append(row)
        alone: list[int] = []
        for (notifier, _), rows in chats.items():
            if notifier in summarize and len(rows) > 1:
                await _bundle(session, rows, now)
            else:
                alone.extend(r.id for r in rows if r.id is not None)
        if alone:
            await session.exec(
                update(Delivery)
                .where(_COLUMNS.id.in_(alone), _COLUMNS.status == HELD)
                .values(status=PENDING)
                .execution_options(synchronize_session=False)
            )
        return len(held)


async def _bundle(session: AsyncSession, rows: Sequence[Delivery], now: datetime) -> None:
    """One chat's held alerts into one summary row, due now; they become bundled."""
    first = rows[0]
    ref = f"{now:%Y%m%dT%H%M}-{first.id}"
    payload: dict[str, Any] = {
        "lang": first.payload.get("lang", "ko"),
        "refs": [r.ref for r in rows],
    }
    if all(r.payload.get("silent") for r in rows):
        payload["silent"] = True  # the summary rings unless every alert in it was silent
    summary = NewDelivery(
        kind=HELD_KIND,
        ref=ref,
        notifier=first.notifier,
        destination=first.destination,
        subscriber_id=first.subscriber_id,
        payload=payload,
        next_attempt_at=now,
    )
    await enqueue(session, [summary])
    for row in rows:
        row.status = BUNDLED
        row.payload = {**row.payload, "summary": ref}
        row.sent_at = now
        session.add(row)


async def release_stale(db: Database, lease: timedelta, *, now: datetime | None = None) -> int:
    """Return claims older than *lease* to the queue (their dispatcher died)."""
    cutoff = (now or utcnow()) - lease
    async with db.session() as session:
        result = await session.exec(
            update(Delivery)
            .where(_COLUMNS.status == SENDING, _COLUMNS.claimed_at < cutoff)
            .values(status=PENDING, claimed_by=None, claimed_at=None)
        )
        return int(result.rowcount or 0)


async def renew_claims(
    db: Database,
    worker: str,
    *,
    ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Heartbeat: refresh the claim time of every row *worker* still holds, so a short
    lease never takes back rows that are only waiting for their turn (rate limits).
    With *ids*, only those rows: the ones the worker really still has in hand."""
    cond = and_(_COLUMNS.status == SENDING, _COLUMNS.claimed_by.like(f"{worker}:%"))
    if ids is not None:
        if not ids:
            return 0
        cond = and_(cond, _COLUMNS.id.in_(list(ids)))
    async with db.session() as session:
        result = await session.exec(update(Delivery).where(cond).values(claimed_at=now or utcnow()))
        return int(result.rowcount or 0)


async def release_worker(db: Database, worker: str) -> int:
    """Graceful shutdown: hand back everything this worker claimed but did not send."""
    async with db.session() as session:
        result = await session.exec(
            update(Delivery)
            .where(_COLUMNS.status == SENDING, _COLUMNS.claimed_by.like(f"{worker}:%"))
            .values(status=PENDING, claimed_by=None, claimed_at=None)
        )
        return int(result.rowcount or 0)


async def list_by_status(
    db: Database, statuses: Sequence[str], *, limit: int = 200
) -> list[Delivery]:
    async with db.session() as session:
        rows = await session.exec(
            select(Delivery)
            .where(_COLUMNS.status.in_(list(statuses)))
            .order_by(_COLUMNS.id.desc())
            .limit(limit)
        )
        return list(rows.all())


async def requeue_failed(db: Database, ids: Sequence[int] | None = None) -> int:
    """``dartwatch deliveries --retry``: dead letters back to pending, attempts reset."""
    cond = _COLUMNS.status == DEAD
    if ids:
        cond = and_(cond, _COLUMNS.id.in_(list(ids)))
    async with db.session() as session:
        result = await session.exec(
            update(Delivery)
            .where(cond)
            .values(status=PENDING, attempts=0, next_attempt_at=utcnow(), claimed_by=None)
        )
        return int(result.rowcount or 0)


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.exec(select(_COLUMNS.status, func.count()).group_by(_COLUMNS.status))
        return {status: int(n) for status, n in rows.all()}


async def sent_since(db: Database, since: datetime, kind: str = "alert") -> int:
    async with db.session() as session:
        result = await session.exec(
            select(func.count()).where(
                _COLUMNS.status == SENT, _COLUMNS.kind == kind, _COLUMNS.sent_at >= since
            )
        )
        return int(result.one())


async def purge_sent(db: Database, older_than: datetime) -> int:
    """Housekeeping: delivered and dropped rows past the retention period."""
    async with db.session() as session:
        result = await session.exec(
            delete(Delivery).where(
                _COLUMNS.status.in_([SENT, DROPPED, BUNDLED]),
                func.coalesce(_COLUMNS.sent_at, _COLUMNS.created_at) < older_than,
            )
        )
        return int(result.rowcount or 0)


async def next_due_at(db: Database) -> datetime | None:
    async with db.session() as session:
        result = await session.exec(
            select(func.min(_COLUMNS.next_attempt_at)).where(_COLUMNS.status == PENDING)
        )
        value = result.one()
        return value if isinstance(value, datetime) else None


async def ping(db: Database) -> None:
    async with db.session() as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]


async def set_message_id(
    session: AsyncSession, *, ref: str, notifier: str, destination: str, message_id: int
) -> None:
    """Remember the message an alert became at *destination* (the ``alert`` row)."""
    await session.exec(
        update(Delivery)
        .where(
            col(Delivery.kind) == "alert",
            col(Delivery.ref) == ref,
            col(Delivery.notifier) == notifier,
            col(Delivery.destination) == destination,
        )
        .values(message_id=message_id)
    )


async def message_id_of(
    session: AsyncSession, *, ref: str, notifier: str, destination: str
) -> int | None:
    """The message the alert *ref* became at *destination*, if it was recorded."""
    query = select(Delivery.message_id).where(
        col(Delivery.kind) == "alert",
        col(Delivery.ref) == ref,
        col(Delivery.notifier) == notifier,
        col(Delivery.destination) == destination,
    )
    return (await session.exec(query)).first()
