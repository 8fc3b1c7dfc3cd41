"""``dartwatch timeline [--date D] [--lang ko|en]`` and ``dartwatch timeline validate FILE``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from monitor.commands._help import command_help


def register(sub: Any) -> None:
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


def parse_day(text: str | None) -> date:
    from monitor.errors import UsageError
    from monitor.kcalendar import today_kst

    if not text:
        return today_kst()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--date: expected YYYY-MM-DD, got {text!r}") from None


def load(settings: Any) -> Any:
    """The timeline TIMELINE_FILE selects; a bad file is a configuration error (exit 2)."""
    from monitor.settings import ConfigError
    from monitor.timeline import timeline_for

    return timeline_for(settings, on_error=lambda exc: ConfigError(f"TIMELINE_FILE: {exc}"))


def show(args: argparse.Namespace, settings: Any) -> int:
    from monitor.timeline import render_text, timeline_box

    day = parse_day(args.date)
    lang = args.lang or settings.digest_lang
    timeline = load(settings)
    if args.format == "json":
        print(json.dumps(timeline_box(timeline, day, lang), ensure_ascii=False, indent=2))
    else:
        print(render_text(timeline, day, lang, full=not args.short))
    return 0


def validate(args: argparse.Namespace, settings: Any) -> int:
    from monitor.timeline import TimelineError, validate_file

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
