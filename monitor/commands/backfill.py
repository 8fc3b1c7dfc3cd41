"""``dartwatch backfill``: store history in <=3-month windows; pushes no alerts."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "backfill",
        help="store past filings of the watched companies (no alerts)",
        **command_help(
            "Store the filings of the watched companies received between two dates, "
            "without alerting (history for the digest trend and `filings`). Each request "
            "counts against DART_DAILY_BUDGET.",
            "dartwatch backfill --since 2026-01-01",
            "dartwatch backfill --since 2026-03-01 --until 2026-03-31",
        ),
    )
    p.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="first receipt date")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="last receipt date (default: today KST)")
    p.set_defaults(handler="monitor.commands.backfill:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.commands._dates import parse_day
    from monitor.core.errors import UsageError
    from monitor.core.kcalendar import today_kst
    from monitor.ingest.poller import Poller, make_client
    from storage.migrate import prepare_database

    since = parse_day(args.since, "--since")
    until = parse_day(args.until, "--until") or today_kst()
    assert since is not None
    if since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    if until > today_kst():
        raise UsageError(f"--until {until} is in the future")
    settings.require_dart_key()
    db = await prepare_database(settings.database_url)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        client = make_client(settings, db)
        try:
            result = await Poller(settings, db, client).backfill(since, until, progress=progress)
        finally:
            await client.aclose()
    finally:
        await db.dispose()
    print(result.summary())
    return 0 if result.ok else 1
