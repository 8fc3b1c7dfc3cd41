"""``dartwatch init``: write a checked ``.env`` (see :mod:`monitor.runtime.initenv`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "init",
        help="write .env from your OpenDART key and bot token, each checked live",
        **command_help(
            "Ask for (or take as flags) the OpenDART key, the notifiers and the Telegram "
            "bot token; check each against the real service; find your Telegram user id "
            "by asking you to send /start to the bot (bounded wait); write .env with mode "
            "0600. An existing file is never replaced without --force.\n\n"
            "Values come from the flags first, then the environment (DART_API_KEY, "
            "TELEGRAM_BOT_TOKEN, NOTIFIERS), then a prompt when standard input is a "
            "terminal. Secrets typed at the prompt are not echoed; prefer the prompt or "
            "the environment to flags, which shell history keeps.",
            "dartwatch init",
            "DART_API_KEY=... TELEGRAM_BOT_TOKEN=... dartwatch init --non-interactive",
            "dartwatch init --non-interactive --notifiers console --force",
            "dartwatch init --admin-id 123456789 --database-url postgresql://dartwatch@/dartwatch",
        ),
    )
    p.add_argument("--dart-key", metavar="KEY", help="the 40-character OpenDART key")
    p.add_argument("--bot-token", metavar="TOKEN", help="the bot token from @BotFather")
    p.add_argument(
        "--notifiers",
        metavar="LIST",
        help="comma-separated (default: telegram when a token is given, else console)",
    )
    p.add_argument("--database-url", metavar="URL", help="default: SQLite in this folder")
    p.add_argument(
        "--admin-id", type=int, metavar="ID", help="your Telegram user id (skips the /start wait)"
    )
    p.add_argument(
        "--wait",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for your /start (default 120; 0: don't ask)",
    )
    p.add_argument("--env-file", default=".env", metavar="PATH", help="default: ./.env")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument(
        "--no-verify", action="store_true", help="write without contacting OpenDART or Telegram"
    )
    p.add_argument(
        "--non-interactive",
        action="store_true",
        help="never prompt (also when standard input is not a terminal)",
    )
    p.set_defaults(handler="monitor.commands.init:run")


class _Asker:
    """Prompts on the terminal, or a usage error naming the flag when there is none."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive

    def text(self, prompt: str, flag: str, default: str | None = None) -> str:
        if not self.interactive:
            if default is not None:
                return default
            from monitor.core.errors import UsageError

            raise UsageError(f"{flag} is required without a terminal (or --non-interactive)")
        shown = f" [{default}]" if default else ""
        answer = input(f"{prompt}{shown}: ").strip()
        return answer or (default or "")

    def secret(self, prompt: str, flag: str) -> str:
        import getpass

        if not self.interactive:
            from monitor.core.errors import UsageError

            raise UsageError(f"{flag} is required without a terminal (or --non-interactive)")
        return getpass.getpass(f"{prompt}: ").strip()


def run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    import sys
    import time
    from pathlib import Path

    from monitor.core.errors import UserError
    from monitor.runtime.initenv import EnvValues, render_env, validated, write_env

    began = time.time()  # a /start sent from now on is the operator's
    path = Path(args.env_file)
    if path.exists() and not args.force:
        raise UserError(f"{path} exists; run with --force to replace it", exit_code=2)
    ask = _Asker(not args.non_interactive and sys.stdin.isatty())

    def secret_of(value: Any) -> str | None:
        return value.get_secret_value() if value is not None else None

    key = args.dart_key or secret_of(settings.dart_api_key)
    if not key:
        key = ask.secret("OpenDART key (40 characters, from opendart.fss.or.kr)", "--dart-key")
    if not key:
        raise UserError("an OpenDART key is required (https://opendart.fss.or.kr)", exit_code=2)
    token = args.bot_token or secret_of(settings.telegram_bot_token)
    if args.notifiers:
        notifiers = args.notifiers
    elif "notifiers" in settings.model_fields_set:
        notifiers = ",".join(settings.notifiers)
    else:
        fallback = "telegram" if token or ask.interactive else "console"
        notifiers = ask.text("Notifiers, comma-separated", "--notifiers", fallback)
    names = [n.strip().lower() for n in notifiers.split(",") if n.strip()]
    _check_names(names)
    if "telegram" in names and not token:
        token = ask.secret("Telegram bot token (from @BotFather)", "--bot-token")
    database_url = args.database_url
    if database_url is None and ask.interactive:
        database_url = ask.text("Database URL", "--database-url", "sqlite:///dartwatch.db")
    values = EnvValues(
        dart_api_key=key,
        notifiers=names,
        telegram_bot_token=token if "telegram" in names else None,
        admin_user_id=args.admin_id,
        database_url=database_url or None,
    )
    checked = validated(values)
    if not args.no_verify:
        values.admin_user_id = asyncio.run(
            _verify(checked, values.admin_user_id, args.wait, since=began)
        )
    write_env(path, render_env(values), force=args.force)
    print(f"wrote {path} (mode 0600)")
    others = [n for n in names if n not in ("telegram", "console")]
    if others:
        print(
            f"add the settings of {', '.join(others)} to {path} (see .env.example); "
            "`dartwatch check` names any that are missing"
        )
    print("next: `dartwatch check`, then `dartwatch notify test`, then `dartwatch run`")
    return 0


async def _verify(
    settings: Settings, admin_id: int | None, wait: float, *, since: float
) -> int | None:
    """Check the key and the token live; find the operator's user id unless given.
    Returns the admin id to write (None: none known)."""
    import sys

    from monitor.runtime.initenv import find_user_id, verify_key, verify_token

    await verify_key(settings)
    print("✓ OpenDART accepted the key (1 request)")
    if settings.telegram_bot_token is None or "telegram" not in settings.notifiers:
        return admin_id
    username = await verify_token(settings)
    print(f"✓ Telegram bot: @{username}")
    if admin_id is not None or wait <= 0:
        return admin_id
    print(
        f"→ Now send /start to @{username} in Telegram (waiting up to {wait:.0f} s) "
        "so dartwatch learns your user id…",
        flush=True,
    )
    found = await find_user_id(settings, wait, since=since)
    if found is None:
        print(
            "! no /start arrived: admin ids left out; run init again with --admin-id, "
            "or add ADMIN_USER_IDS by hand",
            file=sys.stderr,
        )
    else:
        print(f"✓ your Telegram user id: {found}")
    return found


def _check_names(names: list[str]) -> None:
    """Every notifier name must be installed (a typo is caught here, not at start)."""
    from monitor.core.errors import UsageError
    from notifiers.registry import available

    known = available()
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(
            f"unknown notifier {', '.join(unknown) or '(none given)'}; "
            f"available: {', '.join(known)}"
        )
