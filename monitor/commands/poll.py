"""``dartwatch poll``: one poll cycle (no daemon), with a one-line summary."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "poll",
        help="poll OpenDART once for the watched companies and store new filings",
        **command_help(
            "Ask OpenDART once for the watched companies' recent filings, store the new "
            "ones and queue their alerts (sent by `run` or `dispatch`). Needs DART_API_KEY.",
            "dartwatch poll",
            "dartwatch poll --force --format json",
        ),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="clear a recorded key rejection (010/011/012/901) and try again",
    )
    p.add_argument(
        "--strategy",
        choices=["auto", "per-company", "market-wide"],
        default="auto",
        help="query plan (default: the cheaper one in requests)",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(handler="monitor.commands.poll:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from monitor.ingest.poller import Poller, make_client
    from monitor.opendart.budget import clear_fatal
    from storage.migrate import prepare_database

    settings.require_dart_key()
    db = await prepare_database(settings.database_url)
    try:
        if args.force:
            await clear_fatal(db)
        client = make_client(settings, db)
        try:
            prefer = None if args.strategy == "auto" else args.strategy
            result = await Poller(settings, db, client, prefer=prefer).poll()
        finally:
            await client.aclose()
    finally:
        await db.dispose()
    if args.format == "json":
        print(
            json.dumps(
                {
                    "status": result.status,
                    "strategy": result.strategy,
                    "new": result.new,
                    "events": [{"rcept_no": r, "kind": k} for r, k in result.events],
                    "requests": result.requests,
                    "listed": result.listed,
                    "rejected": result.rejected,
                    "errors": result.errors,
                    "resume_at": result.resume_at.isoformat() if result.resume_at else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(result.summary())
    return 0 if result.ok else 1
