"""``dartwatch rematch``: recompute every stored match with the current timeline."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "rematch",
        help="recompute all stored matches with the current timeline (after TIMELINE_FILE changed)",
        **command_help(
            "Recompute every stored filing's timeline match and relevance with the "
            "current timeline and scoring (after TIMELINE_FILE changed). Sends nothing.",
            "dartwatch rematch --dry-run",
            "dartwatch rematch",
        ),
    )
    p.add_argument("--dry-run", action="store_true", help="count the changes, write nothing")
    p.set_defaults(handler="monitor.commands.rematch:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.commands.timeline import load
    from monitor.kai.rematch import rematch_all
    from storage.migrate import prepare_database

    timeline = load(settings)
    db = await prepare_database(settings.database_url)
    try:
        stats = await rematch_all(db, timeline, write=not args.dry_run)
    finally:
        await db.dispose()
    verb = "would change" if args.dry_run else "changed"
    print(
        f"rematched {stats.total} filings with timeline {timeline.version}: "
        f"{stats.changed} {verb} ({stats.relevance_changed} relevance, "
        f"{stats.ai_flag_changed} AI flag), {stats.version_only} only the timeline version"
    )
    return 0
