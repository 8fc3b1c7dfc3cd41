"""``dartwatch check``: try every part of the configuration, one line each."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "check",
        help="try every part of the configuration against the real services",
        **command_help(
            "Try each part of the configuration and print one line per part — settings, "
            "database (reachable, migrated), OpenDART key (one request, counted in the "
            "budget), Telegram token and webhook state, SMTP login, the webhook (a signed "
            "`test` event), Apprise URLs, the timeline data's age — as OK, WARN or FAIL "
            "with the fix. Subscribers are sent nothing.\n\n"
            "Exit 0 when nothing FAILs (warnings pass), 1 otherwise, 2 when a setting "
            "cannot be read at all.",
            "dartwatch check",
            "dartwatch check --json",
        ),
    )
    p.add_argument("--json", action="store_true", help="one JSON document for tools")
    p.set_defaults(handler="monitor.commands.check:run")


_MARK = {"OK": "OK  ", "WARN": "WARN", "FAIL": "FAIL"}


async def run(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from monitor.runtime.checks import exit_code, run_checks

    results = await run_checks(settings)
    code = exit_code(results)
    if args.json:
        doc = {"ok": code == 0, "checks": [r.to_dict() for r in results]}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return code
    width = max(len(r.part) for r in results)
    for r in results:
        print(f"{_MARK[r.verdict]}  {r.part:<{width}}  {r.detail}")
        if r.fix and r.verdict != "OK":
            print(f"      {'':<{width}}  → {r.fix}")
    fails = sum(r.verdict == "FAIL" for r in results)
    warns = sum(r.verdict == "WARN" for r in results)
    plural = "" if warns == 1 else "s"
    print(f"\n{fails} failed, {warns} warning{plural}, {len(results) - fails - warns} ok")
    return code
