"""Facts for stored history (backfilled filings never pass through the pipeline):
newest first, within a request cap and the daily budget, resumable (a filing with a
facts record is done), so history ranks by what filings say after ``rematch``.

Each covered filing costs at most two requests here — its document (also stored for
the matcher) and one structured call — and an uncovered one costs none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlmodel import col, select

from monitor.core.logs import redact
from monitor.facts import bodies as body_facts
from monitor.facts.routing import route
from monitor.facts.service import FactsPolicy, FactsService, StructuredSource
from monitor.ingest.documents import BodyResult
from monitor.opendart.errors import BudgetExhausted, DartError, KeyRejected, QuotaPaused
from storage import documents
from storage.db import Database
from storage.models import Filing, FilingFacts


class HistorySource(StructuredSource, Protocol):
    """The OpenDART client as history needs it."""

    requests_sent: int

    async def check_budget(self) -> None: ...

    async def document(self, rcept_no: str, max_bytes: int) -> object: ...


@dataclass
class HistoryResult:
    examined: int = 0
    extracted: int = 0
    without: int = 0  # none / unparseable
    requests: int = 0
    stopped: str = ""  # why it stopped before the end ("" when nothing is left)
    by_status: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        done = (
            f"facts for {self.examined} stored filing(s): {self.extracted} extracted, "
            f"{self.without} without facts; {self.requests} OpenDART request(s)"
        )
        if self.stopped:
            return f"{done}; stopped: {self.stopped} — run again to continue"
        return f"{done}; every stored filing has a facts record"


async def _pending(db: Database, limit: int) -> list[Filing]:
    query = (
        select(Filing)
        .outerjoin(FilingFacts, col(FilingFacts.rcept_no) == col(Filing.rcept_no))
        .where(col(FilingFacts.rcept_no).is_(None))
        .order_by(col(Filing.rcept_no).desc())
        .limit(limit)
    )
    async with db.session() as session:
        return list((await session.exec(query)).all())


async def _body(
    db: Database, client: HistorySource, rcept_no: str, max_bytes: int, timeout: float
) -> BodyResult:
    """The document with its markup (one request), its text kept for the matcher."""
    try:
        doc = await asyncio.wait_for(client.document(rcept_no, max_bytes), timeout)
    except TimeoutError:
        return BodyResult(None, "timeout")
    except (BudgetExhausted, QuotaPaused, KeyRejected):
        raise
    except DartError as exc:
        async with db.session() as session:
            if await documents.get_document(session, rcept_no) is None:
                await documents.save_document(
                    session, rcept_no, documents.ERROR, detail=redact(str(exc))
                )
        return BodyResult(None, "error")
    text = str(getattr(doc, "text", ""))
    markup = getattr(doc, "markup", "")
    async with db.session() as session:
        if await documents.get_document(session, rcept_no) is None:
            await documents.save_document(
                session, rcept_no, documents.OK, text=text, size_bytes=len(text.encode())
            )
    return BodyResult(text, "ok", markup=markup if isinstance(markup, str) and markup else None)


async def fill_history(
    db: Database,
    client: HistorySource,
    *,
    limit: int,
    max_requests: int,
    max_bytes: int,
    timeout: float,
    progress: Callable[[str], None] | None = None,
) -> HistoryResult:
    """Facts for up to *limit* stored filings without a facts record, newest first,
    spending at most *max_requests* OpenDART requests."""
    result = HistoryResult()
    # One try each: history is not fresh, so a missing structured row will not come.
    service = FactsService(db, client, FactsPolicy(max_attempts=1))
    start = client.requests_sent
    while result.examined < limit:
        batch = await _pending(db, min(200, limit - result.examined))
        if not batch:
            return result
        for filing in batch:
            where = route(filing.report_nm)
            if where is not None:
                if client.requests_sent - start + 2 > max_requests:
                    result.stopped = f"request cap reached ({max_requests})"
                    return result
                try:
                    await client.check_budget()
                    needs_body = where.source == "body" or where.family in body_facts.EXTRACTORS
                    body = (
                        await _body(db, client, filing.rcept_no, max_bytes, timeout)
                        if needs_body
                        else None
                    )
                except (BudgetExhausted, QuotaPaused, KeyRejected) as exc:
                    result.stopped = redact(str(exc))
                    return result
                facts = await service.for_filing(filing, body)
            else:
                facts = await service.for_filing(filing)
            result.examined += 1
            result.requests = client.requests_sent - start
            result.by_status[facts.status] = result.by_status.get(facts.status, 0) + 1
            if facts.ok:
                result.extracted += 1
            else:
                result.without += 1
            if progress is not None and result.examined % 25 == 0:
                progress(
                    f"  {result.examined} filings, {result.extracted} with facts, "
                    f"{result.requests} requests"
                )
    result.stopped = f"--limit {limit} reached"
    return result
