"""``dartwatch facts``: extract the facts of stored filings that have none (history
stored by ``backfill``), within a request cap and the daily budget; resumable."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "facts",
        help="read what stored (backfilled) filings say, within the request budget; resumable",
        **command_help(
            "Extract the key facts and the one-line summary of stored filings that have none "
            "yet (backfilled history, filings stored before facts existed), newest first. "
            "Every OpenDART request counts in the daily budget; a run stops at --max-requests, "
            "the budget or a 020 answer, and the next run goes on where it stopped. "
            "Needs DART_API_KEY.",
            "dartwatch facts",
            "dartwatch facts --limit 200 --max-requests 100",
        ),
    )
    p.add_argument(
        "--limit", type=int, default=1000, help="filings to examine this run (default 1000)"
    )
    p.add_argument(
        "--max-requests",
        type=int,
        default=500,
        help="OpenDART requests this run may spend (default 500; the daily budget also applies)",
    )
    p.set_defaults(handler="monitor.commands.facts:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.core.errors import UsageError
    from monitor.facts.history import fill_history
    from monitor.ingest.poller import make_client
    from storage.migrate import prepare_database

    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1, got {args.limit}")
    if args.max_requests < 2:
        raise UsageError(f"--max-requests must be at least 2, got {args.max_requests}")
    settings.require_dart_key()
    db = await prepare_database(settings.database_url)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        client = make_client(settings, db)
        try:
            result = await fill_history(
                db,
                client,
                limit=args.limit,
                max_requests=args.max_requests,
                max_bytes=settings.document_max_bytes,
                timeout=settings.document_timeout_seconds,
                progress=progress,
            )
        finally:
            await client.aclose()
    finally:
        await db.dispose()
    print(result.summary())
    if result.extracted:
        print("run `dartwatch rematch` so the stored matches use these facts")
    return 0
