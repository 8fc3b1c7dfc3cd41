"""Stored matches: one row per filing (``rcept_no``), replaced when the filing is
matched again (a rematch after the timeline changed, a late document body)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Filing, Match

_COLUMNS = (
    "timeline_version",
    "team",
    "role",
    "phase",
    "category",
    "relevance",
    "ai_related",
    "reasons",
    "detail",
    "body_used",
    "matched_at",
)


def _values(match: Match) -> dict[str, Any]:
    return {"rcept_no": match.rcept_no, **{name: getattr(match, name) for name in _COLUMNS}}


async def save_match(session: AsyncSession, match: Match) -> None:
    """Insert or replace the match of ``match.rcept_no`` (portable upsert)."""
    await save_matches(session, [match])


async def save_matches(session: AsyncSession, matches: Sequence[Match]) -> int:
    if not matches:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(matches), 500):
        chunk = [_values(m) for m in matches[start : start + 500]]
        stmt = insert(Match).values(chunk)
        stmt = stmt.on_conflict_do_update(
            index_elements=["rcept_no"],
            set_={name: getattr(stmt.excluded, name) for name in _COLUMNS},
        )
        await session.exec(stmt)
    return len(matches)


async def get_match(session: AsyncSession, rcept_no: str) -> Match | None:
    return await session.get(Match, rcept_no)


async def list_matches(
    session: AsyncSession,
    *,
    rcept_nos: Sequence[str] | None = None,
    since: datetime | None = None,
    ai_only: bool = False,
    limit: int | None = None,
) -> list[Match]:
    """Matches, newest filings first (by rcept_no)."""
    query = select(Match)
    if rcept_nos is not None:
        query = query.where(col(Match.rcept_no).in_(list(rcept_nos)))
    if since is not None:
        query = query.where(col(Match.matched_at) >= since)
    if ai_only:
        query = query.where(col(Match.ai_related).is_(True))
    query = query.order_by(col(Match.rcept_no).desc())
    if limit is not None:
        query = query.limit(limit)
    return list((await session.exec(query)).all())


async def matched_filings(
    session: AsyncSession, *, after: str = "", limit: int = 500
) -> list[tuple[Filing, Match]]:
    """Stored filings that have a match, in rcept_no order after *after* (for paging
    through everything in batches, as ``rematch`` does)."""
    query = (
        select(Filing, Match)
        .join(Match, col(Match.rcept_no) == col(Filing.rcept_no))
        .where(col(Filing.rcept_no) > after)
        .order_by(col(Filing.rcept_no))
        .limit(limit)
    )
    return [(f, m) for f, m in (await session.exec(query)).all()]


async def count_matches(session: AsyncSession) -> int:
    from sqlalchemy import func

    result = await session.exec(select(func.count()).select_from(Match))
    return int(result.one())


async def filing_and_match(
    session: AsyncSession, rcept_no: str
) -> tuple[Filing | None, Match | None]:
    """The stored filing and its match (either may be missing)."""
    return await session.get(Filing, rcept_no), await session.get(Match, rcept_no)
