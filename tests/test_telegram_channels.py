"""Channels as a destination and paid broadcasts, through the real pipeline, dispatcher
and TelegramNotifier against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.kai.timeline import bundled_timeline
from notifiers.base import Alert
from notifiers.telegram import (
    FREE_RATE,
    GROUP_INTERVAL,
    PAID_RATE,
    TelegramNotifier,
    TelegramSettings,
)
from storage import filings as filings_repo
from storage import subscribers as subs
from storage.db import Database
from testkit.fakes.telegram_api import TOKEN, FakeTelegram

NAVER = "00266961"
CHANNEL = -1001234567890


@pytest.fixture
def api() -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram()
    with serve_in_thread(fake) as url:
        yield fake, url


async def notifier_for(url: str, **options: object) -> TelegramNotifier:
    settings = TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot", **options)
    notifier = TelegramNotifier(settings)
    await notifier.start()
    return notifier


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        await database.dispose()


async def add_subscriber(db: Database, chat_id: int, chat_type: str) -> None:
    async with db.session() as session:
        sub = await subs.get_or_create(session, chat_id, chat_type=chat_type, title="공시")
        assert sub.id is not None
        await subs.subscribe(session, sub.id, [NAVER])


async def store_filing(db: Database, rcept_no: str) -> None:
    async with db.session() as session:
        await filings_repo.upsert_filings(
            session,
            [
                filings_repo.FilingRecord(
                    rcept_no=rcept_no,
                    corp_code=NAVER,
                    corp_name="NAVER",
                    report_nm="주요사항보고서(자기주식취득결정)",
                    rcept_dt=rcept_no[:8],
                )
            ],
        )


async def test_one_channel_post_reaches_every_member(
    api: tuple[FakeTelegram, str], db: Database
) -> None:
    fake, url = api
    fake.add_chat(CHANNEL, "channel", title="NAVER 공시")
    await add_subscriber(db, CHANNEL, "channel")
    notifier = await notifier_for(url)
    try:
        notifiers = {"telegram": notifier}
        pipeline = Pipeline(
            db, bundled_timeline(), notifiers, body_policy=BodyPolicy(enabled=False)
        )
        dispatcher = Dispatcher(db, notifiers, PayloadResolver(db), worker_id="channel-test")
        await store_filing(db, "20260115000501")
        result = await pipeline.run()
        assert result.deliveries == 1  # one row for the channel, whatever its audience
        await dispatcher.drain(timeout=20)
    finally:
        await notifier.close()
    [post] = fake.sent_messages(CHANNEL)
    assert post.dart_rcept_no() == "20260115000501" and not post.paid
    # Channels are paced like groups (20 posts a minute), not like private chats.
    assert notifier.min_interval_for(str(CHANNEL)) == GROUP_INTERVAL
    assert notifier.min_interval_for("@naver_disclosures") == GROUP_INTERVAL


async def test_paid_broadcast_flags_every_message_and_lifts_the_pace(
    api: tuple[FakeTelegram, str],
) -> None:
    fake, url = api
    free = await notifier_for(url)
    paid = await notifier_for(url, paid_broadcast=True)
    try:
        assert free.rate_limit() == FREE_RATE and paid.rate_limit() == PAID_RATE
        chats = list(range(5001, 5101))
        for chat in chats:
            fake.add_chat(chat, "private")
        alert = Alert(
            rcept_no="20260115000503",
            corp_code=NAVER,
            corp_name="NAVER",
            report_nm="주요사항보고서(유상증자결정)",
            rcept_dt="20260115",
        )
        # 100 chats at once: above the free ~30/s, within the paid 1000/s.
        await asyncio.gather(*(paid.send_alert(alert, str(c)) for c in chats))
    finally:
        await free.close()
        await paid.close()
    sent = [m for c in chats for m in fake.sent_messages(c)]
    assert len(sent) == 100 and all(m.paid for m in sent)
    assert fake.throttled == 0  # the free overall limit (burst 5, 30/s) would have 429ed


def test_paid_broadcast_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_PAID_BROADCAST", "true")
    assert TelegramSettings(bot_token=TOKEN).paid_broadcast is True
    monkeypatch.setenv("TELEGRAM_PAID_BROADCAST", "maybe")
    with pytest.raises(ValueError, match="paid_broadcast"):
        TelegramSettings(bot_token=TOKEN)
