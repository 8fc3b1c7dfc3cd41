"""What the daily digest reads: the filings of a span of receipt dates with their
stored matches, and filings per company per day for the trend. Read-only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, Filing, Match


async def filings_between(
    session: AsyncSession,
    first_dt: str,
    last_dt: str,
    *,
    corp_codes: Sequence[str] | None = None,
) -> list[tuple[Filing, Match | None]]:
    """Filings with ``rcept_dt`` in ``[first_dt, last_dt]`` (YYYYMMDD) and their match,
    or None for filings not matched yet; ordered by ``rcept_no``."""
    query = (
        select(Filing, Match)
        .join(Match, col(Match.rcept_no) == col(Filing.rcept_no), isouter=True)
        .where(col(Filing.rcept_dt) >= first_dt, col(Filing.rcept_dt) <= last_dt)
        .order_by(col(Filing.rcept_no))
    )
    if corp_codes is not None:
        query = query.where(col(Filing.corp_code).in_(list(corp_codes)))
    return [(f, m) for f, m in (await session.exec(query)).all()]


async def daily_counts(
    session: AsyncSession, first_dt: str, last_dt: str
) -> list[tuple[str, str, str, int]]:
    """``(corp_code, corp_name, rcept_dt, filings)`` per company and receipt date in
    ``[first_dt, last_dt]``, with the name on that day's filings (the alphabetically
    last one should a company have been renamed that very day)."""
    query = (
        select(
            col(Filing.corp_code),
            func.max(col(Filing.corp_name)),
            col(Filing.rcept_dt),
            func.count(),
        )
        .where(col(Filing.rcept_dt) >= first_dt, col(Filing.rcept_dt) <= last_dt)
        .group_by(col(Filing.corp_code), col(Filing.rcept_dt))
        .order_by(col(Filing.corp_code), col(Filing.rcept_dt))
    )
    rows = (await session.exec(query)).all()
    return [(str(code), str(name), str(dt), int(n)) for code, name, dt, n in rows]


async def queued_digest_destinations(session: AsyncSession, ref: str) -> set[tuple[str, str]]:
    """``(notifier, destination)`` pairs already in the outbox for the digest *ref*
    (its date), whatever their status: each is sent at most once."""
    query = select(col(Delivery.notifier), col(Delivery.destination)).where(
        col(Delivery.kind) == "digest", col(Delivery.ref) == ref
    )
    return {(str(n), str(d)) for n, d in (await session.exec(query)).all()}
