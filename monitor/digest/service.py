"""The digest at the edges: read a day from the database, render it for the
dispatcher, and queue it in the outbox for every notifier that takes digests.

Sending is recorded by the outbox's unique key ``(kind="digest", ref=date, notifier,
destination)``: queuing the same day again (a restart, a second ``--send``) adds
nothing. The message itself is rebuilt when a row is sent, from the same rows, so
what arrives is what ``dartwatch digest --date`` shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from monitor.delivery.audience import fan_out
from monitor.digest.builder import CompanyRef, Digest, TrendPoint, build_digest, trend_markers
from monitor.digest.days import span, trend_window, yyyymmdd
from monitor.digest.render import to_message
from monitor.facts.alerts import with_facts
from monitor.facts.service import stored_facts
from monitor.kai.matcher import alert_from_match, alert_from_rows, match_filing
from monitor.kai.timeline import Timeline
from monitor.kai.timeline.queries import team_of
from monitor.kai.timeline.views import timeline_box
from notifiers.base import Alert, DigestMessage, Notifier
from storage import outbox
from storage import subscribers as subs
from storage.companies import list_companies
from storage.db import Database
from storage.digests import daily_counts, filings_between, queued_digest_destinations
from storage.documents import get_documents
from storage.models import Subscriber, utcnow

DIGEST = "digest"


def _day(rcept_dt: str) -> date:
    return date(int(rcept_dt[:4]), int(rcept_dt[4:6]), int(rcept_dt[6:8]))


async def load_digest(
    db: Database,
    timeline: Timeline,
    day: date,
    lang: str,
    *,
    generated_at: datetime | None = None,
) -> Digest:
    """The digest of business day *day* from the stored filings. Filings the pipeline
    has not matched yet are matched here with the current timeline (and their stored
    document body, if any); nothing is written."""
    first, last = span(day)
    trend_first, trend_last = trend_window(day)
    async with db.session() as session:
        rows = await filings_between(session, yyyymmdd(first), yyyymmdd(last))
        counts = await daily_counts(session, yyyymmdd(trend_first), yyyymmdd(trend_last))
        unmatched = [f.rcept_no for f, m in rows if m is None]
        documents = await get_documents(session, unmatched) if unmatched else {}
    facts = await stored_facts(db, [f.rcept_no for f, _ in rows])
    alerts: list[Alert] = []
    for filing, match in rows:
        found, changes = facts.get(filing.rcept_no, (None, []))
        if match is not None:
            alerts.append(with_facts(alert_from_rows(filing, match), found, changes))
            continue
        doc = documents.get(filing.rcept_no)
        body = doc.text if doc is not None and doc.status == "ok" else None
        result = match_filing(filing, timeline, body, "ok" if body else "not_fetched", found)
        alert = alert_from_match(filing, result, filing.first_seen_at)
        alerts.append(with_facts(alert, found, changes))
    companies = []
    for company in await list_companies(db):
        link = team_of(timeline, company.corp_code, company.stock_code)
        companies.append(
            CompanyRef(
                corp_code=company.corp_code,
                name_ko=company.corp_name,
                name_en=company.corp_eng_name or "",
                team=link.team.id if link else None,
            )
        )
    points = [TrendPoint(code, name, _day(dt), n) for code, name, dt, n in counts]
    return build_digest(
        day,
        alerts,
        points,
        timeline_box(timeline, day, lang),
        lang,
        companies=companies,
        markers=trend_markers(timeline, trend_first, trend_last, lang),
        generated_at=generated_at,
    )


async def render_digest_message(
    db: Database, timeline: Timeline, day: date, lang: str
) -> DigestMessage:
    return to_message(await load_digest(db, timeline, day, lang))


def digest_renderer(
    db: Database, timeline: Timeline
) -> Callable[[date, str], Awaitable[DigestMessage]]:
    """What :class:`monitor.delivery.payloads.PayloadResolver` takes as ``digest_renderer``."""

    async def render(day: date, lang: str) -> DigestMessage:
        return await render_digest_message(db, timeline, day, lang)

    return render


@dataclass(frozen=True, slots=True)
class Queued:
    """Outcome of :func:`enqueue_digest`: rows added now and rows that already existed."""

    queued: int
    existing: int
    destinations: tuple[str, ...]  # "notifier:destination", in order


async def enqueue_digest(
    db: Database,
    notifiers: Mapping[str, Notifier],
    day: date,
    lang: str,
    *,
    now: datetime | None = None,
) -> Queued:
    """One outbox row per destination of every notifier that takes digests: the fixed
    destinations in *lang*, and each Telegram-style subscriber who chose ``/digest on``
    in their own language (held until their quiet hours end)."""
    moment = now or utcnow()
    ref = day.isoformat()
    async with db.session() as session:

        async def subscribers_of(notifier: str) -> list[Subscriber]:
            return await subs.digest_subscribers(session, notifier=notifier)

        rows = await fan_out(
            notifiers,
            kind=DIGEST,
            ref=ref,
            default_lang=lang,
            now=moment,
            subscribers_of=subscribers_of,
        )
        # Counted here rather than from the INSERT's row count, which not every
        # driver reports for INSERT ... ON CONFLICT DO NOTHING.
        existing = await queued_digest_destinations(session, ref)
        await outbox.enqueue(session, rows)
    already = sum(1 for r in rows if (r.notifier, r.destination) in existing)
    return Queued(
        queued=len(rows) - already,
        existing=already,
        destinations=tuple(f"{r.notifier}:{r.destination}" for r in rows),
    )
