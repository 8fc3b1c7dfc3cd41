"""Small durable facts in ``meta`` (key -> text): quota pause, fatal key state,
corpCode refresh time, the last poll's market-wide row count."""

from __future__ import annotations

from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import Meta, utcnow

_COLUMNS = Meta.__table__.c  # type: ignore[attr-defined]


async def get(session: AsyncSession, key: str) -> str | None:
    row = (await session.exec(select(Meta).where(_COLUMNS.key == key))).first()
    return row.value if row is not None else None


async def put(session: AsyncSession, key: str, value: str) -> None:
    """Insert or overwrite *key* (portable upsert)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    stmt = insert(Meta).values(key=key, value=value, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"], set_={"value": value, "updated_at": now}
    )
    await session.exec(stmt)


async def remove(session: AsyncSession, key: str) -> None:
    await session.exec(sa_delete(Meta).where(_COLUMNS.key == key))


async def get_value(db: Database, key: str) -> str | None:
    async with db.session() as session:
        return await get(session, key)


async def set_value(db: Database, key: str, value: str) -> None:
    async with db.session() as session:
        await put(session, key, value)


async def delete_value(db: Database, key: str) -> None:
    async with db.session() as session:
        await remove(session, key)
