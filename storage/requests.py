"""Request accounting: OpenDART requests per KST day, persisted so a restart (or a
second process) keeps counting from the same number."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import RequestDay

_COLUMNS = RequestDay.__table__.c  # type: ignore[attr-defined]


async def increment(session: AsyncSession, day: date, by: int = 1) -> int:
    """Add *by* requests to *day* atomically and return the new total.

    The caller checks the total against its budget inside the same transaction and
    raises to roll back, so concurrent processes can never overshoot together.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(RequestDay)
        .values(day=day, requests=by)
        .on_conflict_do_update(index_elements=["day"], set_={"requests": _COLUMNS.requests + by})
        .returning(_COLUMNS.requests)
    )
    result = await session.exec(stmt)
    return int(result.scalar_one())


async def used_on(db: Database, day: date) -> int:
    async with db.session() as session:
        row = (await session.exec(select(RequestDay).where(_COLUMNS.day == day))).first()
        return row.requests if row is not None else 0


async def mark_quota_hit(session: AsyncSession, day: date, at: datetime) -> None:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(RequestDay).values(day=day, requests=0, quota_hit_at=at)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"quota_hit_at": at})
    await session.exec(stmt)


async def refund(session: AsyncSession, day: date, by: int = 1) -> None:
    """Take back a counted request that was never sent (e.g. the limiter gave up)."""
    await session.exec(
        update(RequestDay)
        .where(_COLUMNS.day == day, _COLUMNS.requests >= by)
        .values(requests=_COLUMNS.requests - by)
    )


async def recent(db: Database, limit: int = 7) -> list[RequestDay]:
    async with db.session() as session:
        rows = await session.exec(
            select(RequestDay).order_by(col(RequestDay.day).desc()).limit(limit)
        )
        return list(rows.all())
