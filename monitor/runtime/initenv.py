"""``dartwatch init``: turn an OpenDART key and a bot token into a working ``.env``.

Each value is checked against the service it belongs to before anything is written:
the key with one ``list.json`` request, the token with ``getMe``. The operator's own
Telegram user id (for the admin commands) is found by asking them to send ``/start``
to the bot and reading it with ``getUpdates`` — without confirming any update, so
the bot still answers that ``/start`` (and anything else pending) when it first runs.

The file is written with mode 0600 (it holds secrets), atomically (a temporary file
renamed over the target), and never over an existing file without ``force``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.core import kcalendar
from monitor.core.errors import UserError
from monitor.core.settings import Settings, load_settings
from notifiers.atomic import write_atomic

if TYPE_CHECKING:
    from telegram import Bot

#: Extra seconds a long poll's HTTP read may take beyond its ``timeout``.
_READ_SLACK = 10.0
#: Seconds of a single getUpdates long poll while waiting for /start.
_LONG_POLL = 5


class InitError(UserError):
    """A value failed its check; nothing was written (exit 1)."""


@dataclass(slots=True)
class EnvValues:
    dart_api_key: str
    notifiers: list[str]
    telegram_bot_token: str | None = None
    admin_user_id: int | None = None
    database_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def validated(values: EnvValues) -> Settings:
    """The settings *values* make, or :class:`ConfigError` naming the bad one."""
    overrides: dict[str, object] = {
        "DART_API_KEY": values.dart_api_key,
        "NOTIFIERS": ",".join(values.notifiers),
        "TELEGRAM_BOT_TOKEN": values.telegram_bot_token,
    }
    if values.database_url:
        overrides["DATABASE_URL"] = values.database_url
    return load_settings(**overrides)


def render_env(values: EnvValues) -> str:
    """The ``.env`` text: what init learned, with a comment per line (pure)."""
    lines = [
        "# Written by `dartwatch init`. Every other setting keeps its default; see",
        "# .env.example for the full list. This file holds secrets: keep it mode 0600.",
        "",
        "# OpenDART key (checked when this file was written)",
        f"DART_API_KEY={values.dart_api_key}",
        "# Where alerts go",
        f"NOTIFIERS={','.join(values.notifiers)}",
    ]
    if values.telegram_bot_token:
        lines += [
            "# Telegram bot token from @BotFather (checked with getMe)",
            f"TELEGRAM_BOT_TOKEN={values.telegram_bot_token}",
        ]
    if values.admin_user_id is not None:
        uid = values.admin_user_id
        lines += [
            "# You, the operator: your Telegram user id (found from your /start). Admins",
            "# use /stats and /broadcast (in a private chat with the bot) and get notices.",
            f"ADMIN_USER_IDS={uid}",
        ]
    if values.database_url:
        lines += ["# The database", f"DATABASE_URL={values.database_url}"]
    for name, value in values.extra.items():
        lines.append(f"{name}={value}")
    return "\n".join(lines) + "\n"


def write_env(path: Path, text: str, *, force: bool) -> None:
    """Write *text* to *path* with mode 0600, atomically; refuse to replace a file
    unless *force*."""
    if path.exists() and not force:
        raise UserError(
            f"{path} exists; run with --force to replace it (your current file is kept)",
            exit_code=2,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text, mode=0o600)


# --- checks against the services --------------------------------------------------------


async def verify_key(settings: Settings) -> None:
    """One ``list.json`` request with the key; :class:`InitError` when refused."""
    from monitor.opendart.client import DartClient
    from monitor.opendart.errors import DartError, InvalidKey, QuotaExceeded

    client = DartClient(settings, budget=None, max_retries=0)
    today = kcalendar.today_kst()
    try:
        await client.list_page(bgn_de=today, end_de=today, page_count=1)
    except QuotaExceeded:
        return  # a spent quota still proves the key is real
    except InvalidKey as exc:
        raise InitError(f"{exc} — nothing written") from None
    except DartError as exc:
        raise InitError(
            f"could not reach OpenDART ({exc}); check the network, or --no-verify to "
            "write the file unchecked"
        ) from None
    finally:
        await client.aclose()


def _bot(settings: Settings) -> Bot:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    token = settings.require_bot_token()
    return Bot(
        token,
        base_url=settings.telegram_base_url,
        request=HTTPXRequest(connect_timeout=5, read_timeout=10),
        get_updates_request=HTTPXRequest(connect_timeout=5, read_timeout=_LONG_POLL + _READ_SLACK),
    )


async def verify_token(settings: Settings) -> str:
    """``getMe`` with the token; the bot's @username."""
    from telegram.error import InvalidToken, TelegramError

    bot = _bot(settings)
    try:
        me = await bot.get_me()
    except InvalidToken:
        raise InitError(
            "Telegram rejected the bot token; copy it again from @BotFather — nothing written"
        ) from None
    except TelegramError as exc:
        raise InitError(f"could not reach Telegram ({exc}); or --no-verify") from None
    finally:
        await bot.shutdown()
    return str(me.username)


async def find_user_id(settings: Settings, wait_seconds: float, *, since: float) -> int | None:
    """The user id of whoever sends ``/start`` to the bot in a private chat within
    *wait_seconds*, or None. Updates dated before *since* (Unix seconds: when init
    began) are someone else's business and ignored; none is confirmed."""
    from telegram.error import Conflict, TelegramError

    bot = _bot(settings)
    since -= 1  # a message's date has whole seconds
    deadline = time.monotonic() + wait_seconds
    try:
        while time.monotonic() < deadline:
            left = deadline - time.monotonic()
            updates = await bot.get_updates(
                timeout=int(min(_LONG_POLL, max(0, left))),
                allowed_updates=["message"],
                read_timeout=_LONG_POLL + _READ_SLACK,
            )
            fresh = [
                u.message
                for u in updates
                if u.message is not None
                and u.message.chat.type == "private"
                and u.message.from_user is not None
                and (u.message.text or "").split("@")[0].strip().startswith("/start")
                and u.message.date.timestamp() >= since
            ]
            if fresh:
                sender = fresh[-1].from_user
                assert sender is not None
                return int(sender.id)
            if updates:
                # Only older updates pending: getUpdates returns them at once, so pace.
                await asyncio.sleep(1)
    except Conflict:
        raise InitError(
            "a webhook is set for this bot, so updates cannot be read here; give your "
            "user id with --admin-id"
        ) from None
    except TelegramError as exc:
        raise InitError(f"reading updates failed ({exc}); give --admin-id") from None
    finally:
        await bot.shutdown()
    return None
