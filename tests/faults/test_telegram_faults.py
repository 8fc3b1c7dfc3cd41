"""Telegram faults through the real wiring: ``monitor.runtime.container.App`` builds the
TelegramNotifier (python-telegram-bot) and the dispatcher from settings; the pipeline
fans filings out to subscribers; the fake Bot API on 127.0.0.1 misbehaves. Every alert
reaches every reachable subscriber once Telegram recovers; blocked and unknown chats
are deactivated.

(The notifier's classification of each single error is in
tests/test_telegram_notifier.py; here many messages meet the fault at once.)"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import pytest
from sqlmodel import select

from monitor.core.loopback import serve_in_thread
from monitor.core.settings import load_settings
from monitor.runtime.container import App
from storage import outbox
from storage import subscribers as subs
from storage.models import Delivery, Filing, Subscriber
from testkit.fakes.telegram_api import TOKEN, FakeTelegram, Fault, Limits
from tests.faults.support import WATCHED, assert_logged

pytestmark = pytest.mark.faults

TITLES = ["기타경영사항(자율공시)", "타법인주식및출자증권취득결정", "기업설명회(IR)개최(안내공시)"]


@dataclass
class TgRig:
    app: App
    api: FakeTelegram
    next_no: int = 1

    async def audience(self, chats: Iterable[int]) -> None:
        async with self.app.db.session() as s:
            for chat in chats:
                sub = await subs.get_or_create(
                    s, chat, chat_type="group" if chat < 0 else "private"
                )
                assert sub.id is not None
                await subs.subscribe(s, sub.id, list(WATCHED))

    async def filings(self, n: int) -> list[str]:
        nos = [f"20260115{i:06d}" for i in range(self.next_no, self.next_no + n)]
        self.next_no += n
        async with self.app.db.session() as s:
            for i, rcept_no in enumerate(nos):
                code = WATCHED[i % len(WATCHED)]
                s.add(
                    Filing(
                        rcept_no=rcept_no,
                        corp_code=code,
                        corp_name=f"회사{code}",
                        report_nm=TITLES[i % len(TITLES)],
                        rcept_dt="20260115",
                        flr_nm="공시인",
                    )
                )
        result = await self.app.pipeline.run()
        assert result.matched == n
        return nos

    async def settle(self, timeout: float) -> dict[str, int]:
        """Run the dispatcher loop until no row is pending or in flight (bounded)."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.app.dispatcher.run_forever(stop, idle=0.2))
        deadline = time.monotonic() + timeout
        try:
            while True:
                counts = await outbox.counts(self.app.db)
                if not set(counts) & {"pending", "sending"}:
                    return counts
                if time.monotonic() > deadline:
                    raise AssertionError(f"outbox not settled in {timeout}s: {counts}")
                await asyncio.sleep(0.2)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)

    def alerts(self, chat: int) -> Counter[str]:
        found: Counter[str] = Counter()
        for message in self.api.sent_messages(chat):
            rcept_no = message.dart_rcept_no()
            if rcept_no:
                found[rcept_no] += 1
        return found

    async def subscriber(self, chat: int) -> Subscriber:
        async with self.app.db.session() as s:
            sub = (await s.exec(select(Subscriber).where(Subscriber.chat_id == chat))).one()
        return sub


@contextlib.asynccontextmanager
async def tg_rig(
    db_url: str, *, limits: Limits | None = None, timeout: float = 5.0, **env: str
) -> AsyncIterator[TgRig]:
    """Settings come from the environment, as in production (the notifier reads its
    own ``TELEGRAM_*`` block); the autouse fixture restores it afterwards."""
    api = FakeTelegram(limits=limits)
    with serve_in_thread(api) as url, pytest.MonkeyPatch.context() as mp:
        values = {
            "DATABASE_URL": db_url,
            "NOTIFIERS": "telegram",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": f"{url}/bot",
            "TELEGRAM_TIMEOUT_SECONDS": str(timeout),
            "DOCUMENT_FETCH": "false",
            **env,
        }
        for name, value in values.items():
            mp.setenv(name, value)
        settings = load_settings()
        app = App(settings, with_dart=False)
        await app.start()
        # Seconds instead of the production minutes, so a recovery fits in a test.
        app.dispatcher.backoff_initial = 0.3
        app.dispatcher.backoff_max = 2.0
        try:
            yield TgRig(app, api)
        finally:
            await app.close()


def _assert_each_once(rig: TgRig, chats: Iterable[int], nos: list[str]) -> None:
    for chat in chats:
        got = rig.alerts(chat)
        assert set(got) == set(nos), f"chat {chat}: missing {sorted(set(nos) - set(got))}"
        assert max(got.values()) == 1, f"chat {chat}: duplicates {got.most_common(2)}"


@pytest.mark.slow
async def test_429_storm_with_retry_after(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The fake enforces a tighter overall limit (12/s) than the 30/s the dispatcher
    paces to, and scripted 429s come on top: a storm of retry_after answers. Every
    alert arrives once; 429s never cost a delivery attempt."""
    caplog.set_level(logging.INFO)
    chats = list(range(2001, 2021))
    async with tg_rig(sqlite_url, limits=Limits(overall_per_second=12, overall_burst=3)) as rig:
        for chat in chats:
            rig.api.add_chat(chat)
        await rig.audience(chats)
        nos = await rig.filings(3)
        rig.api.inject(
            Fault(
                429, "Too Many Requests: retry after 1", {"retry_after": 1}, "sendMessage", times=4
            )
        )
        started = time.monotonic()
        counts = await rig.settle(60)
        took = time.monotonic() - started
        _assert_each_once(rig, chats, nos)
        assert counts == {"sent": len(chats) * len(nos)}
        async with rig.app.db.session() as s:
            rows = (await s.exec(select(Delivery))).all()
        assert all(r.attempts == 1 for r in rows), "a 429 was counted as a failed attempt"
        throttled = rig.api.throttled
    print(
        f"\n429 storm: {len(chats) * len(nos)} alerts in {took:.1f}s, {throttled} limiter 429s "
        "+ 4 scripted, duplicates 0"
    )
    assert throttled + 4 >= 5, "the storm did not happen"
    assert_logged(caplog, r"Too Many Requests|retry after|RetryAfter", logging.DEBUG)


async def test_blocked_and_unknown_chats_are_deactivated(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """403 (user blocked the bot, bot kicked from a group) and 400 "chat not found":
    the subscriber is deactivated, its other queued alerts dropped without further
    sends; everyone else gets every alert once."""
    caplog.set_level(logging.INFO)
    good = list(range(3001, 3009))
    blocked, kicked, unknown = 3100, -3200, 3300
    async with tg_rig(sqlite_url, limits=Limits(private_burst=10)) as rig:
        for chat in good:
            rig.api.add_chat(chat)
        rig.api.add_chat(kicked, "group")
        rig.api.block(blocked)
        rig.api.block(kicked)
        await rig.audience([*good, blocked, kicked, unknown])
        nos = await rig.filings(4)
        counts = await rig.settle(60)
        _assert_each_once(rig, good, nos)
        for chat in (blocked, kicked, unknown):
            sub = await rig.subscriber(chat)
            assert not sub.active, chat
            assert sub.deactivated_reason, chat
            sends = [c for c in rig.api.calls("sendMessage") if str(c.get("chat_id")) == str(chat)]
            assert len(sends) == 1, f"chat {chat} was tried {len(sends)} times"
        assert counts == {"sent": len(good) * len(nos), "dropped": 3 * len(nos)}
        # The pipeline stops fanning out to them.
        more = await rig.filings(5)
        assert {r.destination for r in await _rows(rig, more[0])} == {str(c) for c in good}
    assert_logged(caplog, r"destination 3100 is gone .*blocked by the user.*: deactivated")
    assert_logged(caplog, r"destination 3300 is gone .*(?i:chat not found).*: deactivated")
    assert_logged(caplog, r"destination -3200 is gone .*kicked from the group.*: deactivated")


async def _rows(rig: TgRig, ref: str) -> list[Delivery]:
    async with rig.app.db.session() as s:
        return list((await s.exec(select(Delivery).where(Delivery.ref == ref))).all())


@pytest.mark.slow
async def test_5xx_and_timeouts(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """500s, then responses slower than TELEGRAM_TIMEOUT_SECONDS for a while: retried
    until delivered. A timed-out request may still have been delivered by Telegram, so
    a duplicate is possible there (at least once beats lost); they are counted and
    bounded by the number of timed-out requests."""
    caplog.set_level(logging.INFO)
    chats = list(range(4001, 4011))
    async with tg_rig(sqlite_url, timeout=0.5, limits=Limits(private_burst=10)) as rig:
        for chat in chats:
            rig.api.add_chat(chat)
        await rig.audience(chats)
        nos = await rig.filings(3)
        rig.api.inject(Fault(500, "Internal Server Error", method="sendMessage", times=8))
        rig.api.inject(Fault(502, "Bad Gateway", method="sendMessage", times=4))
        assert await rig.settle(60) == {"sent": len(chats) * len(nos)}
        _assert_each_once(rig, chats, nos)  # a 5xx means "not delivered": no duplicate
        nos += await rig.filings(6)
        rig.api.slow(1.0, "sendMessage")
        stop_slow = asyncio.get_running_loop().call_later(3.0, rig.api.slow, 0)
        try:
            counts = await rig.settle(60)
        finally:
            stop_slow.cancel()
            rig.api.slow(0)
        assert counts == {"sent": len(chats) * len(nos)}
        dupes = 0
        for chat in chats:
            got = rig.alerts(chat)
            assert set(got) == set(nos), chat
            dupes += sum(n - 1 for n in got.values())
        timeouts = sum(1 for r in caplog.records if "TimedOut" in r.getMessage())
    print(
        f"\n5xx + timeouts: {len(chats) * len(nos)} alerts, {timeouts} timed-out sends, "
        f"{dupes} duplicates"
    )
    assert timeouts > 0, "no request timed out"
    assert dupes <= timeouts
    assert_logged(
        caplog, r"failed \(attempt 1\), retrying in .*Internal Server Error", logging.WARNING
    )
    assert_logged(caplog, r"TimedOut", logging.WARNING)


@pytest.mark.slow
async def test_bot_api_down_then_back(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """The Bot API answers 502 for a while. The issue asks for a minute; the window here
    is 8 s (the mechanism does not depend on its length: each row backs off up to
    DELIVERY_MAX_ATTEMPTS, set so that the window fits). Every alert arrives once it is
    back, none twice, none dead-lettered."""
    caplog.set_level(logging.INFO)
    chats = list(range(5001, 5016))
    async with tg_rig(
        sqlite_url, limits=Limits(private_burst=10), DELIVERY_MAX_ATTEMPTS="30"
    ) as rig:
        for chat in chats:
            rig.api.add_chat(chat)
        await rig.audience(chats)
        nos = await rig.filings(2)
        rig.api.down_for(8.0)
        started = time.monotonic()
        counts = await rig.settle(60)
        took = time.monotonic() - started
        _assert_each_once(rig, chats, nos)
        assert counts == {"sent": len(chats) * len(nos)}
    print(f"\nBot API down 8 s: all {len(chats) * len(nos)} alerts delivered after {took:.1f}s")
    assert took >= 8.0
    assert_logged(
        caplog,
        r"delivery \d+ to telegram failed \(attempt \d+\), retrying in .*Bad Gateway",
        logging.WARNING,
    )
