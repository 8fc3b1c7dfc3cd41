"""A company a chat follows beyond the watchlist is polled (local OpenDART), matched and
alerted (fake Bot API) while someone follows it, and no longer polled once nobody does;
MAX_WATCHED_COMPANIES bounds what is added."""

from __future__ import annotations

from monitor.core.loopback import serve_in_thread
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.fakedart import ManualClock
from monitor.ingest.poller import PER_COMPANY, Poller
from monitor.kai.timeline import bundled_timeline
from notifiers.telegram import TelegramNotifier, TelegramSettings
from storage import subscribers as subs
from storage.db import Database
from storage.matches import get_match
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.helpers.ingest import NOON, WATCHED, budgeted_client, running_fake, settings_for

SAMSUNG, HYUNDAI = "00126380", "00164742"
CHAT = 501


async def test_followed_company_is_polled_alerted_and_dropped(db: Database) -> None:
    clock = ManualClock(NOON)
    api = FakeTelegram()
    api.add_chat(CHAT)
    with running_fake(clock=clock, dataset=False) as (fake, url), serve_in_thread(api) as tg:
        settings = settings_for(url, db.url)
        row = {"corp_code": SAMSUNG, "corp_name": "삼성전자", "stock_code": "005930"}
        first = fake.publish({**row, "report_nm": "현금ㆍ현물배당결정"})
        async with db.session() as s:
            sub = await subs.get_or_create(s, CHAT)
            assert sub.id is not None
            await subs.subscribe(s, sub.id, [SAMSUNG])
        notifier = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{tg}/bot"))
        await notifier.start()
        try:
            async with budgeted_client(settings, db) as client:
                poller = Poller(settings, db, client, clock=clock)
                polled = await poller.poll()
                pipeline = Pipeline(
                    db, bundled_timeline(), {"telegram": notifier}, body_policy=BodyPolicy(False)
                )
                await pipeline.run()
                dispatcher = Dispatcher(
                    db, {"telegram": notifier}, PayloadResolver(db), worker_id="t"
                )
                await dispatcher.drain(timeout=30)
                # Nobody follows it any more: the next poll leaves it out.
                async with db.session() as s:
                    await subs.unsubscribe(s, sub.id, [SAMSUNG])
                clock.advance(60)
                second = fake.publish({**row, "report_nm": "자기주식취득결정"})
                after = await poller.poll()
        finally:
            await notifier.close()
    assert polled.ok and polled.strategy == PER_COMPANY
    assert polled.requests == len(WATCHED) + 1 and polled.new == [first.rcept_no]
    async with db.session() as s:
        match = await get_match(s, first.rcept_no)
    assert match is not None and match.team is None  # no K-AI team, still a category
    assert match.category != "other"
    [alert] = api.sent_messages(CHAT)
    assert alert.dart_rcept_no() == first.rcept_no and "삼성전자" in alert.text
    assert "K-AI" not in alert.text and "다음 일정" not in alert.text  # no team: no timeline
    assert after.ok and after.requests == len(WATCHED) and second.rcept_no not in after.new


async def test_followed_companies_are_bounded(db: Database) -> None:
    with running_fake(dataset=False) as (_, url):
        settings = settings_for(url, db.url, MAX_WATCHED_COMPANIES=6)
        async with db.session() as s:
            for chat, code in ((601, SAMSUNG), (602, HYUNDAI), (603, WATCHED[0])):
                sub = await subs.get_or_create(s, chat)
                assert sub.id is not None
                await subs.subscribe(s, sub.id, [code])
            gone = await subs.get_or_create(s, 604)
            assert gone.id is not None
            await subs.subscribe(s, gone.id, ["00999999"])
            await subs.deactivate(s, gone.id, "blocked")  # inactive chats follow nothing
        async with budgeted_client(settings, db) as client:
            poller = Poller(settings, db, client)
            codes = await poller.with_followed(list(WATCHED))
    # Sorted by corp code, the first extra fits and the second does not.
    assert codes == [*WATCHED, SAMSUNG]
