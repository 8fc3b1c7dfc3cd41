"""The RSS fast path: name matching (pure), then the real App (feed reader, poller,
pipeline, dispatcher) against the local OpenDART and its feed, through every feed
fault: each filing stored and alerted exactly once, the fallback visible."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.commands.status import collect
from monitor.fakedart import FakeDart, ManualClock
from monitor.fakedart.feeds import FEED_FAULTS
from monitor.fakedart.model import Company as FakeCompany
from monitor.ingest.fastpath import FALLBACK, OK, build_index, normalize
from monitor.opendart.rss import FeedItem
from monitor.runtime.container import App
from storage import corpcodes, documents, meta
from storage import filings as filings_repo
from storage.db import Database
from storage.matches import get_match
from storage.models import Company, CorpCode, utcnow
from tests.faults.support import Recorder
from tests.helpers.ingest import NOON, WATCHED, running_fake, settings_for

NAVER, LG = "00266961", "00120021"


# ----------------------------------------------------------------------- pure matching
def item(title_name: str, market: str = "유가", filer: str | None = None) -> FeedItem:
    return FeedItem(
        rcept_no="20260115000001",
        market=market,
        corp_name=title_name,
        report_nm="기업설명회(IR)개최(안내공시)",
        flr_nm=filer,
        filed_at=None,
    )


WATCHED_ROWS = [
    Company(corp_code=LG, corp_name="LG", stock_code="003550"),
    Company(corp_code="00261443", corp_name="엔씨소프트", stock_code="036570"),
]


def test_title_name_of_a_watched_listed_company_matches() -> None:
    index = build_index(WATCHED_ROWS, [], [])
    resolved = index.resolve(item("LG"))
    assert (resolved.kind, resolved.corp_codes) == ("watched", (LG,))
    assert index.stock_code(LG) == "003550"


def test_unlisted_namesake_does_not_match_a_listed_watched_company() -> None:
    registry = [CorpCode(corp_code="01999999", corp_name="LG", stock_code=None)]
    index = build_index(WATCHED_ROWS, registry, [])
    assert index.resolve(item("LG", market="기타")).kind == "other"
    assert index.resolve(item("LG")).kind == "watched"


def test_unlisted_namesake_of_an_unlisted_watched_company_makes_the_item_ambiguous() -> None:
    cloud = Company(corp_code="00777272", corp_name="네이버클라우드", stock_code=None)
    registry = [CorpCode(corp_code="01888888", corp_name="네이버클라우드", stock_code=" ")]
    resolved = build_index([*WATCHED_ROWS, cloud], registry, []).resolve(
        item("네이버클라우드", market="기타")
    )
    assert (resolved.kind, resolved.corp_codes) == ("ambiguous", ("00777272",))


def test_delisted_namesake_with_a_stock_code_does_not_block_a_listed_match() -> None:
    # corpCode keeps stock codes of delisted companies (SK's pre-2015 namesake).
    registry = [CorpCode(corp_code="00144155", corp_name="LG", stock_code="003600")]
    assert build_index(WATCHED_ROWS, registry, []).resolve(item("LG")).kind == "watched"


def test_two_watched_companies_of_one_name_are_ambiguous() -> None:
    twin = Company(corp_code="01777777", corp_name="LG", stock_code="777777")
    resolved = build_index([*WATCHED_ROWS, twin], [], []).resolve(item("LG"))
    assert (resolved.kind, resolved.corp_codes) == ("ambiguous", (LG, "01777777"))


def test_filer_never_decides_whose_filing_it_is() -> None:
    index = build_index(WATCHED_ROWS, [], [])
    assert index.resolve(item("삼성전자", filer="LG")).kind == "other"
    assert index.resolve(item("LG", filer="국민연금공단")).kind == "watched"


def test_names_list_json_used_count_too_and_compare_loosely() -> None:
    index = build_index(WATCHED_ROWS, [], [("00261443", "NC"), ("99999999", "남의회사")])
    assert index.resolve(item("NC")).corp_codes == ("00261443",)
    assert index.resolve(item("남의회사")).kind == "other"
    assert normalize("ＬＧ 전자") == normalize("lg전자")


# ----------------------------------------------------------------------- the real App
@dataclass
class FeedRig:
    fake: FakeDart
    clock: ManualClock
    app: App
    recorder: Recorder
    db: Database

    async def feed(self) -> Any:
        check = await self.app.feed_and_process()
        await self.app.dispatcher.drain(timeout=20)
        return check

    async def poll(self) -> Any:
        result = await self.app.poll_and_process()
        await self.app.dispatcher.drain(timeout=20)
        return result

    def publish(self, name: str, **options: Any) -> str:
        return self.fake.publish({"corp_code": NAVER, "report_nm": name}, **options).rcept_no

    async def check_once(self, expected: set[str]) -> None:
        """Each expected filing stored once and alerted exactly once; nothing else."""
        stored = {f.rcept_no for f in await filings_repo.list_filings(self.db)}
        assert expected <= stored, f"lost: {sorted(expected - stored)}"
        alerts = self.recorder.new_alerts()
        assert set(alerts) == stored, f"not alerted: {sorted(stored - set(alerts))}"
        assert max(alerts.values(), default=1) == 1, f"alerted twice: {alerts.most_common(3)}"


@contextlib.asynccontextmanager
async def feed_rig(
    db_url: str, notifiers: dict[str, Any] | None = None, **extra: Any
) -> AsyncIterator[FeedRig]:
    clock = ManualClock(NOON)
    with running_fake(clock=clock, dataset=False, noise_per_day=40, slow_seconds=3.0) as (
        fake,
        url,
    ):
        values: dict[str, Any] = {
            "DART_RSS_URL": f"{url}/todayRSS.xml",
            "DART_MAX_RETRIES": 0,
            "DOCUMENT_TIMEOUT_SECONDS": 2,
        }
        settings = settings_for(url, db_url, **(values | extra))
        recorder = Recorder()
        app = App(settings, notifiers={"recorder": recorder, **(notifiers or {})}, clock=clock)
        await app.start()
        try:
            await app.poll_and_process()  # the start: watchlist stored, nothing to alert
            yield FeedRig(fake, clock, app, recorder, app.db)
        finally:
            await app.close()


async def test_feed_filing_is_alerted_at_once_and_reconciled_when_list_json_lists_it(
    db_url: str,
) -> None:
    async with feed_rig(db_url) as rig:
        rig.clock.advance(61)
        rcept_no = rig.publish(
            "주요사항보고서(자기주식취득결정)",
            visible_at=rig.clock() + timedelta(minutes=5),
            feed_at=rig.clock(),
        )
        before = rig.fake.count("list.json")
        check = await rig.feed()
        assert check.new == [rcept_no]
        assert rig.recorder.new_alerts()[rcept_no] == 1  # from the feed alone
        # One list.json call for NAVER was spent to confirm (the row is late: not yet).
        assert rig.fake.count("list.json") == before + 1
        stored = await filings_repo.get(rig.db, rcept_no)
        assert stored is not None and stored.source == "rss" and stored.listed_at is None
        assert stored.filed_at is not None
        assert stored.filed_at.replace(tzinfo=UTC) == datetime(2026, 1, 15, 3, 1, tzinfo=UTC)
        assert stored.first_seen_at is not None
        async with rig.db.session() as session:
            # Its document is not published yet: that 014 is not cached as final.
            assert await documents.get_document(session, rcept_no) is None
        rig.clock.advance(400)
        await rig.poll()
        listed = await filings_repo.get(rig.db, rcept_no)
        assert listed is not None and listed.listed_at is not None
        assert listed.rm == rig.fake.visible_rows([NAVER])[0]["rm"] != ""
        assert listed.filed_at is not None  # the feed's time survives list.json's row
        async with rig.db.session() as session:
            # Listed now: its document was read and the stored match uses the body.
            match = await get_match(session, rcept_no)
            assert match is not None and match.body_used
            assert await documents.get_document(session, rcept_no) is not None
        await rig.feed()
        await rig.check_once({rcept_no})


async def test_list_json_first_then_feed_fills_the_filing_time_without_a_second_alert(
    db_url: str,
) -> None:
    async with feed_rig(db_url) as rig:
        rig.fake.freeze_feed()
        rig.clock.advance(30)
        rcept_no = rig.publish("기업설명회(IR)개최(안내공시)")
        await rig.poll()
        assert rig.recorder.new_alerts()[rcept_no] == 1
        rig.fake.thaw_feed()
        check = await rig.feed()
        assert check.new == []
        stored = await filings_repo.get(rig.db, rcept_no)
        assert stored is not None and stored.source == "poll" and stored.filed_at is not None
        await rig.check_once({rcept_no})


async def test_item_whose_row_never_comes_is_alerted_once_and_shown_unconfirmed(
    sqlite_url: str,
) -> None:
    async with feed_rig(sqlite_url) as rig:
        rcept_no = rig.publish("기타경영사항(자율공시)", listed=False)
        await rig.feed()
        for _ in range(3):
            rig.clock.advance(120)
            await rig.poll()
            await rig.feed()
        unconfirmed = await filings_repo.unlisted_feed_filings(rig.db, utcnow())
        assert [f.rcept_no for f in unconfirmed] == [rcept_no]
        await rig.check_once({rcept_no})


async def test_filing_the_feed_misses_is_caught_by_list_json(sqlite_url: str) -> None:
    async with feed_rig(sqlite_url) as rig:
        rcept_no = rig.publish("공정공시", in_feed=False)
        assert (await rig.feed()).new == []
        await rig.poll()
        await rig.check_once({rcept_no})
        assert rig.app.fastpath.healthy


async def test_items_out_of_order_are_all_alerted_once(sqlite_url: str) -> None:
    async with feed_rig(sqlite_url) as rig:
        rig.fake.set_feed_order("shuffled")
        expected = set()
        for i, code in enumerate(WATCHED * 2):
            row = rig.fake.publish(
                {"corp_code": code, "report_nm": f"기업설명회(IR)개최(안내공시) {i}"},
                rig.clock() - timedelta(seconds=10 * i),
            )
            expected.add(row.rcept_no)
        check = await rig.feed()
        assert set(check.new) == expected
        await rig.poll()
        await rig.feed()
        await rig.check_once(expected)


async def test_unlisted_namesake_of_a_listed_watched_company_is_never_alerted(
    sqlite_url: str,
) -> None:
    async with feed_rig(sqlite_url) as rig:
        rig.fake.add_company(FakeCompany(corp_code="01999999", corp_name="LG", corp_cls="E"))
        other = rig.fake.publish({"corp_code": "01999999", "report_nm": "감사보고서제출"})
        mine = rig.fake.publish({"corp_code": LG, "report_nm": "기업설명회(IR)개최(안내공시)"})
        assert (await rig.feed()).new == [mine.rcept_no]
        await rig.poll()
        assert await filings_repo.get(rig.db, other.rcept_no) is None
        await rig.check_once({mine.rcept_no})


async def test_ambiguous_unlisted_name_is_decided_by_one_list_json_call(
    sqlite_url: str, tmp_path: Path
) -> None:
    cloud, twin = "00777272", "01888888"
    watchlist = tmp_path / "watch.toml"
    watchlist.write_text(
        f'schema = 1\n[[company]]\ncorp_code = "{cloud}"\nname = "네이버클라우드"\n',
        encoding="utf-8",
    )
    async with feed_rig(sqlite_url, WATCHLIST_FILE=str(watchlist)) as rig:
        rig.fake.add_company(FakeCompany(corp_code=twin, corp_name="네이버클라우드", corp_cls="E"))
        await corpcodes.replace_all(
            rig.db,
            [
                {"corp_code": cloud, "corp_name": "네이버클라우드", "stock_code": None},
                {"corp_code": twin, "corp_name": "네이버클라우드", "stock_code": None},
            ],
        )
        await rig.app.fastpath.index(refresh=True)
        theirs = rig.fake.publish({"corp_code": twin, "report_nm": "감사보고서제출"})
        before = rig.fake.count("list.json")
        check = await rig.feed()
        assert check.new == [] and check.ambiguous == 1 and check.confirm == {cloud}
        assert rig.fake.count("list.json") == before + 1  # the twin's: not ours
        assert await filings_repo.get(rig.db, theirs.rcept_no) is None
        rig.clock.advance(10)
        ours = rig.fake.publish({"corp_code": cloud, "report_nm": "감사보고서제출"})
        await rig.feed()
        assert rig.recorder.new_alerts()[ours.rcept_no] == 1  # found by the confirmation
        calls = rig.fake.count("list.json")
        await rig.feed()  # asked once per item: no further list.json call
        assert rig.fake.count("list.json") == calls
        await rig.poll()
        await rig.check_once({ours.rcept_no})


@pytest.mark.parametrize("kind", FEED_FAULTS)
async def test_feed_fault_falls_back_to_list_json_loudly_and_recovers(
    sqlite_url: str, kind: str
) -> None:
    async with feed_rig(sqlite_url, POLL_INTERVAL_SECONDS=30, RSS_POLL_SECONDS=3) as rig:
        app = rig.app
        assert app.list_poll_interval() == 30  # until the feed has answered once
        await rig.feed()
        assert app.list_poll_interval() == 90  # the slow safety net while the feed is fine
        rig.fake.inject_feed(kind, count=1000, seconds=6.0)
        during = rig.publish(f"기업설명회(IR)개최(안내공시) during {kind}")
        for _ in range(3):
            check = await rig.feed()
            assert check.new == [] and check.error
        assert app.fastpath.health.state == FALLBACK
        assert app.metrics.feed_fallback._value.get() == 1
        assert app.list_poll_interval() == 30  # list.json alone, at the fast interval
        saved = json.loads(await meta.get_value(rig.db, "rss.health") or "{}")
        assert saved["state"] == FALLBACK and "feed unreadable" in saved["reason"]
        detection = next(s for s in await collect(app.settings, rig.db) if s.title == "detection")
        assert detection.alert is not None and "RSS fast path off" in detection.alert
        await rig.poll()
        assert rig.recorder.new_alerts()[during] == 1
        rig.fake.clear_feed_faults()
        rig.clock.advance(30)
        after = rig.publish(f"기업설명회(IR)개최(안내공시) after {kind}")
        check = await rig.feed()
        assert check.transition == "recovered" and check.new == [after]
        assert app.fastpath.health.state == OK and app.list_poll_interval() == 90
        assert app.metrics.feed_fallback._value.get() == 0
        await rig.poll()
        await rig.check_once({during, after})


async def test_stale_feed_is_noticed_through_list_json_and_recovers_when_it_moves(
    sqlite_url: str,
) -> None:
    async with feed_rig(sqlite_url) as rig:
        await rig.feed()
        rig.fake.freeze_feed()
        rig.clock.advance(400)
        missed = rig.publish("기업설명회(IR)개최(안내공시) while stale")
        assert (await rig.feed()).new == []  # 200, but frozen
        await rig.poll()
        health = rig.app.fastpath.health
        assert health.state == FALLBACK and health.reason.startswith("feed stale")
        assert rig.app.list_poll_interval() == rig.app.settings.poll_interval_seconds
        await rig.feed()  # still frozen: a 200 alone does not end a stale fallback
        assert health.state == FALLBACK
        rig.fake.thaw_feed()
        rig.clock.advance(30)
        fresh = rig.publish("기업설명회(IR)개최(안내공시) thawed")
        check = await rig.feed()
        assert check.transition == "recovered" and check.new == [fresh]
        await rig.poll()
        await rig.check_once({missed, fresh})


async def test_empty_rss_url_disables_the_fast_path(sqlite_url: str) -> None:
    async with feed_rig(sqlite_url, DART_RSS_URL="") as rig:
        assert rig.app.fastpath is None
        assert rig.app.list_poll_interval() == rig.app.settings.poll_interval_seconds
        assert rig.fake.count("todayRSS.xml") == 0
        detection = next(
            s for s in await collect(rig.app.settings, rig.db) if s.title == "detection"
        )
        items = dict(detection.items)
        assert items["RSS fast path"].startswith("off")
        assert (
            "every 30s" in items["list.json plan"]
            and "5 request(s) each" in items["list.json plan"]
        )


@pytest.mark.parametrize(
    ("companies", "strategy", "healthy_total", "down_total"),
    [(5, "per-company", 3045, 7845), (300, "market-wide", 7028, 18828)],
)
def test_day_plan_keeps_list_json_under_half_the_quota_while_the_feed_works(
    companies: int, strategy: str, healthy_total: int, down_total: int
) -> None:
    from monitor.core.settings import load_settings
    from monitor.ingest.pollplan import day_plan

    settings = load_settings()
    healthy = day_plan(settings, companies, feed_healthy=True)
    assert healthy.strategy == strategy and healthy.active_interval == 90
    # 12.5 market hours every 90 s, 11.5 idle hours every 600 s, plus the confirmations.
    assert healthy.active_polls == 500 and healthy.idle_polls == 69
    assert healthy.total == healthy_total <= 10_000
    down = day_plan(settings, companies, feed_healthy=False)
    assert down.active_interval == 30 and down.total == down_total
    assert "quota" in healthy.explain()


async def test_read_schedule_slows_in_idle_hours_and_backs_off_after_failures(
    sqlite_db: Database,
) -> None:
    from monitor.ingest.fastpath import MAX_BACKOFF_SECONDS, FastPath
    from monitor.opendart.rss import FeedReader

    clock = ManualClock(NOON)  # a Thursday noon, KST: market hours
    fastpath = FastPath(
        sqlite_db, FeedReader("http://127.0.0.1:9/api/todayRSS.xml"), interval=3, clock=clock
    )
    try:
        assert fastpath.wait() == 3
        clock.set(NOON.replace(hour=22))
        assert fastpath.wait() == 6
        clock.set(NOON)
        fastpath.health.failures = 2
        assert fastpath.wait() == 12
        fastpath.health.failures = 10
        assert fastpath.wait() == MAX_BACKOFF_SECONDS
    finally:
        await fastpath.aclose()


async def test_fallback_and_recovery_each_send_one_admin_message(sqlite_url: str) -> None:
    from monitor.core.loopback import serve_in_thread
    from notifiers.telegram import TelegramNotifier, TelegramSettings
    from testkit.fakes.telegram_api import TOKEN, FakeTelegram

    api = FakeTelegram()
    admin = 900001
    api.add_chat(admin, "private")
    with serve_in_thread(api) as url:
        telegram = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot"))
        async with feed_rig(
            sqlite_url,
            notifiers={"telegram": telegram},
            TELEGRAM_BOT_TOKEN=TOKEN,
            ADMIN_CHAT_IDS=str(admin),
        ) as rig:
            await rig.feed()
            rig.fake.inject_feed("blocked", count=1000)
            for _ in range(6):
                await rig.feed()
            [down] = [m.source for m in api.sent_messages(admin)]
            assert "RSS fast path off" in down and "HTTP 403" in down
            rig.fake.clear_feed_faults()
            await rig.feed()
            rig.fake.inject_feed("blocked", count=3)
            for _ in range(4):
                await rig.feed()  # down and back again the same day: no more messages
            texts = [m.source for m in api.sent_messages(admin)]
    assert len(texts) == 2 and "back" in texts[1]


async def test_body_read_after_listing_reaches_the_ai_filter_subscribers_once(
    sqlite_url: str,
) -> None:
    from monitor.core.loopback import serve_in_thread
    from monitor.fakedart import DocumentSpec
    from notifiers.telegram import TelegramNotifier, TelegramSettings
    from storage import subscribers as subs
    from testkit.fakes.telegram_api import TOKEN, FakeTelegram

    api = FakeTelegram()
    investor = 700001
    api.add_chat(investor, "private")
    with serve_in_thread(api) as url:
        telegram = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot"))
        async with feed_rig(
            sqlite_url, notifiers={"telegram": telegram}, TELEGRAM_BOT_TOKEN=TOKEN
        ) as rig:
            async with rig.db.session() as session:
                sub = await subs.get_or_create(session, investor)
                assert sub.id is not None
                await subs.subscribe(session, sub.id, [NAVER])
                await subs.set_filter(session, sub.id, "ai")
            row = rig.fake.publish(
                {"corp_code": NAVER, "report_nm": "기타경영사항(자율공시)"},
                rig.clock() + timedelta(minutes=3),
                feed_at=rig.clock(),
                document=DocumentSpec(text="독자 AI 파운데이션 모델 개발을 위한 GPU 클러스터 확보"),
            )
            await rig.feed()
            assert rig.recorder.new_alerts()[row.rcept_no] == 1
            assert api.sent_messages(investor) == []  # the title alone is not AI-related
            rig.clock.advance(240)
            await rig.poll()
            await rig.poll()
            [message] = api.sent_messages(investor)
            assert message.dart_rcept_no() == row.rcept_no
            await rig.check_once({row.rcept_no})
