"""New filings -> match -> outbox rows, exactly once.

The poller stores filings with ``alert_state = "pending"``. This step matches each
one (reading its document body when it can be had in time) and, in ONE transaction,
stores the match, writes one delivery row per destination and flips the filing to
``done`` — guarded by ``WHERE alert_state = 'pending'`` so two runs (a restart after a
crash, a second replica) can never both fan it out. A crash before that commit leaves
the filing pending: the next run picks it up, so nothing is lost.

Events on stored filings (``rm`` gaining 철, i.e. a withdrawal) become alerts the same
way. ``rm`` gaining 정 is recorded but not alerted on its own: the amendment is a new
``[기재정정]`` filing, which is alerted as a correction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from monitor.delivery.audience import fan_out, merge_rows, same_people
from monitor.delivery.routing import FilingView, Route
from monitor.facts.alerts import with_facts
from monitor.facts.model import FactSet
from monitor.facts.service import FactsService, facts_and_changes
from monitor.facts.summary import facts_text
from monitor.ingest.documents import BodyResult, DocumentSource, fetch_body
from monitor.kai.matcher import MatchResult, alert_from_rows, match_filing
from monitor.kai.suggestions import Suggestion, suggest
from monitor.kai.timeline import Timeline
from notifiers.base import Alert, Notifier
from storage import outbox
from storage import subscribers as subs
from storage.db import Database
from storage.matches import save_match
from storage.models import (
    AlertState,
    Filing,
    FilingDocument,
    FilingEvent,
    Match,
    Subscriber,
    utcnow,
)

log = logging.getLogger("dartwatch.pipeline")

ALERT = "alert"
EVENT_SEP = "#"


@dataclass
class PipelineResult:
    matched: int = 0
    deliveries: int = 0
    events: int = 0
    # New filings that may be unrecorded milestones: (filing, why).
    suggestions: list[tuple[Filing, Suggestion]] = field(default_factory=list)


@dataclass(frozen=True)
class BodyPolicy:
    enabled: bool = True
    max_bytes: int = 5_000_000
    timeout: float = 8.0
    concurrency: int = 4


class Pipeline:
    def __init__(
        self,
        db: Database,
        timeline: Timeline,
        notifiers: Mapping[str, Notifier],
        *,
        documents: DocumentSource | None = None,
        body_policy: BodyPolicy | None = None,
        default_lang: str = "ko",
        facts: FactsService | None = None,
    ) -> None:
        self.db = db
        self.facts = facts
        self.timeline = timeline
        self.notifiers = dict(notifiers)
        self.documents = documents
        self.body_policy = body_policy or BodyPolicy()
        self.default_lang = default_lang

    async def run(self, *, limit: int = 500, now: datetime | None = None) -> PipelineResult:
        result = PipelineResult()
        async with self.db.session() as session:
            pending = list(
                (
                    await session.exec(
                        select(Filing)
                        .where(Filing.alert_state == AlertState.PENDING)
                        .order_by(col(Filing.first_seen_at), col(Filing.rcept_no))
                        .limit(limit)
                    )
                ).all()
            )
        if pending:
            bodies = await self._bodies(pending)
            for filing, body in zip(pending, bodies, strict=True):
                facts = await self._facts(filing, body)
                match = match_filing(filing, self.timeline, body.text, body.status, facts)
                corrects = facts.corrects if facts is not None else None
                said = facts_text(facts)
                written = await self._commit_filing(
                    filing, match, now, corrects, " ".join(t for t in (body.text, said) if t)
                )
                if written is not None:
                    result.matched += 1
                    result.deliveries += written
                    found = suggest(filing.report_nm, body.text)
                    if found is not None:
                        result.suggestions.append((filing, found))
        result.events, extra = await self._events(now)
        result.deliveries += extra
        if self.facts is not None:
            await self.facts.retry_due(now)
        if result.matched or result.events:
            log.info(
                "matched %d filing(s), %d event(s); %d deliveries queued",
                result.matched,
                result.events,
                result.deliveries,
            )
        return result

    async def _facts(self, filing: Filing, body: BodyResult) -> FactSet | None:
        """What the filing says (stored once); never stops the alert."""
        if self.facts is None:
            return None
        try:
            return await self.facts.for_filing(filing, body)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("facts of %s: %s", filing.rcept_no, type(exc).__name__)
            return None

    async def refine_feed_matches(self, limit: int = 20, now: datetime | None = None) -> int:
        """Re-match, with their document bodies, filings first alerted from the RSS feed
        (matched on the title, the document not yet published) once list.json lists
        them. The stored match improves (digest, /latest). A filing the body shows to
        be AI-related now reaches the ``/filter ai`` subscribers it skipped; nobody
        gets it twice (the outbox key)."""
        if not self.body_policy.enabled or self.documents is None:
            return 0
        async with self.db.session() as session:
            rows = list(
                (
                    await session.exec(
                        select(Filing, Match)
                        .join(Match, col(Match.rcept_no) == col(Filing.rcept_no))
                        .where(
                            col(Filing.source) == "rss",
                            col(Filing.listed_at).is_not(None),
                            col(Match.body_used).is_(False),
                            # a body that keeps failing is not asked for forever
                            col(Filing.first_seen_at) > utcnow() - timedelta(days=1),
                            col(Filing.rcept_no).not_in(select(FilingDocument.rcept_no)),
                        )
                        .limit(limit)
                    )
                ).all()
            )
        if not rows:
            return 0
        bodies = await self._bodies([filing for filing, _ in rows])
        for (filing, old), body in zip(rows, bodies, strict=True):
            fresh = match_filing(filing, self.timeline, body.text, body.status)
            async with self.db.session() as session:
                await save_match(session, fresh.to_row())
                if (
                    fresh.ai_related
                    and not old.ai_related
                    and filing.alert_state == AlertState.DONE
                ):
                    audience = await self._audience(
                        session, filing.corp_code, True, ref=filing.rcept_no, now=now
                    )
                    await outbox.enqueue(session, audience)
        return len(rows)

    async def _bodies(self, filings: list[Filing]) -> list[BodyResult]:
        policy = self.body_policy
        sem = asyncio.Semaphore(policy.concurrency)

        async def one(f: Filing) -> BodyResult:
            async with sem:
                return await fetch_body(
                    self.db,
                    self.documents,
                    f.rcept_no,
                    max_bytes=policy.max_bytes,
                    timeout=policy.timeout,
                    enabled=policy.enabled,
                    cache_missing=f.listed_at is not None,
                )

        return list(await asyncio.gather(*(one(f) for f in filings)))

    async def _commit_filing(
        self,
        filing: Filing,
        match: MatchResult,
        now: datetime | None,
        corrects: str | None = None,
        body_text: str = "",
    ) -> int | None:
        async with self.db.session() as session:
            claimed = await session.exec(
                update(Filing)
                .where(
                    col(Filing.rcept_no) == filing.rcept_no,
                    col(Filing.alert_state) == AlertState.PENDING,
                )
                .values(alert_state=AlertState.DONE)
            )
            if not claimed.rowcount:
                return None  # another run got here first
            await save_match(session, match.to_row())
            view = FilingView(
                corp_code=filing.corp_code,
                category=match.base_category,
                relevance=match.relevance,
                ai_related=match.ai_related,
                texts=(filing.report_nm, body_text),
            )
            rows = await self._audience(
                session, filing.corp_code, match.ai_related, ref=filing.rcept_no, now=now, view=view
            )
            if corrects is not None:
                # Whoever got the original gets its correction, whatever their filters.
                earlier = await same_people(
                    session, corrects, ref=filing.rcept_no, now=now or utcnow()
                )
                rows = merge_rows(rows, earlier)
            return await outbox.enqueue(session, rows)

    async def _events(self, now: datetime | None) -> tuple[int, int]:
        async with self.db.session() as session:
            events = list(
                (
                    await session.exec(
                        select(FilingEvent)
                        .where(col(FilingEvent.processed).is_(False))
                        .order_by(col(FilingEvent.id))
                        .limit(500)
                    )
                ).all()
            )
        handled = queued = 0
        for event in events:
            async with self.db.session() as session:
                claimed = await session.exec(
                    update(FilingEvent)
                    .where(col(FilingEvent.id) == event.id, col(FilingEvent.processed).is_(False))
                    .values(processed=True)
                )
                if not claimed.rowcount:
                    continue
                handled += 1
                if event.kind != "withdrawn":
                    continue
                filing = await session.get(Filing, event.rcept_no)
                if filing is None or filing.source == "backfill":
                    continue
                stored = await session.get(Match, event.rcept_no)
                ai_related = bool(stored.ai_related) if stored is not None else False
                category, relevance = (stored.category, stored.relevance) if stored else ("", 0)
                if stored is None:
                    fresh = match_filing(filing, self.timeline)
                    await save_match(session, fresh.to_row())
                    ai_related = fresh.ai_related
                    category, relevance = fresh.base_category, fresh.relevance
                # A withdrawal reaches the chats the filing could have reached: the same
                # filters, over the title (the body was read when the filing came in).
                view = FilingView(
                    filing.corp_code, category, relevance, ai_related, (filing.report_nm,)
                )
                ref = f"{event.rcept_no}{EVENT_SEP}{event.kind}"
                rows = await self._audience(
                    session, filing.corp_code, ai_related, ref=ref, now=now, view=view
                )
                # ... and always the people who got the filing, whatever their filters now.
                earlier = await same_people(session, event.rcept_no, ref=ref, now=now or utcnow())
                queued += await outbox.enqueue(session, merge_rows(rows, earlier))
        return handled, queued

    async def _audience(
        self,
        session: Any,
        corp_code: str,
        ai_related: bool,
        *,
        ref: str,
        now: datetime | None,
        view: FilingView | None = None,
    ) -> list[outbox.NewDelivery]:
        async def subscribers_of(notifier: str) -> list[Subscriber]:
            # With a view, every subscriber is routed so a refusal gets its reason.
            return await subs.subscribers_for_alert(
                session,
                corp_code,
                ai_related=None if view is not None else ai_related,
                notifier=notifier,
            )

        skipped: list[tuple[Subscriber, Route]] = []
        rows = await fan_out(
            self.notifiers,
            kind=ALERT,
            ref=ref,
            default_lang=self.default_lang,
            now=now or utcnow(),
            subscribers_of=subscribers_of,
            filing=view,
            skipped=skipped,
        )
        for sub, why in skipped:
            log.debug("%s not sent to chat %s: %s", ref, sub.chat_id, why.reason)
        return rows


async def alert_for_ref(db: Database, ref: str) -> Alert:
    """Rebuild the alert an outbox row refers to (``rcept_no`` or ``rcept_no#event``)."""
    rcept_no, _, event = ref.partition(EVENT_SEP)
    async with db.session() as session:
        filing = await session.get(Filing, rcept_no)
        match = await session.get(Match, rcept_no)
    if filing is None or match is None:
        raise LookupError(f"filing {rcept_no} or its match is no longer stored")
    facts, changes, _ = await facts_and_changes(db, rcept_no)
    return with_facts(alert_from_rows(filing, match, event=event or "new"), facts, changes)
