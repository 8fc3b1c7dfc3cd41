"""The corpCode.xml cache (~100k entries): replaced wholesale at most daily, read to
resolve names, stock codes and corp codes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, insert, or_
from sqlmodel import col, select

from storage.db import Database
from storage.models import CorpCode

_C = CorpCode.__table__.c  # type: ignore[attr-defined]
_BATCH = 5000


async def replace_all(db: Database, entries: Iterable[Mapping[str, Any]]) -> int:
    """Swap the whole cache in one transaction (readers see the old or the new set,
    never half). Bulk executemany in batches keeps 100k rows to a few seconds."""
    rows = [
        {
            "corp_code": e["corp_code"],
            "corp_name": e["corp_name"],
            "corp_eng_name": e.get("corp_eng_name"),
            "stock_code": e.get("stock_code"),
            "modify_date": e.get("modify_date"),
        }
        for e in entries
    ]
    # corpCode.xml has been seen with duplicates; the last one wins, as a primary key needs.
    deduped = list({r["corp_code"]: r for r in rows}.values())
    async with db.session() as session:
        conn = await session.connection()
        await conn.execute(delete(CorpCode))
        for start in range(0, len(deduped), _BATCH):
            await conn.execute(insert(CorpCode), deduped[start : start + _BATCH])
    return len(deduped)


async def count(db: Database) -> int:
    async with db.session() as session:
        return int((await session.exec(select(func.count()).select_from(CorpCode))).one())


async def by_code(db: Database, corp_code: str) -> CorpCode | None:
    async with db.session() as session:
        return (await session.exec(select(CorpCode).where(_C.corp_code == corp_code))).first()


async def by_stock(db: Database, stock_code: str) -> list[CorpCode]:
    async with db.session() as session:
        rows = await session.exec(select(CorpCode).where(_C.stock_code == stock_code))
        return list(rows.all())


async def by_name(db: Database, name: str, *, limit: int = 50) -> list[CorpCode]:
    """Exact matches on the Korean name, or case-insensitive on the English name."""
    name = name.strip()
    async with db.session() as session:
        rows = await session.exec(
            select(CorpCode)
            .where(
                or_(
                    _C.corp_name == name,
                    func.lower(_C.corp_eng_name) == name.lower(),
                )
            )
            .order_by(col(CorpCode.corp_code))
            .limit(limit)
        )
        return list(rows.all())
