"""Reading the whole history: the filters the web desk and its feeds search by, and
the few aggregates its pages show. Read-only.

Free text is a substring search (Korean compounds have no spaces to split on). Terms
of three characters or more go through the trigram index of the database in use:
SQLite's FTS5 table ``filings_fts`` (kept in step with ``filings`` by triggers) or
PostgreSQL's ``pg_trgm`` GIN indexes. Shorter terms are matched with ``LIKE``, which
both databases answer by a scan of the rows the other filters left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, text
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Company, Delivery, Filing, FilingEvent, Match

#: Objects the migrations create beside the models (search indexes); schema
#: comparisons leave them out.
SEARCH_OBJECTS = (
    "filings_fts",
    "ix_filings_trgm_report_nm",
    "ix_filings_trgm_flr_nm",
    "ix_filings_trgm_corp_name",
)


def is_search_object(name: str | None) -> bool:
    return name is not None and any(
        name == obj or name.startswith(f"{obj}_") for obj in SEARCH_OBJECTS
    )


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, other: object
) -> bool:
    """Alembic's ``include_object`` hook: skip the search indexes."""
    return not is_search_object(name)


@dataclass(frozen=True, slots=True)
class FilingQuery:
    """What to look for; every field narrows (empty/None: no condition)."""

    corp_codes: tuple[str, ...] | None = None  # resolved companies (None: any)
    corp_name_like: str | None = None  # a name no watched company carries
    first_dt: str | None = None  # YYYYMMDD, inclusive
    last_dt: str | None = None
    category: str | None = None
    team: str | None = None
    min_relevance: int | None = None
    ai_only: bool = False
    amended: bool | None = None
    withdrawn: bool | None = None
    terms: tuple[str, ...] = field(default_factory=tuple)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _term_clause(term: str, dialect: str, index: int) -> ColumnElement[bool]:
    if dialect == "sqlite" and len(term) >= 3:
        # An FTS5 string: the term quoted (quotes doubled), never parsed as query syntax.
        phrase = '"' + term.replace('"', '""') + '"'
        name = f"fts_{index}"
        return literal_column("filings.rowid").in_(
            text(f"SELECT rowid FROM filings_fts WHERE filings_fts MATCH :{name}").bindparams(
                **{name: phrase}
            )
        )
    if dialect == "postgresql" and len(term) >= 3:
        # As a subquery the planner weighs the trigram indexes on their own; inlined,
        # it often walks the whole table in date order hoping for early hits.
        inner = aliased(Filing)
        return col(Filing.rcept_no).in_(
            select(col(inner.rcept_no)).where(_text_match(inner, term, dialect))
        )
    return _text_match(Filing, term, dialect)


def _text_match(table: Any, term: str, dialect: str) -> ColumnElement[bool]:
    pattern = _like(term)
    columns = (col(table.report_nm), col(table.flr_nm), col(table.corp_name))
    if dialect == "postgresql" and term.lower() != term.upper():
        # ILIKE only where case exists: on Hangul it costs several times LIKE's scan.
        return or_(*(c.ilike(pattern, escape="\\") for c in columns))
    # SQLite's LIKE already ignores ASCII case.
    return or_(*(c.like(pattern, escape="\\") for c in columns))


def _conditions(q: FilingQuery, dialect: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.corp_codes is not None:
        where.append(col(Filing.corp_code).in_(list(q.corp_codes)))
    if q.corp_name_like:
        where.append(col(Filing.corp_name).like(_like(q.corp_name_like), escape="\\"))
    if q.first_dt:
        where.append(col(Filing.rcept_dt) >= q.first_dt)
    if q.last_dt:
        where.append(col(Filing.rcept_dt) <= q.last_dt)
    if q.category:
        where.append(col(Match.category) == q.category)
    if q.team:
        where.append(col(Match.team) == q.team)
    if q.min_relevance is not None:
        where.append(col(Match.relevance) >= q.min_relevance)
    if q.ai_only:
        where.append(col(Match.ai_related).is_(True))
    if q.amended is not None:
        where.append(col(Filing.amended).is_(q.amended))
    if q.withdrawn is not None:
        where.append(col(Filing.withdrawn).is_(q.withdrawn))
    where.extend(_term_clause(t, dialect, i) for i, t in enumerate(q.terms))
    return where


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


async def search_filings(
    session: AsyncSession, q: FilingQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[tuple[Filing, Match | None]], bool]:
    """One page of filings matching *q*, newest first, and whether more follow.

    One row more than asked tells whether there is a next page, which costs far less
    than counting every match of a broad search over the whole history.
    """
    where = _conditions(q, _dialect(session))
    # Two steps: the page's receipt numbers (only the join the filters need, so a
    # deep page of an unfiltered search walks an index, not thousands of matches),
    # then those filings with their matches.
    ids = select(col(Filing.rcept_no))
    if _needs_match(q):
        ids = ids.join(Match, col(Match.rcept_no) == col(Filing.rcept_no))
    ids = (
        ids.where(and_(*where) if where else text("1=1"))
        .order_by(*_newest_first(q))
        .offset(offset)
        .limit(limit + 1)
    )
    page = list((await session.exec(ids)).all())
    if not page:
        return [], False
    query = (
        select(Filing, Match)
        .join(Match, col(Match.rcept_no) == col(Filing.rcept_no), isouter=True)
        .where(col(Filing.rcept_no).in_(page[:limit]))
        .order_by(col(Filing.rcept_no).desc())
    )
    rows: list[tuple[Filing, Match | None]] = [(f, m) for f, m in (await session.exec(query)).all()]
    return rows, len(page) > limit


def _newest_first(q: FilingQuery) -> tuple[Any, ...]:
    """One order (newest receipt first) written so that an index delivers it.

    ``rcept_no`` starts with ``rcept_dt``, so ordering by both is the same order; it
    lets the company index or the date index do the work when those filters narrow.
    Filters on the match alone walk the matches' primary key instead, unless there is
    text to look for: that is read from the narrow filings rows, not the wide matches.
    """
    if q.corp_codes or q.corp_name_like or q.first_dt or q.last_dt:
        return (col(Filing.rcept_dt).desc(), col(Filing.rcept_no).desc())
    if _needs_match(q) and not q.terms:
        return (col(Match.rcept_no).desc(),)
    return (col(Filing.rcept_no).desc(),)


def _needs_match(q: FilingQuery) -> bool:
    return bool(q.category or q.team or q.min_relevance is not None or q.ai_only)


async def monthly_counts(session: AsyncSession, corp_code: str) -> list[tuple[str, int, int]]:
    """``(YYYYMM, filings, ai_related)`` per month of one company's filings."""
    month = func.substr(col(Filing.rcept_dt), 1, 6)
    ai = func.sum(case((col(Match.ai_related).is_(True), 1), else_=0))
    query = (
        select(month, func.count(), ai)
        .select_from(Filing)
        .join(Match, col(Match.rcept_no) == col(Filing.rcept_no), isouter=True)
        .where(col(Filing.corp_code) == corp_code)
        .group_by(month)
        .order_by(month)
    )
    return [(str(m), int(n), int(a or 0)) for m, n, a in (await session.exec(query)).all()]


async def company(session: AsyncSession, corp_code: str) -> Company | None:
    return await session.get(Company, corp_code)


async def companies(session: AsyncSession) -> list[Company]:
    return list((await session.exec(select(Company).order_by(col(Company.corp_name)))).all())


async def filing_with_match(
    session: AsyncSession, rcept_no: str
) -> tuple[Filing | None, Match | None]:
    return await session.get(Filing, rcept_no), await session.get(Match, rcept_no)


async def events_of(session: AsyncSession, rcept_nos: Sequence[str]) -> list[FilingEvent]:
    query = (
        select(FilingEvent)
        .where(col(FilingEvent.rcept_no).in_(list(rcept_nos)))
        .order_by(col(FilingEvent.at), col(FilingEvent.id))
    )
    return list((await session.exec(query)).all())


async def same_title_filings(
    session: AsyncSession, corp_code: str, title_like: str, *, limit: int = 1000
) -> list[Filing]:
    """A company's filings whose title contains *title_like* (an amendment chain shares
    the original's title behind a ``[기재정정]``-style prefix), oldest first."""
    query = (
        select(Filing)
        .where(
            col(Filing.corp_code) == corp_code,
            col(Filing.report_nm).like(_like(title_like), escape="\\"),
        )
        .order_by(col(Filing.rcept_no))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def delivery_counts(session: AsyncSession, rcept_no: str) -> list[tuple[str, str, int]]:
    """``(notifier, status, rows)`` of the alerts about one filing (never destinations)."""
    query = (
        select(col(Delivery.notifier), col(Delivery.status), func.count())
        .where(
            col(Delivery.kind) == "alert",
            or_(col(Delivery.ref) == rcept_no, col(Delivery.ref).like(f"{rcept_no}#%")),
        )
        .group_by(col(Delivery.notifier), col(Delivery.status))
        .order_by(col(Delivery.notifier), col(Delivery.status))
    )
    return [(str(n), str(s), int(c)) for n, s, c in (await session.exec(query)).all()]


async def digest_days(session: AsyncSession) -> list[tuple[str, int, int]]:
    """``(YYYY-MM-DD, rows, sent)`` for every day a digest was queued, newest first."""
    sent = func.sum(case((col(Delivery.status) == "sent", 1), else_=0))
    query = (
        select(col(Delivery.ref), func.count(), sent)
        .where(col(Delivery.kind) == "digest")
        .group_by(col(Delivery.ref))
        .order_by(col(Delivery.ref).desc())
    )
    return [(str(r), int(n), int(s or 0)) for r, n, s in (await session.exec(query)).all()]
