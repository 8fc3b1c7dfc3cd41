"""Watched companies (the watchlist as stored; everything is keyed by corp code)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from storage.db import Database
from storage.models import Company, utcnow

_C = Company.__table__.c  # type: ignore[attr-defined]


async def sync(db: Database, companies: Iterable[Mapping[str, Any]]) -> int:
    """Make the stored watch set equal to *companies*: upsert each (``watched`` as
    given) and unwatch stored companies no longer listed (rows stay: filings and
    subscriptions refer to them)."""
    rows = [dict(c) for c in companies]
    async with db.session() as session:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = utcnow()
        for row in rows:
            values = {
                "corp_code": row["corp_code"],
                "corp_name": row["corp_name"],
                "corp_eng_name": row.get("corp_eng_name"),
                "stock_code": row.get("stock_code"),
                "aliases": list(row.get("aliases") or []),
                "watched": bool(row.get("watched", True)),
                "added_at": now,
            }
            stmt = insert(Company).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=["corp_code"],
                set_={k: v for k, v in values.items() if k not in ("corp_code", "added_at")},
            )
            await session.exec(stmt)
        listed = [r["corp_code"] for r in rows]
        await session.exec(
            update(Company).where(col(Company.corp_code).not_in(listed)).values(watched=False)
        )
    return len(rows)


async def list_companies(db: Database, *, watched_only: bool = True) -> list[Company]:
    query = select(Company).order_by(col(Company.corp_code))
    if watched_only:
        query = query.where(_C.watched == True)  # noqa: E712 (SQL comparison)
    async with db.session() as session:
        return list((await session.exec(query)).all())


async def watched_codes(db: Database) -> list[str]:
    return [c.corp_code for c in await list_companies(db)]
