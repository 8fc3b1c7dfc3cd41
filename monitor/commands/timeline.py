"""``dartwatch timeline [--date D] [--lang ko|en] [--format text|json]``,
``dartwatch timeline validate FILE``, and ``timeline record`` / ``timeline unrecord``,
which write outcomes into TIMELINE_FILE and re-match the filings they affect."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings
    from monitor.kai.timeline import Timeline


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "timeline",
        help="the K-AI project timeline with today's position; `timeline validate FILE`",
        **command_help(
            "Print the K-AI timeline: current phase, last and next milestones with day "
            "counts, each team's status. `dartwatch timeline validate FILE` checks a "
            "TIMELINE_FILE before use.",
            "dartwatch timeline --short",
            "dartwatch timeline --date 2026-06-30 --lang en --format json",
            "dartwatch timeline validate my-timeline.toml",
        ),
    )
    p.add_argument(
        "--date", metavar="YYYY-MM-DD", help="position on this day (default: today, KST)"
    )
    p.add_argument("--lang", choices=["ko", "en"], help="language (default: DIGEST_LANG)")
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or the JSON box"
    )
    p.add_argument("--short", action="store_true", help="only the summary, not every milestone")
    p.set_defaults(handler="monitor.commands.timeline:show")
    verbs = p.add_subparsers(dest="timeline_command", metavar="ACTION")
    _register_validate(verbs)
    _register_record(verbs)
    _register_suggestions(verbs)
    _register_unrecord(verbs)


def _register_validate(verbs: Subparsers[argparse.ArgumentParser]) -> None:
    v = verbs.add_parser(
        "validate",
        help="check a timeline file (as merged over the bundled one); exit 2 on errors",
        **command_help(
            "Check a timeline file as it would be merged over the bundled one: dates, "
            "references, both languages. Exit 0 when valid, 2 with one line per error.",
            "dartwatch timeline validate my-timeline.toml",
        ),
    )
    v.add_argument("file", help="the TOML file to check")
    v.set_defaults(handler="monitor.commands.timeline:validate")


def _register_record(verbs: Subparsers[argparse.ArgumentParser]) -> None:
    r = verbs.add_parser(
        "record",
        help="record a milestone's outcome in TIMELINE_FILE, then re-match affected filings",
        **command_help(
            "Write a validated [[records]] entry into TIMELINE_FILE (created if missing; "
            "a second record of the same milestone replaces the first), then re-match the "
            "stored filings it can change. Undo with `timeline unrecord MILESTONE` or "
            "`timeline record --undo MILESTONE`.",
            'dartwatch timeline record MILESTONE_ID --outcome "PLACEHOLDER outcome" '
            "--team=TEAM_ID=advanced --source https://example.com/PLACEHOLDER",
            "dartwatch timeline record MILESTONE_ID --undo",
        ),
    )
    r.add_argument("milestone", metavar="MILESTONE", help="the milestone id (see --format json)")
    r.add_argument("--outcome", help="what happened (Korean or both languages)")
    r.add_argument("--outcome-en", help="the outcome in English (default: --outcome)")
    r.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="TEAM=RESULT",
        help="a team's result: advanced or eliminated (repeat per team)",
    )
    r.add_argument(
        "--source", action="append", default=[], metavar="URL", help="a source URL (repeat)"
    )
    r.add_argument(
        "--date",
        dest="record_date",
        metavar="YYYY-MM-DD",
        help="when the outcome was announced (default: today, KST)",
    )
    r.add_argument("--undo", action="store_true", help="remove the record of MILESTONE instead")
    r.add_argument("--no-rematch", action="store_true", help="write the record only")
    r.set_defaults(handler="monitor.commands.timeline:record")


def _register_suggestions(verbs: Subparsers[argparse.ArgumentParser]) -> None:
    sg = verbs.add_parser(
        "suggestions",
        help="stored filings that name the project with an evaluation word (possible milestones)",
        **command_help(
            "List stored filings whose title or body names the K-AI project together with an "
            "evaluation or selection word: possible milestones for an admin to check and "
            "record. Nothing is recorded by this command.",
            "dartwatch timeline suggestions",
            "dartwatch timeline suggestions --since 2026-08-01 --limit 20",
        ),
    )
    sg.add_argument("--since", metavar="YYYY-MM-DD", help="received on or after (default: all)")
    sg.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    sg.set_defaults(handler="monitor.commands.timeline:suggestions")


def _register_unrecord(verbs: Subparsers[argparse.ArgumentParser]) -> None:
    u = verbs.add_parser(
        "unrecord",
        help="remove a milestone's record from TIMELINE_FILE",
        **command_help(
            "Remove the record of MILESTONE from TIMELINE_FILE (the bundled data is "
            "untouched), then re-match the filings it had changed.",
            "dartwatch timeline unrecord MILESTONE_ID",
        ),
    )
    u.add_argument("milestone", metavar="MILESTONE")
    u.add_argument("--no-rematch", action="store_true", help="remove the record only")
    u.set_defaults(handler="monitor.commands.timeline:unrecord", undo=True)


def parse_day(text: str | None) -> date:
    from monitor.core.errors import UsageError
    from monitor.core.kcalendar import today_kst

    if not text:
        return today_kst()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--date: expected YYYY-MM-DD, got {text!r}") from None


def load(settings: Settings) -> Timeline:
    """The timeline TIMELINE_FILE selects; a bad file is a configuration error (exit 2)."""
    from monitor.core.settings import ConfigError
    from monitor.kai.timeline import timeline_for

    return timeline_for(settings, on_error=lambda exc: ConfigError(f"TIMELINE_FILE: {exc}"))


def show(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.kai.timeline.views import render_text, timeline_box

    day = parse_day(args.date)
    lang = args.lang or settings.digest_lang
    timeline = load(settings)
    if args.format == "json":
        print(json.dumps(timeline_box(timeline, day, lang), ensure_ascii=False, indent=2))
    else:
        print(render_text(timeline, day, lang, full=not args.short))
    return 0


def validate(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.kai.timeline import TimelineError, validate_file

    try:
        timeline = validate_file(args.file)
    except TimelineError as exc:
        print(f"{args.file}: {len(exc.errors)} error(s)", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 2
    print(
        f"{args.file}: OK — {len(timeline.milestones)} milestones, {len(timeline.phases)} phases, "
        f"{len(timeline.teams)} teams, {len(timeline.status_changes)} status changes; "
        f"version {timeline.version}"
    )
    return 0


def _record_file(settings: Settings) -> Path:
    from monitor.core.errors import UsageError

    if settings.timeline_file is None:
        raise UsageError(
            "TIMELINE_FILE is not set: set it to the path of your timeline file "
            "(it is created if missing)"
        )
    return Path(settings.timeline_file)


async def record(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.core.errors import UsageError
    from monitor.core.kcalendar import today_kst
    from monitor.kai.records import NewRecord, RecordError, add_record, parse_team_results
    from monitor.kai.timeline import remote_layer

    if args.undo:
        return await unrecord(args, settings)
    path = _record_file(settings)
    outcome = (args.outcome or "").strip()
    if not outcome:
        raise UsageError("--outcome: say what happened (required)")
    if not args.source:
        raise UsageError("--source: give at least one source URL")
    day = parse_day(args.record_date) if args.record_date else today_kst()
    if day > today_kst():
        raise UsageError(f"--date: {day.isoformat()} is in the future")
    try:
        entry = NewRecord(
            milestone=args.milestone.strip(),
            day=day,
            outcome_ko=outcome,
            outcome_en=(args.outcome_en or "").strip() or outcome,
            teams=parse_team_results(args.team),
            sources=tuple(s.strip() for s in args.source),
        )
        timeline = add_record(
            path,
            entry,
            datetime.now(UTC).isoformat(timespec="seconds"),
            remote=remote_layer(settings),
        )
    except RecordError as exc:
        return _record_failed(exc)
    print(f"recorded {entry.milestone} ({day.isoformat()}) in {path}; version {timeline.version}")
    return await _rematch(args, settings, timeline, entry.milestone)


async def unrecord(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.kai.records import RecordError, remove_record
    from monitor.kai.timeline import remote_layer

    path = _record_file(settings)
    milestone = args.milestone.strip()
    try:
        timeline = remove_record(path, milestone, remote=remote_layer(settings))
    except RecordError as exc:
        return _record_failed(exc)
    print(f"removed the record of {milestone} from {path}; version {timeline.version}")
    return await _rematch(args, settings, timeline, milestone)


def _record_failed(exc: Exception) -> int:
    print(f"dartwatch: {exc}", file=sys.stderr)
    for error in getattr(exc, "errors", []):
        print(f"  {error}", file=sys.stderr)
    return 2


async def _rematch(
    args: argparse.Namespace, settings: Settings, timeline: Timeline, milestone: str
) -> int:
    """Re-match the stored filings the record can change: those received from 31 days
    before the milestone on (its proximity window) or from the record's date."""
    from monitor.kai.rematch import rematch_all
    from storage.migrate import prepare_database

    if args.no_rematch:
        print("not re-matched: run `dartwatch rematch` when ready")
        return 0
    m = timeline.milestone_by_id[milestone]
    first = m.first_day - timedelta(days=31)
    if m.outcome is not None:
        first = min(first, m.outcome.date)
    db = await prepare_database(settings.database_url)
    try:
        stats = await rematch_all(db, timeline, since=first.strftime("%Y%m%d"))
    finally:
        await db.dispose()
    print(
        f"re-matched {stats.total} filings from {first.isoformat()}: {stats.changed} changed "
        f"({stats.relevance_changed} relevance, {stats.ai_flag_changed} AI flag)"
    )
    return 0


async def suggestions(args: argparse.Namespace, settings: Settings) -> int:
    """Possible milestones among the stored filings (title, or cached body), newest
    first; nothing is recorded."""
    from monitor.commands._dates import parse_day as parse_flag_day
    from monitor.core.errors import UsageError
    from monitor.kai.suggestions import list_lines, suggest
    from storage.documents import get_documents
    from storage.filings import list_filings
    from storage.migrate import prepare_database

    if not 1 <= args.limit <= 10_000:
        raise UsageError(f"--limit: expected 1..10000, got {args.limit}")
    since = parse_flag_day(args.since, "--since")
    db = await prepare_database(settings.database_url)
    found = []
    try:
        filings = await list_filings(db, since=since.strftime("%Y%m%d") if since else None)
        for start in range(0, len(filings), 500):
            batch = filings[start : start + 500]
            async with db.session() as session:
                docs = await get_documents(session, [f.rcept_no for f in batch])
            for filing in batch:
                doc = docs.get(filing.rcept_no)
                body = doc.text if doc is not None and doc.status == "ok" else None
                hit = suggest(filing.report_nm, body)
                if hit is not None:
                    found.append((filing, hit))
            if len(found) >= args.limit:
                break
    finally:
        await db.dispose()
    lines = list_lines(found[: args.limit])
    print("\n".join(lines) if lines else "no suggested milestones")
    return 0
