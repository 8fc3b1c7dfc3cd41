"""Corrections and withdrawals as Telegram replies to the alert they are about: the
notifier keeps sent alerts' message ids (on the outbox rows in the app) and answers
them, over the fake Bot API; without a known thread the message goes out unthreaded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.delivery.threads import OutboxMessageLog
from notifiers.base import Alert, FactChange, HeldAlerts
from notifiers.telegram import TelegramNotifier, TelegramSettings
from storage import outbox
from storage.db import Database
from testkit.fakes.telegram_api import TOKEN, FakeTelegram

CHAT = 4242
ORIGINAL = Alert(
    rcept_no="20260115800003",
    corp_code="00159023",
    corp_name="SK텔레콤",
    report_nm="단일판매ㆍ공급계약체결",
    rcept_dt="20260115",
    summary="4,648억원 공급계약 · 삼성전자",
    facts={"amount_krw": 464_800_000_000},
)
CORRECTION = replace(
    ORIGINAL,
    rcept_no="20260115800006",
    report_nm="[기재정정]단일판매ㆍ공급계약체결",
    correction=True,
    summary="5,113억원 공급계약 · 삼성전자",
    corrects=ORIGINAL.rcept_no,
    changes=(FactChange("amount_krw", "계약금액(원)", "4,648억원", "5,113억원"),),
)


class MemoryLog:
    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}

    async def sent(self, ref: str, destination: str, message_id: int) -> None:
        self.ids[(ref, destination)] = message_id

    async def original(self, ref: str, destination: str) -> int | None:
        return self.ids.get((ref, destination))


@pytest.fixture
def fake() -> Iterator[tuple[FakeTelegram, str]]:
    api = FakeTelegram()
    with serve_in_thread(api) as url:
        yield api, url


@pytest.fixture
async def notifier(fake: tuple[FakeTelegram, str]) -> AsyncIterator[TelegramNotifier]:
    _, url = fake
    n = TelegramNotifier(
        TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot", timeout_seconds=1.0)
    )
    await n.start()
    try:
        yield n
    finally:
        await n.close()


async def test_correction_and_withdrawal_reply_to_the_original(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(CHAT)
    notifier.messages = MemoryLog()
    await notifier.send_alert(ORIGINAL, str(CHAT))
    await notifier.send_alert(CORRECTION, str(CHAT))
    await notifier.send_alert(replace(ORIGINAL, event="withdrawn", withdrawn=True), str(CHAT))
    first, correction, withdrawal = api.sent_messages(CHAT)
    assert first.reply_to is None
    assert correction.reply_to == first.message_id
    assert withdrawal.reply_to == first.message_id
    assert "4,648억원 → 5,113억원" in correction.text


async def test_a_correction_answers_the_quiet_hours_summary_that_carried_the_original(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    """An alert held through quiet hours went out inside the summary message: its
    correction and withdrawal reply to that message, as they would to the alert."""
    api, _ = fake
    api.add_chat(CHAT)
    notifier.messages = MemoryLog()
    other = replace(ORIGINAL, rcept_no="20260115800004", corp_name="NAVER")
    await notifier.send_held(HeldAlerts((other, ORIGINAL)), str(CHAT))
    await notifier.send_alert(CORRECTION, str(CHAT))
    await notifier.send_alert(replace(other, event="withdrawn", withdrawn=True), str(CHAT))
    summary, correction, withdrawal = api.sent_messages(CHAT)
    assert summary.text.startswith("🌙")
    assert correction.reply_to == summary.message_id
    assert withdrawal.reply_to == summary.message_id


async def test_unknown_thread_sends_unthreaded(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(CHAT)
    notifier.messages = MemoryLog()
    await notifier.send_alert(CORRECTION, str(CHAT))  # the original was never sent here
    (only,) = api.sent_messages(CHAT)
    assert only.reply_to is None


async def test_outbox_message_log(db: Database) -> None:
    async with db.session() as s:
        await outbox.enqueue(
            s,
            [
                outbox.NewDelivery(
                    kind="alert", ref=ORIGINAL.rcept_no, notifier="telegram", destination="7"
                )
            ],
        )
    log = OutboxMessageLog(db)
    assert await log.original(ORIGINAL.rcept_no, "7") is None
    await log.sent(ORIGINAL.rcept_no, "7", 99)
    assert await log.original(ORIGINAL.rcept_no, "7") == 99
    assert await log.original(ORIGINAL.rcept_no, "8") is None
