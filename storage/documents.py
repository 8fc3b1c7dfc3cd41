"""The document-body cache (``filing_documents``): the text the matcher read, or why
there is none, so a body is fetched from OpenDART at most once per filing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FilingDocument, utcnow

OK = "ok"
MISSING = "missing"
ERROR = "error"
TOO_LARGE = "too_large"
SKIPPED = "skipped"
UNPARSEABLE = "unparseable"  # the parser could not finish in time: never fetched again


async def get_document(session: AsyncSession, rcept_no: str) -> FilingDocument | None:
    return await session.get(FilingDocument, rcept_no)


async def get_documents(
    session: AsyncSession, rcept_nos: Sequence[str]
) -> dict[str, FilingDocument]:
    if not rcept_nos:
        return {}
    query = select(FilingDocument).where(col(FilingDocument.rcept_no).in_(list(rcept_nos)))
    return {d.rcept_no: d for d in (await session.exec(query)).all()}


async def save_document(
    session: AsyncSession,
    rcept_no: str,
    status: str,
    *,
    text: str = "",
    size_bytes: int = 0,
    detail: str = "",
) -> None:
    """Insert or replace the cached body of *rcept_no*."""
    values = {
        "rcept_no": rcept_no,
        "status": status,
        "text": text,
        "size_bytes": size_bytes,
        "detail": detail[:500],
        "fetched_at": utcnow(),
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(FilingDocument).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["rcept_no"],
        set_={k: getattr(stmt.excluded, k) for k in values if k != "rcept_no"},
    )
    await session.exec(stmt)
