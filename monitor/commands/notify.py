"""``dartwatch notify test``: a test alert through the real outbox and notifiers.

The alert is a made-up filing (``monitor/data/test_alert.toml``) matched against the
timeline in force, so it looks exactly as a subscriber's alert looks. Its outbox rows
are written due tomorrow and claimed by id at once, so a running daemon never takes
them first; each is tried once, and a failed one is dead-lettered with its error
rather than retried later (a test must not arrive hours afterwards).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "notify",
        help="send a test alert through the real outbox and notifiers",
        **command_help(
            "Notification tools. `notify test` sends a test alert through the outbox and "
            "the notifiers exactly as the daemon would.",
            "dartwatch notify test",
        ),
    )
    verbs = p.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    t = verbs.add_parser(
        "test",
        help="send a test alert to every notifier in NOTIFIERS (or one)",
        **command_help(
            "Send a test alert through the real outbox and notifiers, so you see exactly "
            "what subscribers will see. Without --notifier: every notifier in NOTIFIERS. "
            "Telegram sends to subscribers, so it needs --to CHAT_ID or admin ids in the "
            "settings (ADMIN_CHAT_IDS); `dartwatch init` finds your id. Exit 0 when every "
            "test was accepted, 1 otherwise (the error is printed).",
            "dartwatch notify test",
            "dartwatch notify test --notifier telegram --to 123456789",
            "dartwatch notify test --notifier webhook --lang en",
        ),
    )
    t.add_argument("--notifier", metavar="NAME", help="only this notifier (need not be enabled)")
    t.add_argument(
        "--to",
        metavar="DESTINATION",
        help="destination for notifiers that send to subscribers (a Telegram chat id)",
    )
    t.add_argument("--lang", choices=["ko", "en"], help="language (default: DIGEST_LANG)")
    t.set_defaults(handler="monitor.commands.notify:test")


async def test(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.core.errors import UsageError
    from monitor.runtime.container import App
    from monitor.runtime.testalert import send_test_alert

    names = [args.notifier.strip().lower()] if args.notifier else list(settings.notifiers)
    if not names:
        raise UsageError("NOTIFIERS is empty: name one with --notifier")
    app = App(settings.model_copy(update={"notifiers": names}), with_dart=False)
    await app.start()
    try:
        results = await send_test_alert(app, to=args.to, lang=args.lang or settings.digest_lang)
    finally:
        await app.close()
    for r in results:
        where = f"{r.notifier} → {r.destination}" if r.destination else r.notifier
        print(f"{'sent' if r.ok else 'FAILED':<7} {where}" + (f": {r.error}" if r.error else ""))
    return 0 if results and all(r.ok for r in results) else 1
