"""Getting and keeping a filing's facts: the I/O around the pure extractors.

One filing costs at most one extra OpenDART request (a DS005 or DS004 call; body
families read the document the matcher already fetched), plus a bounded number of
retries when DS005/DS004 have no row yet right after the filing. The result is stored
once (``filing_facts``); later reads (alerts rebuilt at send time, the digest,
``explain``, ``rematch``) use the stored record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from monitor.core.logs import redact
from monitor.core.offloop import OffloopTimeout, run_bounded
from monitor.facts import bodies as body_facts
from monitor.facts import structured
from monitor.facts.corrections import Change, base_title, changes
from monitor.facts.model import EXTRACTED, FactSet, facts_from_json
from monitor.facts.routing import Route, route, split_title
from monitor.ingest.documents import BodyResult
from monitor.opendart import errors as dart_errors
from monitor.opendart.parsing import DOCUMENT_PARSE_SECONDS
from storage import facts as store
from storage.db import Database
from storage.models import Filing, FilingFacts, utcnow

log = logging.getLogger("dartwatch.facts")

# Body outcomes worth another try later (a missing file or an oversized one are final).
_TRANSIENT_BODY = frozenset({"timeout", "error"})


class StructuredSource(Protocol):
    """What facts need from the OpenDART client (``DartClient`` has both)."""

    async def major_events(
        self, endpoint: str, *, corp_code: str, bgn_de: date, end_de: date
    ) -> list[dict[str, str]]: ...

    async def ownership(self, endpoint: str, *, corp_code: str) -> list[dict[str, str]]: ...


@dataclass(frozen=True, slots=True)
class FactsPolicy:
    enabled: bool = True
    # Tries while DS005/DS004 have no row for a fresh filing (their latency is unknown).
    max_attempts: int = 3
    retry_after: timedelta = timedelta(minutes=2)
    # How far back the DS005 window reaches for a [기재정정] (rows keep the ORIGINAL
    # filing date).
    amendment_window_days: int = 365
    # DS004 answers with a company's whole history: one answer serves every ownership
    # filing of that company for this long.
    ds004_cache_seconds: float = 300.0
    # Longest wait for one structured answer (retries included) before the alert goes
    # out without facts; the filing is tried again on a later run.
    timeout: float = 8.0
    max_document_bytes: int = 5_000_000


async def parse_body_facts(family: str, markup: str) -> FactSet:
    """Body facts parsed off the event loop, in the worker process that parses document
    bodies, killed past the same hard limit: a crafted table can cost seconds of lxml
    and must not freeze the bot, the dispatcher or the scheduler."""
    try:
        return await run_bounded(body_facts.extract, family, markup, timeout=DOCUMENT_PARSE_SECONDS)
    except OffloopTimeout:
        return FactSet.unparseable(
            family, f"body tables still parsing after {DOCUMENT_PARSE_SECONDS:g} s", "body"
        )


def _day(rcept_no: str, rcept_dt: str) -> tuple[date, date]:
    """The two dates a filing may carry (``rcept_dt`` can be the day after the
    rcept_no prefix for filings after 18:00)."""
    days = []
    for text in (rcept_no[:8], rcept_dt):
        try:
            days.append(date(int(text[:4]), int(text[4:6]), int(text[6:8])))
        except (ValueError, IndexError):
            continue
    if not days:
        today = utcnow().date()
        return today, today
    return min(days), max(days)


def record_to_set(row: FilingFacts) -> FactSet:
    return FactSet(
        family=row.family,
        status=row.status,
        reason=row.reason,
        facts=facts_from_json(row.facts),
        source=row.source,
        corrections=tuple(
            (str(c[0]), str(c[1]), str(c[2])) for c in row.corrections if len(c) == 3
        ),
        corrects=row.corrects,
    )


class FactsService:
    def __init__(
        self,
        db: Database,
        source: StructuredSource | None,
        policy: FactsPolicy | None = None,
    ) -> None:
        self.db = db
        self.source = source
        self.policy = policy or FactsPolicy()
        self._ds004: dict[tuple[str, str], tuple[float, list[dict[str, str]]]] = {}

    # ------------------------------------------------------------------ reading
    async def stored(self, rcept_no: str) -> FactSet | None:
        async with self.db.session() as session:
            row = await store.get_facts(session, rcept_no)
        return record_to_set(row) if row is not None else None

    # ------------------------------------------------------------------ extracting
    async def for_filing(
        self, filing: Filing, body: BodyResult | None = None, *, force: bool = False
    ) -> FactSet:
        """The facts of *filing*: stored ones, else extracted now and stored."""
        async with self.db.session() as session:
            existing = await store.get_facts(session, filing.rcept_no)
        if existing is not None and existing.status != store.RETRY and not force:
            return record_to_set(existing)
        attempts = (existing.attempts if existing is not None else 0) + 1
        where = route(filing.report_nm)
        if where is None:
            result = FactSet.none(None, "no extractor for this kind of filing")
        elif not self.policy.enabled:
            result = FactSet.none(where.family, "facts extraction is off (FACTS_FETCH=false)")
        else:
            result = await self._extract(filing, where, body, attempts)
        if split_title(filing.report_nm)[0] == "기재정정":
            result = replace(result, corrects=await self._original(filing))
        await self._save(filing.rcept_no, result, attempts)
        return result

    async def _extract(
        self, filing: Filing, where: Route, body: BodyResult | None, attempts: int
    ) -> FactSet:
        if where.source == "body":
            return await self._from_body(filing, where, body, attempts)
        if self.source is None:
            return FactSet.none(where.family, "OpenDART is not available to this process")
        try:
            rows = await asyncio.wait_for(self._rows(filing, where), self.policy.timeout)
        except TimeoutError:
            return self._retry(
                where, attempts, f"no answer from OpenDART within {self.policy.timeout:g} s"
            )
        except (dart_errors.InvalidRequest, dart_errors.FileMissing) as exc:
            return FactSet.unparseable(where.family, redact(str(exc)), where.source)
        except dart_errors.DartError as exc:
            # Quota, network, a broken answer: try again on a later run (bounded).
            return self._retry(where, attempts, f"OpenDART failed: {redact(str(exc))}")
        row = structured.pick_row(rows, filing.rcept_no)
        if row is not None:
            assert where.endpoint is not None
            if where.source == "ds005":
                return structured.ds005_facts(where.endpoint, where.family, row)
            return structured.ds004_facts(where.endpoint, where.family, row)
        if where.prefix == "첨부정정":
            return await self._copy_original(filing, where)
        if body is not None and body.markup and where.family in body_facts.EXTRACTORS:
            found = await self._from_body(filing, where, body, attempts)
            if found.ok:
                return found
        return self._retry(
            where, attempts, f"{where.source.upper()} {where.endpoint} has no row for this filing"
        )

    def _retry(self, where: Route, attempts: int, reason: str) -> FactSet:
        if attempts >= self.policy.max_attempts:
            return FactSet.none(where.family, f"{reason} (after {attempts} tries)")
        return FactSet(where.family, store.RETRY, f"{reason} (try {attempts})", source=where.source)

    async def _rows(self, filing: Filing, where: Route) -> list[dict[str, str]]:
        assert self.source is not None and where.endpoint is not None
        if where.source == "ds004":
            key = (where.endpoint, filing.corp_code)
            loop = asyncio.get_running_loop()
            hit = self._ds004.get(key)
            if (
                hit is not None
                and loop.time() - hit[0] < self.policy.ds004_cache_seconds
                and structured.pick_row(hit[1], filing.rcept_no) is not None
            ):
                return hit[1]  # a recent answer already holds this filing's row
            rows = await self.source.ownership(where.endpoint, corp_code=filing.corp_code)
            self._ds004[key] = (loop.time(), rows)
            return rows
        first, last = _day(filing.rcept_no, filing.rcept_dt)
        if where.prefix is not None:
            first -= timedelta(days=self.policy.amendment_window_days)
        return await self.source.major_events(
            where.endpoint, corp_code=filing.corp_code, bgn_de=first, end_de=last
        )

    async def _from_body(
        self, filing: Filing, where: Route, body: BodyResult | None, attempts: int
    ) -> FactSet:
        family = where.family
        if body is not None and body.status in _TRANSIENT_BODY:
            return self._retry(where, attempts, f"no document body yet ({body.status})")
        if body is not None and body.status != "ok":
            return FactSet.none(family, f"no document body ({body.status})")
        markup = body.markup if body is not None else None
        if not markup:
            # A retry, or a body cached as text only: read the tables once more.
            markup, status = await self._download(filing.rcept_no)
            if markup is None:
                if status in _TRANSIENT_BODY:
                    return self._retry(where, attempts, f"no document body yet ({status})")
                return FactSet.none(family, f"no document body ({status})")
        try:
            return await parse_body_facts(family, markup)
        except Exception as exc:  # a parser bug must never stop an alert
            log.warning("facts: %s body parser failed: %s", family, type(exc).__name__)
            return FactSet.unparseable(family, f"parser error ({type(exc).__name__})", "body")

    async def _download(self, rcept_no: str) -> tuple[str | None, str]:
        """The document's markup from OpenDART (one request), or why there is none."""
        fetch = getattr(self.source, "document", None)
        if fetch is None:
            return None, "not fetched"
        try:
            doc = await asyncio.wait_for(
                fetch(rcept_no, self.policy.max_document_bytes), self.policy.timeout
            )
        except TimeoutError:
            return None, "timeout"
        except dart_errors.FileMissing:
            return None, "missing"
        except dart_errors.DartError:
            return None, "error"
        markup = getattr(doc, "markup", None)
        return (markup, "ok") if isinstance(markup, str) and markup else (None, "error")

    async def _original(self, filing: Filing) -> str | None:
        async with self.db.session() as session:
            original = await store.original_of(session, filing, base_title(filing.report_nm))
        return original.rcept_no if original is not None else None

    async def _copy_original(self, filing: Filing, where: Route) -> FactSet:
        """A [첨부정정] keeps the original's DS005 row: its facts are the original's."""
        original = await self._original(filing)
        if original is not None:
            facts = await self.stored(original)
            if facts is not None and facts.ok:
                return replace(facts, corrects=original)
        return FactSet.none(where.family, "attachment correction: the original has no facts")

    async def _save(self, rcept_no: str, result: FactSet, attempts: int) -> None:
        async with self.db.session() as session:
            await store.save_facts(
                session,
                rcept_no,
                family=result.family,
                status=result.status,
                reason=result.reason,
                source=result.source,
                facts=result.to_json(),
                corrections=[list(c) for c in result.corrections],
                corrects=result.corrects,
                attempts=attempts,
            )

    async def retry_due(self, now: datetime | None = None) -> int:
        """Try again the filings whose structured row was missing (bounded attempts)."""
        moment = now or utcnow()
        async with self.db.session() as session:
            due = await store.due_retries(session, moment - self.policy.retry_after)
        done = 0
        for rcept_no in due:
            async with self.db.session() as session:
                filing = await session.get(Filing, rcept_no)
            if filing is None:
                continue
            result = await self.for_filing(filing)
            done += result.status == EXTRACTED
        return done


async def facts_and_changes(
    db: Database, rcept_no: str
) -> tuple[FactSet | None, list[Change], FactSet | None]:
    """Stored facts of *rcept_no*, what it changed against the filing it corrects, and
    that original's facts (None when it corrects nothing known)."""
    async with db.session() as session:
        rows: Mapping[str, FilingFacts] = await store.get_many(session, [rcept_no])
        row = rows.get(rcept_no)
        if row is None:
            return None, [], None
        current = record_to_set(row)
        if not current.corrects:
            return current, [], None
        original_row = await store.get_facts(session, current.corrects)
    original = record_to_set(original_row) if original_row is not None else None
    return current, changes(original, current), original


async def stored_facts(
    db: Database, rcept_nos: list[str]
) -> dict[str, tuple[FactSet, list[Change]]]:
    """Stored facts of many filings at once, each with what it changed (corrections)."""
    async with db.session() as session:
        rows = await store.get_many(session, rcept_nos)
        wanted = [r.corrects for r in rows.values() if r.corrects and r.corrects not in rows]
        originals = dict(rows)
        originals.update(await store.get_many(session, wanted))
    out: dict[str, tuple[FactSet, list[Change]]] = {}
    for rcept_no, row in rows.items():
        current = record_to_set(row)
        original = originals.get(row.corrects) if row.corrects else None
        before = record_to_set(original) if original is not None else None
        out[rcept_no] = (current, changes(before, current) if row.corrects else [])
    return out
