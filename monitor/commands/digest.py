"""``dartwatch digest``: the daily digest of one Korean business day, in any format,
printed, written to a file, or queued for the configured notifiers."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings
    from monitor.digest.service import Queued
    from notifiers.base import Notifier

FORMATS = ("html", "md", "text", "json", "csv")


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "digest",
        help="the daily digest of a business day (html, md, text, json, csv); --send queues it",
        **command_help(
            "Build the digest of one Korean business day: the filings received since the "
            "previous business day (weekends and holidays roll into the next digest), "
            "AI-relevant ones first, the K-AI timeline box and a 30-day trend.",
            "dartwatch digest",
            "dartwatch digest --date 2026-03-10 --format html --out digest.html",
            "dartwatch digest --send",
        ),
    )
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="the business day (default: today in KST, or the last business day before it)",
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    p.add_argument("--lang", choices=["ko", "en"], help="language (default: DIGEST_LANG)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument(
        "--send",
        action="store_true",
        help="queue the digest for every configured notifier (once per day and destination)",
    )
    p.set_defaults(handler="monitor.commands.digest:run")


def resolve_day(text: str | None, today: date) -> tuple[date, str | None]:
    """The digest day and, when it was chosen for the user, a note saying so."""
    from monitor.core.errors import UsageError
    from monitor.digest.days import NotABusinessDay, check_digest_day, latest_digest_day

    if not text:
        day = latest_digest_day(today)
        note = None
        if day != today:
            note = f"{today.isoformat()} is not a business day; showing the digest for {day}"
        return day, note
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--date: expected YYYY-MM-DD, got {text!r}") from None
    try:
        return check_digest_day(day), None
    except NotABusinessDay as exc:
        raise UsageError(f"--date: {exc}") from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from monitor.core.errors import UserError
    from monitor.core.kcalendar import today_kst

    day, note = resolve_day(args.date, today_kst())
    if note:
        print(f"dartwatch: {note}", file=sys.stderr)
    lang = args.lang or settings.digest_lang
    output, queued = asyncio.run(_build(args, settings, day, lang))
    if args.out:
        try:
            Path(args.out).write_text(output, encoding="utf-8", newline="")
        except OSError as exc:
            raise UserError(f"--out: cannot write {args.out}: {exc.strerror or exc}") from None
    elif queued is None:
        sys.stdout.write(output)
    if queued is not None:
        if not queued.destinations:
            print(
                f"digest {day}: no destination takes digests (NOTIFIERS="
                f"{','.join(settings.notifiers)}; Telegram subscribers choose /digest on)"
            )
        else:
            print(
                f"digest {day}: queued {queued.queued} deliveries, {queued.existing} already "
                f"queued earlier ({', '.join(queued.destinations)}); the dispatcher of "
                "`dartwatch run` sends them"
            )
    return 0


async def _build(
    args: argparse.Namespace, settings: Settings, day: date, lang: str
) -> tuple[str, Queued | None]:
    from monitor.commands.timeline import load
    from monitor.digest.render import render
    from monitor.digest.service import enqueue_digest, load_digest
    from storage.migrate import prepare_database

    timeline = load(settings)
    notifiers = _notifiers(settings) if args.send else {}
    db = await prepare_database(settings.database_url)
    try:
        digest = await load_digest(db, timeline, day, lang)
        output = render(digest, args.format)
        queued = await enqueue_digest(db, notifiers, day, lang) if args.send else None
    finally:
        await db.dispose()
    return output, queued


def _notifiers(settings: Settings) -> dict[str, Notifier]:
    from monitor.core.settings import ConfigError
    from notifiers.base import NotifierConfigError
    from notifiers.registry import load_notifier_map

    try:
        return load_notifier_map(settings.notifiers)
    except NotifierConfigError as exc:
        raise ConfigError(str(exc)) from None
