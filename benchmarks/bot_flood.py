"""Bot flood: one user sends 20 ``/help`` at once, then another user sends one. How long
does the second user wait for the answer? The real bot (python-telegram-bot, long
polling) against the local fake Bot API with Telegram's limits (1 message/s per chat
after a burst of 3, 30/s overall; 429 beyond).

``naive`` is a stock python-telegram-bot bot — ``AIORateLimiter`` and updates handled
one after another, as the library's examples set it up — against the same fake: each
429 on the flooder's chat pauses every request, and the other user's update waits
behind all 20.

Run: ``.venv/bin/python -m benchmarks.bot_flood``
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes

from monitor.bot import BotConfig, start_bot
from monitor.core.loopback import serve_in_thread
from storage.db import Database
from storage.migrate import upgrade_sync
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from testkit.telegram import FakeServices

FLOOD = 20
FLOODER, OTHER, WARMUP = 4001, 4002, 4003
TARGET = 0.5  # seconds for the other user's answer


async def _flood(api: FakeTelegram) -> dict[str, float]:
    api.private_text(WARMUP, "/help")
    await api.wait_sent(WARMUP, 1, timeout=30)
    for _ in range(FLOOD):
        api.private_text(FLOODER, "/help")
    started = time.monotonic()
    api.private_text(OTHER, "/help")
    await api.wait_sent(OTHER, 1, timeout=120)
    waited = time.monotonic() - started
    await asyncio.sleep(FLOOD / 4)  # let the flooder's budget be answered
    return {
        "other": waited,
        "answered": len(api.sent_messages(FLOODER)),
        "throttled": api.throttled,
    }


async def _ours() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'flood.db'}"
        upgrade_sync(url)
        db = Database(url)
        api = FakeTelegram()
        try:
            with serve_in_thread(api) as base:
                config = BotConfig(token=TOKEN, base_url=f"{base}/bot", poll_timeout=1.0)
                bot = await start_bot(config, db, FakeServices())
                try:
                    return await _flood(api)
                finally:
                    await bot.stop()
        finally:
            await db.dispose()


async def _naive() -> dict[str, float]:
    async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Commands: /help")

    api = FakeTelegram()
    with serve_in_thread(api) as base:
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{base}/bot")
            .rate_limiter(AIORateLimiter(max_retries=2))
            .build()
        )
        app.add_handler(CommandHandler("help", help_))
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            return await _flood(api)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()


def run() -> list[dict[str, Any]]:
    ours = asyncio.run(_ours())
    naive = asyncio.run(_naive())
    return [
        {
            "name": f"bot: another user's answer during a {FLOOD}-/help flood",
            "value": round(ours["other"], 3),
            "unit": "s",
            "target": f"< {TARGET:g} s",
            "ok": ours["other"] < TARGET,
            "naive": round(naive["other"], 3),
        },
        {
            "name": f"bot: flooder's commands answered (of {FLOOD}; budget 5, 1/s)",
            "value": int(ours["answered"]),
            "unit": "count",
            "target": "<= 6",
            "ok": ours["answered"] <= 6,
            "naive": int(naive["answered"]),
        },
        {
            "name": "bot: 429 responses during the flood",
            "value": int(ours["throttled"]),
            "unit": "count",
            "target": "0",
            "ok": ours["throttled"] == 0,
            "naive": int(naive["throttled"]),
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']} (naive {row['naive']})")
