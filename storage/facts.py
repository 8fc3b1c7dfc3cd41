"""The facts store (``filing_facts``): what each filing says, extracted once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Filing, FilingFacts, utcnow

RETRY = "retry"


async def get_facts(session: AsyncSession, rcept_no: str) -> FilingFacts | None:
    return await session.get(FilingFacts, rcept_no)


async def get_many(session: AsyncSession, rcept_nos: Sequence[str]) -> dict[str, FilingFacts]:
    if not rcept_nos:
        return {}
    query = select(FilingFacts).where(col(FilingFacts.rcept_no).in_(list(rcept_nos)))
    return {r.rcept_no: r for r in (await session.exec(query)).all()}


async def save_facts(
    session: AsyncSession,
    rcept_no: str,
    *,
    family: str | None,
    status: str,
    reason: str = "",
    source: str = "",
    facts: list[dict[str, Any]] | None = None,
    corrections: list[list[str]] | None = None,
    corrects: str | None = None,
    attempts: int = 0,
    at: datetime | None = None,
) -> None:
    """Insert or replace the facts record of *rcept_no*."""
    values: dict[str, Any] = {
        "rcept_no": rcept_no,
        "family": family,
        "status": status,
        "reason": reason[:500],
        "source": source,
        "facts": facts or [],
        "corrections": corrections or [],
        "corrects": corrects,
        "attempts": attempts,
        "extracted_at": at or utcnow(),
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(FilingFacts).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["rcept_no"],
        set_={k: getattr(stmt.excluded, k) for k in values if k != "rcept_no"},
    )
    await session.exec(stmt)


async def due_retries(session: AsyncSession, before: datetime, limit: int = 50) -> list[str]:
    """Filings whose structured row was missing and whose next try is due."""
    query = (
        select(FilingFacts.rcept_no)
        .where(col(FilingFacts.status) == RETRY, col(FilingFacts.extracted_at) <= before)
        .order_by(col(FilingFacts.extracted_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def original_of(session: AsyncSession, filing: Filing, base_title: str) -> Filing | None:
    """The latest earlier filing of the same company whose title, without amendment
    prefixes and spaces, is *base_title*: the filing a [기재정정] corrects."""
    query = (
        select(Filing)
        .where(
            col(Filing.corp_code) == filing.corp_code,
            col(Filing.rcept_no) < filing.rcept_no,
        )
        .order_by(col(Filing.rcept_no).desc())
        .limit(200)
    )
    for row in (await session.exec(query)).all():
        title = "".join(row.report_nm.split())
        while title.startswith("[") and "]" in title:
            title = title[title.index("]") + 1 :]
        if title == base_title:
            return row
    return None
