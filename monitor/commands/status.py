"""``dartwatch status``: how ingestion stands (last poll, requests today against the
budget, quota pause, key state, stored filings, corpCode cache).

The output is a list of sections, each a function of :class:`StatusContext`; other
parts of dartwatch add theirs by appending to :data:`SECTIONS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.commands._help import Subparsers, command_help
from storage.states import DeliveryStatus

if TYPE_CHECKING:
    from monitor.core.settings import Settings
    from storage.db import Database


@dataclass(slots=True)
class StatusContext:
    settings: Settings
    db: Database


@dataclass(slots=True)
class Section:
    title: str
    items: list[tuple[str, str]] = field(default_factory=list)
    # A line an operator must act on (quota pause, rejected key): shown first.
    alert: str | None = None


SectionFn = Callable[[StatusContext], Awaitable[Section]]


def _when(moment: Any) -> str:
    if moment is None:
        return "-"
    from monitor.core.kcalendar import KST

    return f"{moment.astimezone(KST):%Y-%m-%d %H:%M:%S} KST"


async def poll_section(ctx: StatusContext) -> Section:
    from storage import pollruns

    section = Section("poll")
    last = await pollruns.last(ctx.db, "poll")
    ok = await pollruns.last_ok(ctx.db, "poll")
    if last is None:
        section.items.append(("last poll", "never (run `dartwatch poll`)"))
        return section
    section.items.append(("last poll", f"{_when(last.started_at)} — {last.status}"))
    section.items.append(
        (
            "  result",
            f"{last.new_filings} new, {last.updated_filings} changed, {last.requests} requests",
        )
    )
    if last.error:
        section.items.append(("  error", last.error[:200]))
    section.items.append(("last successful poll", _when(ok.started_at) if ok else "never"))
    backfill = await pollruns.last(ctx.db, "backfill")
    if backfill is not None:
        section.items.append(
            (
                "last backfill",
                f"{_when(backfill.started_at)} — {backfill.status}, {backfill.new_filings} new",
            )
        )
    return section


async def requests_section(ctx: StatusContext) -> Section:
    from monitor.opendart.budget import used_today

    used = await used_today(ctx.db)
    budget = ctx.settings.dart_daily_budget
    return Section(
        "OpenDART requests",
        [
            ("today (KST)", f"{used} / {budget} (DART_DAILY_BUDGET; OpenDART allows 20,000)"),
            ("per minute at most", str(ctx.settings.dart_max_per_minute)),
        ],
    )


async def quota_section(ctx: StatusContext) -> Section:
    from monitor.opendart.budget import fatal_state, quota_paused_until

    section = Section("OpenDART access")
    paused = await quota_paused_until(ctx.db)
    key = ctx.settings.dart_api_key.get_secret_value() if ctx.settings.dart_api_key else None
    fatal = await fatal_state(ctx.db, key)
    if paused is not None:
        section.alert = f"quota exceeded (020): no OpenDART calls until {_when(paused)}"
    section.items.append(("quota pause", _when(paused) if paused else "none"))
    if fatal is not None:
        section.alert = (
            f"OpenDART rejected the key (status {fatal.status}) at {_when(fatal.at)}: polling "
            "stopped; fix DART_API_KEY or run `dartwatch poll --force`"
        )
        section.items.append(("key", f"REJECTED (status {fatal.status})"))
    else:
        section.items.append(("key", "set" if key else "not set (DART_API_KEY)"))
    return section


async def filings_section(ctx: StatusContext) -> Section:
    from storage import filings

    states = await filings.counts_by_state(ctx.db)
    events = await filings.unprocessed_events(ctx.db, limit=10_000)
    total = sum(states.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "none"
    return Section(
        "filings",
        [("stored", f"{total} ({detail})"), ("unprocessed changes", str(len(events)))],
    )


async def corpcode_section(ctx: StatusContext) -> Section:
    from monitor.ingest.poller import corp_code_age
    from storage import corpcodes

    count = await corpcodes.count(ctx.db)
    age = await corp_code_age(ctx.db)
    age_text = f"{age.total_seconds() / 3600:.1f} h old" if age is not None else "never loaded"
    return Section("corpCode cache", [("companies", f"{count} ({age_text})")])


async def deliveries_section(ctx: StatusContext) -> Section:
    from storage import outbox

    counts = await outbox.counts(ctx.db)
    section = Section(
        "deliveries",
        [
            (
                "pending",
                str(counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0)),
            ),
            ("held (quiet hours)", str(counts.get(DeliveryStatus.HELD, 0))),
            ("sent", str(counts.get(DeliveryStatus.SENT, 0))),
            ("sent in a quiet-hours summary", str(counts.get(DeliveryStatus.BUNDLED, 0))),
            ("failed (dead letters)", str(counts.get(DeliveryStatus.DEAD, 0))),
            ("dropped (destination gone)", str(counts.get(DeliveryStatus.DROPPED, 0))),
        ],
    )
    dead = counts.get(DeliveryStatus.DEAD, 0)
    if dead:
        section.alert = (
            f"{dead} deliveries failed: `dartwatch deliveries --failed` lists them, "
            "`--retry` requeues them"
        )
    return section


async def subscribers_section(ctx: StatusContext) -> Section:
    from storage import subscribers as subs

    async with ctx.db.session() as session:
        stats = await subs.stats(session)
    by_type = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_type.items())) or "-"
    return Section(
        "subscribers (Telegram)",
        [
            ("active", str(stats.active)),
            ("deactivated", str(stats.inactive)),
            ("subscriptions", str(stats.subscriptions)),
            ("daily digest on", str(stats.digest)),
            ("chats by type", by_type),
        ],
    )


async def detection_section(ctx: StatusContext) -> Section:
    """The RSS fast path's state as the daemon last saved it, and the poll plan's
    numbers (docs/detection.md)."""
    import json
    from datetime import timedelta

    from monitor.ingest.pollplan import day_plan
    from storage import companies, meta
    from storage import filings as filings_repo
    from storage.models import utcnow

    settings = ctx.settings
    section = Section("detection")
    watched = len(await companies.watched_codes(ctx.db))
    if not watched:  # nothing stored yet: the watchlist the first poll will store
        from monitor.ingest.companies import load_watchlist

        watched = len(load_watchlist(settings.watchlist_file).watched)
    raw = await meta.get_value(ctx.db, "rss.health")
    health = json.loads(raw) if raw else {}
    state = health.get("state", "not run yet")
    if not settings.rss_enabled:
        section.items.append(("RSS fast path", "off (DART_RSS_URL is empty)"))
    else:
        section.items.append(("RSS fast path", f"{state} — {settings.dart_rss_url}"))
        if health.get("reason"):
            section.items.append(("  why", str(health["reason"])[:200]))
        section.items.append(
            (
                "  reads",
                f"every {settings.rss_poll_seconds:g}s in market hours, {health.get('reads', 0)} "
                f"since start ({health.get('not_modified', 0)} unchanged, 304), last ok "
                f"{health.get('last_ok_at') or '-'}",
            )
        )
        if state == "fallback":
            section.alert = (
                f"RSS fast path off since {health.get('since')}: {health.get('reason')}; "
                "list.json alone detects filings until the feed recovers"
            )
    healthy = settings.rss_enabled and state != "fallback"
    plan = day_plan(settings, watched, feed_healthy=healthy)
    section.items.append(("list.json plan", plan.explain()))
    if healthy:
        down = day_plan(settings, watched, feed_healthy=False)
        section.items.append(("  if the feed is down", down.explain()))
    late = await filings_repo.unlisted_feed_filings(ctx.db, utcnow() - timedelta(minutes=30))
    if late:
        section.items.append(
            (
                "feed-only filings",
                f"{len(late)} shown by the feed >30 min ago, not (yet) in list.json: "
                + ", ".join(f.rcept_no for f in late[:5]),
            )
        )
    return section


async def leader_section(ctx: StatusContext) -> Section:
    from storage import meta

    value = await meta.get_value(ctx.db, "leader")
    return Section("leader", [("last elected replica", value or "none yet (daemon not run)")])


SECTIONS: list[SectionFn] = [
    poll_section,
    requests_section,
    detection_section,
    quota_section,
    filings_section,
    corpcode_section,
    deliveries_section,
    subscribers_section,
    leader_section,
]


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "status",
        help="last poll, requests used today, quota pause, key state",
        **command_help(
            "How ingestion stands, from the database alone (no network): last poll, "
            "OpenDART requests used today, quota pause, key state, stored filings, "
            "deliveries, subscribers.",
            "dartwatch status",
            "dartwatch status --format json",
        ),
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(handler="monitor.commands.status:run")


async def collect(settings: Settings, db: Database) -> list[Section]:
    ctx = StatusContext(settings, db)
    return [await fn(ctx) for fn in SECTIONS]


async def run(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from storage.migrate import prepare_database

    db = await prepare_database(settings.database_url)
    try:
        sections = await collect(settings, db)
    finally:
        await db.dispose()
    if args.format == "json":
        print(
            json.dumps(
                [{"title": s.title, "alert": s.alert, "items": dict(s.items)} for s in sections],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for s in sections:
        if s.alert:
            print(f"!! {s.alert}")
    for s in sections:
        print(f"[{s.title}]")
        for label, value in s.items:
            print(f"  {label:<22} {value}")
    return 0
