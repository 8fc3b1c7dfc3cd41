"""Filings, deduplicated by ``rcept_no``, and the changes seen on them.

OpenDART's list is not immutable: an amendment adds a new row *and* the original row's
``rm`` gains 정; a withdrawal adds 철; names get corrected. :func:`upsert_filings`
inserts unseen rows and turns changes of stored rows into :class:`FilingEvent` rows,
which the pipeline turns into alerts exactly once (``processed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import AlertState, Filing, FilingEvent, utcnow

_F = Filing.__table__.c  # type: ignore[attr-defined]
_E = FilingEvent.__table__.c  # type: ignore[attr-defined]

PENDING = AlertState.PENDING
SUPPRESSED = AlertState.SUPPRESSED
DONE = AlertState.DONE

AMENDED = "amended"
WITHDRAWN = "withdrawn"
CHANGED = "changed"

_CHUNK = 400


@dataclass(frozen=True, slots=True)
class FilingRecord:
    """A filing as listed by OpenDART (plain data; the storage layer's input)."""

    rcept_no: str
    corp_code: str
    corp_name: str
    report_nm: str
    rcept_dt: str
    rm: str = ""
    stock_code: str | None = None
    corp_cls: str | None = None
    flr_nm: str | None = None
    filed_at: datetime | None = None  # from the RSS feed only


@dataclass(slots=True)
class UpsertResult:
    new: list[str] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)  # (rcept_no, kind)
    updated: int = 0
    unchanged: int = 0

    def merge(self, other: UpsertResult) -> None:
        self.new.extend(other.new)
        self.events.extend(other.events)
        self.updated += other.updated
        self.unchanged += other.unchanged


def _changes(old: Filing, new: FilingRecord) -> tuple[list[str], dict[str, object]]:
    """The event kinds and column values that turn *old* into *new*.

    The 정/철 flags are sticky: a row seen once without its flag (a stale replica, a
    row that vanished and came back) must not produce a second amendment event.
    """
    kinds: list[str] = []
    values: dict[str, object] = {}
    if "정" in new.rm and not old.amended:
        kinds.append(AMENDED)
        values["amended"] = True
    if "철" in new.rm and not old.withdrawn:
        kinds.append(WITHDRAWN)
        values["withdrawn"] = True
    lost_flag = any(flag in old.rm and flag not in new.rm for flag in "정철")
    if new.rm != old.rm and not lost_flag:
        values["rm"] = new.rm
    content = {
        "report_nm": new.report_nm,
        "corp_name": new.corp_name,
        "flr_nm": new.flr_nm,
        "rcept_dt": new.rcept_dt,
    }
    diff = {k: v for k, v in content.items() if getattr(old, k) != v and v is not None}
    if diff:
        kinds.append(CHANGED)
        values.update(diff)
    if new.stock_code and new.stock_code != old.stock_code:
        values["stock_code"] = new.stock_code
    if new.corp_cls and new.corp_cls != old.corp_cls:
        values["corp_cls"] = new.corp_cls
    return kinds, values


def _row(
    r: FilingRecord, now: datetime, *, source: str, alert_state: str, listed: bool
) -> dict[str, object]:
    """The new ``filings`` row of *r*. A feed-only row (``listed=False``) carries no
    remark yet: list.json, the authority on it, fills it in when it lists the filing."""
    rm = r.rm if listed else ""
    return {
        "rcept_no": r.rcept_no,
        "corp_code": r.corp_code,
        "corp_name": r.corp_name,
        "stock_code": r.stock_code,
        "corp_cls": r.corp_cls,
        "report_nm": r.report_nm,
        "flr_nm": r.flr_nm,
        "rcept_dt": r.rcept_dt,
        "rm": rm,
        "first_seen_at": now,
        "updated_at": now,
        "filed_at": r.filed_at,
        "listed_at": now if listed else None,
        "amended": "정" in rm,
        "withdrawn": "철" in rm,
        "source": source,
        "alert_state": alert_state,
    }


async def _insert_new(session: AsyncSession, rows: list[dict[str, object]]) -> set[str]:
    """Insert-or-ignore on the primary key; the receipt numbers this call inserted
    (a concurrent writer's rows are not reported as ours)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Filing)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["rcept_no"])
        .returning(_F.rcept_no)
    )
    return set((await session.exec(stmt)).scalars().all())


async def _apply_change(
    session: AsyncSession,
    old: Filing,
    new: FilingRecord,
    now: datetime,
    alert_state: str,
    result: UpsertResult,
) -> None:
    """Record what changed in a stored filing, compare-and-set on its old values so
    that one change yields one event whoever else writes."""
    kinds, values = _changes(old, new)
    if old.listed_at is None:
        values["listed_at"] = now  # list.json confirms what the feed showed
    if not values:
        result.unchanged += 1
        return
    values["updated_at"] = now
    guarded = await session.exec(
        update(Filing)
        .where(
            _F.rcept_no == old.rcept_no,
            _F.rm == old.rm,
            _F.report_nm == old.report_nm,
            _F.amended == old.amended,
            _F.withdrawn == old.withdrawn,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not guarded.rowcount:
        return  # a concurrent writer applied this change first
    result.updated += 1
    for kind in kinds:
        session.add(
            FilingEvent(
                rcept_no=old.rcept_no,
                kind=kind,
                old_rm=old.rm,
                new_rm=new.rm,
                at=now,
                processed=alert_state == SUPPRESSED,
            )
        )
        result.events.append((old.rcept_no, kind))


async def upsert_filings(
    session: AsyncSession,
    records: Iterable[FilingRecord],
    *,
    alert_state: str = PENDING,
    source: str = "poll",
    now: datetime | None = None,
) -> UpsertResult:
    """Store unseen filings and record changes of stored ones.

    Safe to run twice and against a concurrent writer: inserts ignore conflicts (only
    rows this call actually inserted are reported new) and updates compare-and-set on
    the old values, so one change yields one event. Events found by a backfill
    (``alert_state="suppressed"``) are stored as already processed: history never alerts.
    """
    now = now or utcnow()
    unique: dict[str, FilingRecord] = {}
    for record in records:
        unique[record.rcept_no] = record
    result = UpsertResult()
    # One order for every writer: two transactions locking overlapping rows in
    # different orders deadlock on PostgreSQL (a `poll` run beside the daemon, a
    # backfill, several processes on one database).
    keys = sorted(unique)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        existing = {
            f.rcept_no: f
            for f in (await session.exec(select(Filing).where(col(Filing.rcept_no).in_(chunk))))
        }
        fresh = [unique[k] for k in chunk if k not in existing]
        if fresh:
            rows = [
                _row(r, now, source=source, alert_state=alert_state, listed=True) for r in fresh
            ]
            inserted = await _insert_new(session, rows)
            result.new.extend(r.rcept_no for r in fresh if r.rcept_no in inserted)
        for key in chunk:
            old = existing.get(key)
            if old is not None:
                await _apply_change(session, old, unique[key], now, alert_state, result)
    await session.flush()
    return result


async def record_feed_items(
    session: AsyncSession, records: Iterable[FilingRecord], *, now: datetime | None = None
) -> list[str]:
    """Store filings the RSS feed showed before list.json, pending their alert; return
    the receipt numbers actually inserted.

    A filing already stored (list.json or an earlier feed read saw it first) is never
    touched beyond filling in ``filed_at``: list.json is the authority on its fields,
    and this keeps one filing one alert whichever source sees it first. Insert-or-ignore
    on the primary key makes concurrent writers safe.
    """
    now = now or utcnow()
    unique = {r.rcept_no: r for r in records}
    if not unique:
        return []
    keys = sorted(unique)
    rows = [_row(unique[k], now, source="rss", alert_state=PENDING, listed=False) for k in keys]
    inserted = await _insert_new(session, rows)
    for key in keys:
        filed_at = unique[key].filed_at
        if key in inserted or filed_at is None:
            continue
        await session.exec(
            update(Filing)
            .where(_F.rcept_no == key, _F.filed_at.is_(None))
            .values(filed_at=filed_at)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return [k for k in keys if k in inserted]


async def unlisted_feed_filings(db: Database, older_than: datetime) -> list[Filing]:
    """Filings only the feed has shown, stored before *older_than*: list.json is late
    with them (or will never list them)."""
    async with db.session() as session:
        rows = await session.exec(
            select(Filing)
            .where(_F.listed_at.is_(None), _F.first_seen_at < older_than)
            .order_by(col(Filing.first_seen_at))
        )
        return list(rows.all())


async def get(db: Database, rcept_no: str) -> Filing | None:
    async with db.session() as session:
        return (await session.exec(select(Filing).where(_F.rcept_no == rcept_no))).first()


async def list_filings(
    db: Database,
    *,
    corp_codes: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    alert_state: str | None = None,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[Filing]:
    """Stored filings, filtered. *since*/*until* are receipt dates ``YYYYMMDD``
    (inclusive); ordering is by receipt date, then receipt number."""
    query = select(Filing)
    if corp_codes is not None:
        query = query.where(col(Filing.corp_code).in_(list(corp_codes)))
    if since is not None:
        query = query.where(_F.rcept_dt >= since)
    if until is not None:
        query = query.where(_F.rcept_dt <= until)
    if alert_state is not None:
        query = query.where(_F.alert_state == alert_state)
    if newest_first:
        query = query.order_by(col(Filing.rcept_dt).desc(), col(Filing.rcept_no).desc())
    else:
        query = query.order_by(col(Filing.rcept_dt), col(Filing.rcept_no))
    if limit is not None:
        query = query.limit(limit)
    async with db.session() as session:
        return list((await session.exec(query)).all())


async def pending(db: Database, limit: int = 500) -> list[Filing]:
    """Filings a poll stored that the pipeline has not matched yet, oldest first."""
    return await list_filings(db, alert_state=PENDING, limit=limit, newest_first=False)


async def unprocessed_events(db: Database, limit: int = 500) -> list[FilingEvent]:
    async with db.session() as session:
        rows = await session.exec(
            select(FilingEvent)
            .where(_E.processed == False)  # noqa: E712 (SQL comparison)
            .order_by(col(FilingEvent.id))
            .limit(limit)
        )
        return list(rows.all())


async def events_for(db: Database, rcept_no: str) -> list[FilingEvent]:
    async with db.session() as session:
        rows = await session.exec(
            select(FilingEvent).where(_E.rcept_no == rcept_no).order_by(col(FilingEvent.id))
        )
        return list(rows.all())


async def count(db: Database, *, corp_codes: Sequence[str] | None = None) -> int:
    query = select(func.count()).select_from(Filing)
    if corp_codes is not None:
        query = query.where(col(Filing.corp_code).in_(list(corp_codes)))
    async with db.session() as session:
        return int((await session.exec(query)).one())


async def counts_by_state(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.exec(select(_F.alert_state, func.count()).group_by(_F.alert_state))
        return {str(state): int(n) for state, n in rows.all()}
