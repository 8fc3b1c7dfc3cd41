"""A channel post vs 1,000 private chats: one filing through the real pipeline, outbox,
dispatcher and TelegramNotifier against the fake Bot API (which enforces Telegram's
~30 messages/s with 429s). Figure: from the filing being fanned out to the last member
being reached: one post for a channel (Telegram delivers it to every member), 1,000
messages paced at 30/s for private chats.

Run: .venv/bin/python -m benchmarks.channel [--chats 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlmodel import select

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

NAVER = "00266961"
CHANNEL = -1001000000001


async def _deliver(chats: list[tuple[int, str]]) -> dict[str, float]:
    api = FakeTelegram()
    with tempfile.TemporaryDirectory() as tmp, serve_in_thread(api) as url:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_sync(db_url)
        db = Database(db_url)
        notifier = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot"))
        try:
            for chat_id, kind in chats:
                api.add_chat(chat_id, kind)
            async with db.session() as s:
                s.add_all(Subscriber(chat_id=c, chat_type=k) for c, k in chats)
            async with db.session() as s:
                ids = (await s.exec(select(Subscriber.id))).all()
                s.add_all(Subscription(subscriber_id=i, corp_code=NAVER) for i in ids if i)
                s.add(
                    Filing(
                        rcept_no="20260115000888",
                        corp_code=NAVER,
                        corp_name="NAVER",
                        report_nm="주요사항보고서(자기주식취득결정)",
                        rcept_dt="20260115",
                    )
                )
            await notifier.start()
            notifiers = {"telegram": notifier}
            pipeline = Pipeline(
                db, load_timeline(), notifiers, body_policy=BodyPolicy(enabled=False)
            )
            dispatcher = Dispatcher(db, notifiers, PayloadResolver(db), worker_id="bench")
            stop = asyncio.Event()
            runner = asyncio.create_task(dispatcher.run_forever(stop, idle=0.2))
            await pipeline.run()
            started = time.monotonic()
            dispatcher.wake()
            deadline = started + len(chats) / 20 + 60
            while len(api.accepted_times()) < len(chats) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            stop.set()
            await runner
        finally:
            await notifier.close()
            await db.dispose()
    times = sorted(api.accepted_times())
    return {"sent": len(times), "last": times[-1] - started if times else float("nan")}


def run(chats: int = 1000) -> list[dict[str, Any]]:
    channel = asyncio.run(_deliver([(CHANNEL, "channel")]))
    private = asyncio.run(_deliver([(200_000 + i, "private") for i in range(chats)]))
    return [
        {
            "name": "telegram: a channel post reaches every member after",
            "value": round(channel["last"], 3),
            "unit": "s",
            "target": "<= 10 s",
            "ok": channel["sent"] == 1 and channel["last"] <= 10,
            "naive": None,
        },
        {
            "name": f"telegram: {int(private['sent'])} private chats, the last reached after",
            "value": round(private["last"], 1),
            "unit": "s",
            "target": f"~{chats / 30:.0f} s at 30/s",
            "ok": None,
            "naive": None,
        },
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1000)
    a = parser.parse_args()
    for row in run(a.chats):
        print(f"{row['name']:<60} {row['value']:>8} {row['unit']:<3} target {row['target']}")
