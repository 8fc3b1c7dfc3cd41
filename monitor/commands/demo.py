"""``dartwatch demo``: the whole pipeline on a replayed day, with no key and no network.

A bundled local OpenDART (``monitor.fakedart``) serves a realistic day for the five
companies; filings appear over about a minute (one is amended, several are about AI).
The real daemon polls it, matches each filing to the K-AI timeline and prints alerts
through the console notifier, on SQLite in a temporary folder; then the day's digest
is written as HTML and Markdown, and the command exits 0.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help
from storage.states import AlertState, DeliveryStatus

if TYPE_CHECKING:
    from datetime import date, datetime
    from pathlib import Path

    from monitor.core.settings import Settings
    from monitor.runtime.container import App

# What a new operator does after the demo: the last lines it prints.
NEXT_STEPS = (
    "next steps:",
    "  1. dartwatch init    your OpenDART key and Telegram bot token into .env, each checked live",
    "  2. dartwatch check   every part of the configuration, one line each (OK / WARN / FAIL)",
    "  3. dartwatch run     the daemon: polls, alerts, the bot and the daily digest",
)


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="watch a replayed day of filings on a bundled local OpenDART (no key)",
        **command_help(
            "The whole pipeline on a replayed day, with no key and no network: a bundled "
            "local OpenDART publishes a day of filings for the five K-AI companies over "
            "about a minute; the real daemon polls it, matches each filing to the K-AI "
            "timeline and prints alerts, then writes the day's digest (HTML and Markdown).",
            "dartwatch demo",
            "dartwatch demo --lang en --seconds 20 --dir ./demo",
        ),
    )
    p.add_argument("--lang", choices=["ko", "en"], default="ko", help="alert and digest language")
    p.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="how long the replayed day takes to appear (default 60)",
    )
    p.add_argument("--dir", default=None, help="folder for the database and digest files")
    p.set_defaults(handler="monitor.commands.demo:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    import logging
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from monitor.core import kcalendar
    from monitor.core.errors import UsageError
    from monitor.core.loopback import serve_on_loop
    from monitor.fakedart import FakeDart
    from monitor.runtime.container import App
    from notifiers.console import ConsoleNotifier, ConsoleSettings

    if not 5 <= args.seconds <= 3600:
        raise UsageError("--seconds must be between 5 and 3600")
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="dartwatch-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not args.dir:
        for old in folder.glob("demo.db*"):
            old.unlink()
    key = "d" * 40  # the local OpenDART accepts this demo key; no real key is involved
    fake = FakeDart(keys={key})
    logging.getLogger().setLevel(logging.WARNING)

    async with serve_on_loop(fake) as url:
        demo = _demo_settings(settings, url, key, folder, args.lang)
        console = ConsoleNotifier(ConsoleSettings(lang=args.lang))
        app = App(demo, notifiers={"console": console})
        print(
            "dartwatch demo — a replayed day of OpenDART filings for NAVER, SK Telecom, "
            "SK, LG and NCSOFT,\neach placed on the K-AI project timeline"
        )
        print(f"  local OpenDART: {url}/api   database: {folder / 'demo.db'}")
        await app.start()

        # History first, silently: a month of filings gives the digest its trend.
        today = kcalendar.today_kst()
        assert app.poller is not None  # the demo's App polls its local OpenDART
        history = await app.poller.backfill(today - timedelta(days=30), today - timedelta(days=1))
        print(f"  backfilled {len(history.new)} filings of the last 30 days (stored, not alerted)")

        start = kcalendar.now_kst() + timedelta(seconds=2)
        rows = fake.replay_day(start, span_seconds=args.seconds)
        print(
            f"  {len(rows)} filings will appear over ~{args.seconds:.0f} s; "
            "alerts print as they arrive\n"
        )
        code = await _run_daemon(demo, app, [r.visible_at for r in rows], args.seconds)
        if code != 0:
            return code

    day, files = await _write_digest(app, demo, folder, today, args.lang)
    stats = app.dispatcher.stats
    print("")
    print(f"done: {stats.sent} alerts delivered, {stats.dead} failed.")
    print(f"digest for {day.isoformat()} ({'covers the weekend' if day != today else 'today'}):")
    for path in files:
        print(f"  {path}")
    print("")
    for line in NEXT_STEPS:
        print(line)
    return 0


def _demo_settings(settings: Settings, url: str, key: str, folder: Path, lang: str) -> Settings:
    """The demo's own settings: the local OpenDART and its feed, a SQLite file in
    *folder*, the console notifier, fast polls; only TIMELINE_FILE is the user's."""
    from monitor.core.settings import load_settings

    return load_settings(
        DART_API_KEY=key,
        DART_BASE_URL=f"{url}/api",
        DART_RSS_URL=f"{url}/api/todayRSS.xml",
        DATABASE_URL=f"sqlite:///{folder / 'demo.db'}",
        NOTIFIERS="console",
        POLL_INTERVAL_SECONDS=2,
        POLL_IDLE_INTERVAL_SECONDS=2,
        DIGEST_LANG=lang,
        TELEGRAM_BOT_TOKEN=None,
        METRICS_PORT=None,
        TIMELINE_FILE=settings.timeline_file,
    )


async def _run_daemon(demo: Settings, app: App, visible: list[datetime], seconds: float) -> int:
    """Run the daemon until every replayed filing has appeared, been stored and
    delivered (two polls after the last one, nothing pending), with a progress line."""
    import asyncio
    import sys
    import time

    from monitor.core import kcalendar
    from monitor.runtime.daemon import Daemon
    from storage import outbox
    from storage.filings import counts_by_state

    last_visible = max(visible)
    stop = asyncio.Event()
    daemon = Daemon(demo, app, stop=stop)
    runner = asyncio.create_task(daemon.run())
    tty = sys.stderr.isatty()
    last_line = 0.0
    deadline = time.monotonic() + seconds + 120
    settled_polls = 0
    last_poll_seen = None
    while time.monotonic() < deadline and not runner.done():
        await asyncio.sleep(1)
        now = kcalendar.now_kst()
        published = sum(1 for v in visible if v <= now)
        left = max(0.0, (last_visible - now).total_seconds())
        line = (
            f"⏳ {published}/{len(visible)} filings published · "
            f"{app.dispatcher.stats.sent} alerts delivered · ~{left:.0f} s left"
        )
        if tty:
            print(f"\r{line}   ", end="", file=sys.stderr, flush=True)
        elif time.monotonic() - last_line >= 10:
            print(line, file=sys.stderr, flush=True)
            last_line = time.monotonic()
        if left > 0:
            continue
        if daemon.gate.last_started != last_poll_seen:
            last_poll_seen = daemon.gate.last_started
            settled_polls += 1
        due = (await outbox.counts(app.db)).get(DeliveryStatus.PENDING, 0)
        if (
            settled_polls >= 2
            and due == 0
            and (await counts_by_state(app.db)).get(AlertState.PENDING, 0) == 0
        ):
            break
    if tty:
        print(file=sys.stderr)
    stop.set()
    return await runner


async def _write_digest(
    app: App, demo: Settings, folder: Path, today: date, lang: str
) -> tuple[date, list[Path]]:
    """The digest of the business day these filings belong to (weekends roll
    forward), written as HTML and Markdown into *folder*."""
    from monitor.core import kcalendar
    from storage.db import Database

    db = Database(demo.database_url)
    app.db = db
    day = kcalendar.next_business_day(today)
    try:
        message = await app.render_digest(day, lang)
    finally:
        await db.dispose()
    html = folder / f"digest-{day.isoformat()}.html"
    md = folder / f"digest-{day.isoformat()}.md"
    html.write_text(message.html, encoding="utf-8")
    md.write_text(message.markdown, encoding="utf-8")
    return day, [html, md]
