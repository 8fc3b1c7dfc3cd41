"""``dartwatch filings``: what is stored, as a table or JSON."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "filings",
        help="list stored filings",
        **command_help(
            "List the filings stored in the database, newest first, optionally of one "
            "company and a date range.",
            "dartwatch filings --limit 20",
            "dartwatch filings --company NAVER --since 2026-03-01 --format json",
        ),
    )
    p.add_argument(
        "--company", metavar="X", help="corp code, stock code, name or alias (see `companies`)"
    )
    p.add_argument("--since", metavar="YYYY-MM-DD", help="receipt date from (inclusive)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="receipt date to (inclusive)")
    p.add_argument("--limit", type=int, default=100, help="rows at most (0: all; default 100)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler="monitor.commands.filings:run")


def as_json(filing: Any) -> dict[str, Any]:
    return {
        "rcept_no": filing.rcept_no,
        "corp_code": filing.corp_code,
        "corp_name": filing.corp_name,
        "stock_code": filing.stock_code,
        "report_nm": filing.report_nm,
        "flr_nm": filing.flr_nm,
        "rcept_dt": filing.rcept_dt,
        "rm": filing.rm,
        "amended": filing.amended,
        "withdrawn": filing.withdrawn,
        "source": filing.source,
        "alert_state": filing.alert_state,
        "first_seen_at": filing.first_seen_at.isoformat(),
        "filed_at": filing.filed_at.isoformat() if filing.filed_at else None,
        "url": f"https://dart.fss.or.kr/dsaf001/main.do?rcpNo={filing.rcept_no}",
    }


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(text: str, width: int) -> str:
    """Pad/cut by display width: Korean characters take two columns."""
    out = ""
    for char in text:
        if _width(out + char) > width:
            break
        out += char
    return out + " " * (width - _width(out))


async def run(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from monitor.commands._dates import parse_day
    from monitor.core.errors import UsageError
    from monitor.ingest.companies import load_watchlist, resolve_company
    from storage import filings
    from storage.migrate import prepare_database

    since = parse_day(args.since, "--since")
    until = parse_day(args.until, "--until")
    if args.limit < 0:
        raise UsageError("--limit: must be 0 (all) or more")
    db = await prepare_database(settings.database_url)
    try:
        corp_codes = None
        if args.company:
            watchlist = load_watchlist(settings.watchlist_file)
            found = (await resolve_company(args.company, db=db, watchlist=watchlist)).require()
            if found.corp_code is None:
                raise UsageError(f"{args.company!r}: corp code unknown (run `dartwatch poll`)")
            corp_codes = [found.corp_code]
        rows = await filings.list_filings(
            db,
            corp_codes=corp_codes,
            since=since.strftime("%Y%m%d") if since else None,
            until=until.strftime("%Y%m%d") if until else None,
            limit=args.limit or None,
        )
    finally:
        await db.dispose()
    if args.format == "json":
        print(json.dumps([as_json(f) for f in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no filings stored (run `dartwatch poll` or `dartwatch backfill --since ...`)")
        return 0
    print(f"{'rcept_dt':<10} {'rcept_no':<14} {_cell('company', 14)} {'rm':<4} report_nm")
    for f in rows:
        flags = ("amended " if f.amended else "") + ("withdrawn" if f.withdrawn else "")
        print(
            f"{f.rcept_dt:<10} {f.rcept_no:<14} {_cell(f.corp_name, 14)} "
            f"{_cell(f.rm, 4)} {f.report_nm}{'  (' + flags.strip() + ')' if flags else ''}"
        )
    return 0
