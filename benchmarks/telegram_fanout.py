"""Telegram fan-out: one filing to 10,000 subscribers through the real pipeline, outbox,
dispatcher and TelegramNotifier (python-telegram-bot) against the local fake Bot API,
which enforces Telegram's limits (30 messages/s overall, 1/s per chat) with 429s.

Figures: messages per second sustained (target >= 27/s, 90 % of the limit, with no
429 returned), time from the end of the poll that found the filing to the first and to
the last delivery (first target < 1 s), and 429s. ``naive`` is what a typical bot
does — send to each subscriber in turn, as fast as the API answers — measured against
the same fake for a few seconds.

Run: ``.venv/bin/python -m benchmarks.telegram_fanout [--subscribers N]``
(default 10,000: about 6 minutes, since 10,000 messages at 30/s take 333 s;
``DARTWATCH_FANOUT_SUBSCRIBERS`` overrides the default for the report).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from monitor.core.loopback import serve_in_thread
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.kai.timeline import load_timeline
from notifiers.telegram import TelegramNotifier, TelegramSettings
from storage.db import Database
from storage.migrate import upgrade_sync
from storage.models import Filing, Subscriber, Subscription
from testkit.fakes.telegram_api import TOKEN, FakeTelegram

RATE_TARGET = 27.0
FIRST_TARGET = 1.0
NAVER = "00266961"


async def _seed(db: Database, n: int, api: FakeTelegram) -> None:
    async with db.session() as s:
        s.add_all(
            Subscriber(chat_id=100_000 + i, language="ko" if i % 3 else "en") for i in range(n)
        )
    async with db.session() as s:
        from sqlmodel import select

        ids = (await s.exec(select(Subscriber.id))).all()
        s.add_all(Subscription(subscriber_id=i, corp_code=NAVER) for i in ids if i is not None)
    for i in range(n):
        api.add_chat(100_000 + i)


async def _fanout(n: int) -> dict[str, float]:
    api = FakeTelegram()
    with tempfile.TemporaryDirectory() as tmp, serve_in_thread(api) as url:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_sync(db_url)
        db = Database(db_url)
        notifier = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot"))
        try:
            await _seed(db, n, api)
            await notifier.start()
            async with db.session() as s:
                s.add(
                    Filing(
                        rcept_no="20260115000777",
                        corp_code=NAVER,
                        corp_name="NAVER",
                        stock_code="035420",
                        report_nm="주요사항보고서(AI 파운데이션 모델 GPU 투자)",
                        flr_nm="NAVER",
                        rcept_dt="20260115",
                    )
                )
            pipeline = Pipeline(
                db, load_timeline(), {"telegram": notifier}, body_policy=BodyPolicy(enabled=False)
            )
            dispatcher = Dispatcher(
                db, {"telegram": notifier}, PayloadResolver(db), worker_id="bench", batch_size=50
            )
            stop = asyncio.Event()
            runner = asyncio.create_task(dispatcher.run_forever(stop, idle=0.2))
            result = await pipeline.run()
            poll_done = time.monotonic()  # the poll's filing is matched and fanned out
            dispatcher.wake()
            deadline = poll_done + n / 25 + 60
            while len(api.accepted_times()) < n and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            stop.set()
            await runner
        finally:
            await notifier.close()
            await db.dispose()
    times = sorted(api.accepted_times())
    sustained = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {
        "queued": result.deliveries,
        "sent": len(times),
        "rate": sustained,
        "first": times[0] - poll_done if times else float("nan"),
        "last": times[-1] - poll_done if times else float("nan"),
        "throttled": api.throttled,
    }


async def _naive(seconds: float = 4.0) -> dict[str, float]:
    """Sequential sends to distinct users, no pacing: a typical DART bot's loop."""
    api = FakeTelegram()
    with serve_in_thread(api) as url:
        # A plain PTB bot: no pacing at all, which is what such a loop has.
        bot = Bot(TOKEN, base_url=f"{url}/bot")
        await bot.initialize()
        attempts = 0
        started = time.monotonic()
        try:
            while time.monotonic() - started < seconds:
                chat = 500_000 + attempts
                api.add_chat(chat)
                attempts += 1
                try:
                    await bot.send_message(chat, "공시 알림")
                except TelegramError:  # the naive bot just moves on
                    continue
        finally:
            await bot.shutdown()
        elapsed = time.monotonic() - started
    return {"rate": len(api.accepted_times()) / elapsed, "throttled": api.throttled}


def run(subscribers: int | None = None) -> list[dict[str, Any]]:
    n = subscribers or int(os.environ.get("DARTWATCH_FANOUT_SUBSCRIBERS", "10000"))
    fan = asyncio.run(_fanout(n))
    naive = asyncio.run(_naive())
    clean = fan["throttled"] == 0 and fan["sent"] == n
    return [
        {
            "name": f"telegram fan-out: messages/s sustained ({n:,} subscribers)",
            "value": round(fan["rate"], 2),
            "unit": "msg/s",
            "target": f">= {RATE_TARGET:g}/s, no 429",
            "ok": fan["rate"] >= RATE_TARGET and clean,
            "naive": round(naive["rate"], 2),
        },
        {
            "name": "telegram fan-out: 429 responses",
            "value": int(fan["throttled"]),
            "unit": "count",
            "target": "0",
            "ok": fan["throttled"] == 0,
            "naive": int(naive["throttled"]),
        },
        {
            "name": "telegram fan-out: first delivery after the poll",
            "value": round(fan["first"], 3),
            "unit": "s",
            "target": f"< {FIRST_TARGET:g} s",
            "ok": fan["first"] < FIRST_TARGET,
            "naive": None,
        },
        {
            "name": f"telegram fan-out: last delivery after the poll ({int(fan['sent']):,} sent)",
            "value": round(fan["last"], 1),
            "unit": "s",
            "target": f"~{n / 30:,.0f} s at 30/s",
            "ok": fan["sent"] == n,
            "naive": None,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=None)
    args = parser.parse_args()
    for row in run(args.subscribers):
        print(
            f"{row['name']}: {row['value']} {row['unit']} (target {row['target']}, "
            f"naive {row['naive']}, ok {row['ok']})"
        )


if __name__ == "__main__":
    main()
