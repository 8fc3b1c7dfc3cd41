"""``dartwatch companies``: the watchlist, or ``--resolve NAME`` candidates."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings
    from monitor.ingest.companies import Resolution, Watchlist


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "companies",
        help="list the watchlist, or resolve a company name (--resolve)",
        **command_help(
            "List the watched companies (the bundled K-AI watchlist or WATCHLIST_FILE), "
            "or show which companies a name, alias, stock code or corp code stands for.",
            "dartwatch companies",
            "dartwatch companies --resolve 네이버",
            "dartwatch companies --refresh --format json",
        ),
    )
    p.add_argument(
        "--resolve", metavar="NAME", help="show the companies a name/alias/code stands for"
    )
    p.add_argument(
        "--refresh",
        action="store_true",
        help="download corpCode.xml now (needs DART_API_KEY) to resolve any listed company",
    )
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler="monitor.commands.companies:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.ingest.companies import load_watchlist, resolve_company
    from storage import corpcodes
    from storage.migrate import prepare_database

    watchlist = load_watchlist(settings.watchlist_file)
    db = await prepare_database(settings.database_url)
    try:
        if args.refresh:
            from monitor.ingest.poller import make_client, refresh_corp_codes

            client = make_client(settings, db)
            try:
                stored = await refresh_corp_codes(
                    db, client, max_age_hours=settings.corpcode_refresh_hours, force=True
                )
            finally:
                await client.aclose()
            print(f"corpCode cache: {stored} companies", file=sys.stderr)
        if args.resolve is not None:
            resolution = await resolve_company(args.resolve, db=db, watchlist=watchlist)
            cached = await corpcodes.count(db)
        else:
            resolution = None
    finally:
        await db.dispose()

    if resolution is not None:
        _print_resolution(resolution, args.format, cached)
        resolution.require()  # ambiguity / no match: one error line, exit 2
        return 0
    _print_watchlist(watchlist, args.format)
    return 0


def _print_resolution(resolution: Resolution, fmt: str, cached: int) -> None:
    """The candidates for ``--resolve`` (the chosen one, or every one that matched)."""
    if fmt == "json":
        items = [
            {
                "corp_code": c.corp_code,
                "corp_name": c.name,
                "corp_eng_name": c.name_en,
                "stock_code": c.stock_code,
                "watched": c.watched,
                "sources": list(c.sources),
            }
            for c in resolution.candidates
        ]
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for c in resolution.candidates:
        print(c.describe())
    if not cached:
        print(
            "(corpCode cache empty: only the watchlist was searched; "
            "`dartwatch companies --refresh` loads it)",
            file=sys.stderr,
        )


def _print_watchlist(watchlist: Watchlist, fmt: str) -> None:
    """The watched companies (namesakes, listed only to be told apart, are left out)."""
    entries = [e for e in watchlist.entries if e.kind != "namesake"]
    if fmt == "json":
        rows = [
            {
                "kind": e.kind,
                "corp_code": e.corp_code,
                "stock_code": e.stock_code,
                "corp_name": e.name,
                "corp_eng_name": e.name_en,
                "aliases": list(e.aliases),
                "team": e.team,
                "watched": e.watch,
            }
            for e in entries
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print(f"{'corp_code':<9} {'stock':<6} {'watch':<5} {'team':<8} name")
    for e in entries:
        names = e.name + (f" / {e.name_en}" if e.name_en else "")
        aliases = f"  (aliases: {', '.join(e.aliases)})" if e.aliases else ""
        print(
            f"{e.corp_code or '-':<9} {e.stock_code or '-':<6} {'yes' if e.watch else 'no':<5} "
            f"{e.team or '-':<8} {names}{aliases}"
        )
    print(f"watchlist: {', '.join(watchlist.sources)}", file=sys.stderr)
