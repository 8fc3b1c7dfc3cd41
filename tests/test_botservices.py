"""monitor.bot.monitor_services: the bot's view of dartwatch, over a real database and the
bundled timeline — and the real bot answering through it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from monitor.bot.monitor_services import MonitorBotServices
from monitor.kai.matcher import FilingInput, match_filing
from monitor.kai.timeline import bundled_timeline
from notifiers.telegram import TelegramNotifier, TelegramSettings
from storage import outbox
from storage import subscribers as subs
from storage.db import Database
from storage.models import Company, CorpCode, Filing, Match
from testkit.fakes.telegram_api import TOKEN
from testkit.telegram import running_bot

NAVER, LG, SK, OLD_SK = "00266961", "00120021", "00181712", "00144155"


async def _seed(db: Database) -> None:
    timeline = bundled_timeline()
    async with db.session() as s:
        s.add(Company(corp_code=NAVER, corp_name="NAVER", stock_code="035420", aliases=["네이버"]))
        s.add(
            Company(
                corp_code=LG,
                corp_name="LG",
                corp_eng_name="LG Corp.",
                stock_code="003550",
                aliases=["엘지"],
            )
        )
        s.add(CorpCode(corp_code=SK, corp_name="SK", stock_code="034730"))
        s.add(CorpCode(corp_code=OLD_SK, corp_name="SK"))
        s.add(CorpCode(corp_code="00126380", corp_name="삼성전자", stock_code="005930"))
        ai = FilingInput(
            "20260115000123",
            NAVER,
            "NAVER",
            "주요사항보고서(AI 파운데이션 모델 투자 <GPU>)",
            "20260115",
            "035420",
            "NAVER",
        )
        s.add(Filing(**{k: getattr(ai, k) for k in ai.__dataclass_fields__}))
        s.add(match_filing(ai, timeline).to_row())
        s.add(
            Filing(
                rcept_no="20260110000001",
                corp_code=LG,
                corp_name="LG",
                report_nm="임원ㆍ주요주주특정증권등소유상황보고서",
                rcept_dt="20260110",
            )
        )


def services(db: Database) -> MonitorBotServices:
    return MonitorBotServices(db, bundled_timeline(), today=lambda: date(2026, 1, 20))


async def test_companies_carry_teams(sqlite_db: Database) -> None:
    await _seed(sqlite_db)
    companies = {c.corp_code: c for c in await services(sqlite_db).companies()}
    assert set(companies) == {NAVER, LG}
    assert companies[NAVER].aliases == ("네이버",)
    assert companies[LG].name("en") == "LG Corp."
    assert companies[LG].team_ko and companies[LG].team_status in ("active", "eliminated")


async def test_latest_page_by_companies_ai_and_offset(sqlite_db: Database) -> None:
    await _seed(sqlite_db)
    svc = services(sqlite_db)
    everything = await svc.latest_page(None, ai_only=False, offset=0, limit=10)
    assert [a.rcept_no for a in everything] == ["20260115000123", "20260110000001"]
    second = await svc.latest_page(None, ai_only=False, offset=1, limit=10)
    assert [a.rcept_no for a in second] == ["20260110000001"]
    ai = await svc.latest_page(None, ai_only=True, offset=0, limit=10)
    assert [a.rcept_no for a in ai] == ["20260115000123"]
    lg = await svc.latest_page([LG], ai_only=False, offset=0, limit=10)
    assert [a.corp_code for a in lg] == [LG]


async def test_can_follow_counts_watched_and_followed(sqlite_db: Database) -> None:
    await _seed(sqlite_db)
    svc = MonitorBotServices(sqlite_db, bundled_timeline(), max_watched=3)
    async with sqlite_db.session() as s:
        sub = await subs.get_or_create(s, 1)
        assert sub.id is not None
        await subs.subscribe(s, sub.id, ["00126380"])
    # 2 watched + 1 followed = 3 polled: no room for a fourth, but those stay open.
    assert not await svc.can_follow("00164742")
    assert await svc.can_follow(NAVER) and await svc.can_follow("00126380")
    svc.max_watched = 4
    assert await svc.can_follow("00164742")


async def test_resolve_beyond_the_watchlist(sqlite_db: Database) -> None:
    await _seed(sqlite_db)
    svc = services(sqlite_db)
    assert (await svc.resolve("005930")).name == "삼성전자"
    sk = await svc.resolve("SK")
    assert sk.corp_code is None and {c for c, _ in sk.candidates} == {SK, OLD_SK}
    assert await svc.resolve("없는회사") == type(sk)()


async def test_latest_timeline_and_stats(sqlite_db: Database) -> None:
    await _seed(sqlite_db)
    svc = services(sqlite_db)
    latest = await svc.latest(None, 5)
    assert [a.rcept_no for a in latest] == ["20260115000123", "20260110000001"]
    assert latest[0].relevance > 0 and latest[0].reasons
    assert [a.corp_code for a in await svc.latest(LG, 5)] == [LG]
    ko, en = await svc.timeline_text("ko"), await svc.timeline_text("en")
    assert "2026-01-20" in ko and ko != en
    figures = await svc.stats()
    assert figures["deliveries_pending"] == 0 and "dart_requests_today" in figures


async def test_broadcast_queues_one_row_per_active_chat(sqlite_db: Database) -> None:
    woke: list[bool] = []
    svc = MonitorBotServices(sqlite_db, bundled_timeline(), on_queued=lambda: woke.append(True))
    async with sqlite_db.session() as s:
        for chat in (1, 2, 3):
            await subs.get_or_create(s, chat)
        gone = await subs.get_or_create(s, 4)
        assert gone.id is not None
        await subs.deactivate(s, gone.id, "blocked")
    assert await svc.broadcast("점검 안내") == 3
    rows = await outbox.list_by_status(sqlite_db, ["pending"])
    assert sorted(r.destination for r in rows) == ["1", "2", "3"]
    assert {r.kind for r in rows} == {"broadcast"} and rows[0].payload == {"text": "점검 안내"}
    assert woke == [True]


async def test_real_bot_over_real_services(sqlite_db: Database) -> None:
    await _seed(sqlite_db)
    async with running_bot(sqlite_db, services=services(sqlite_db)) as env:  # type: ignore[arg-type]
        [companies] = await env.say(5, "/companies")
        assert "NAVER (035420)" in companies.text and "LG (003550)" in companies.text
        [latest] = await env.say(5, "/latest 네이버")
        assert "주요사항보고서(AI 파운데이션 모델 투자 <GPU>)" in latest.text
        [timeline] = await env.say(5, "/timeline")
        assert "2026-01-20" in timeline.text
        [sub] = await env.say(5, "/subscribe 삼성전자 엘지")
        assert "구독했습니다: LG" in sub.text and "삼성전자를 구독했습니다" in sub.text


async def test_record_checks_then_writes_and_hands_over_the_new_timeline(
    sqlite_db: Database, tmp_path: Path
) -> None:
    from monitor.bot.services import RecordRequest
    from monitor.kai.timeline import Timeline
    from monitor.kai.timeline.queries import team_standing

    late = FilingInput(
        "20261120000321", "00159023", "SK텔레콤", "타법인주식및출자증권취득결정(AI 데이터센터)",
        "20261120", "017670", "SK텔레콤",
    )  # fmt: skip
    async with sqlite_db.session() as s:
        s.add(Filing(**{k: getattr(late, k) for k in late.__dataclass_fields__}))
        s.add(match_filing(late, bundled_timeline()).to_row())
    handed: list[Timeline] = []
    path = tmp_path / "mine.toml"
    svc = MonitorBotServices(
        sqlite_db,
        bundled_timeline(),
        today=lambda: date(2026, 11, 30),
        timeline_file=path,
        on_timeline=handed.append,
    )
    good = RecordRequest(
        "stage2-result", "PLACEHOLDER", (("skt", "advanced"),), ("https://example.com/p",),
        date(2026, 8, 7),
    )  # fmt: skip
    check = await svc.check_record(good, "ko")
    assert (
        not check.errors and "2차 평가" in check.preview and "SK텔레콤: advanced" in check.preview
    )
    assert not path.exists()  # checking writes nothing
    for bad, words in (
        (RecordRequest("stage9", "x", (), ("https://e.com",)), "unknown milestone 'stage9'"),
        (RecordRequest("stage2-result", "x", (("kt", "advanced"),), ("https://e.com",)), "'kt'"),
        (RecordRequest("stage2-result", "x", (("lg", "won"),), ("https://e.com",)), "lg=won"),
        (RecordRequest("stage2-result", "x", (), ("ftp://e.com",)), "http(s) URL"),
        (RecordRequest("stage2-result", "x", (), ("https://e.com",), date(2027, 1, 1)), "future"),
    ):
        errors = (await svc.check_record(bad, "en")).errors
        assert errors and any(words in e for e in errors), (bad, errors)
    summary = await svc.write_record(good, "ko")
    assert "re-matched 1 changed" in summary and path.exists()
    [new] = handed
    assert svc.timeline is new and new.version.startswith("custom-")
    standing = team_standing(new, "skt", date(2026, 11, 30))
    assert standing is not None and standing.status == "active"
    async with sqlite_db.session() as s:
        row = await s.get(Match, "20261120000321")
    assert row is not None and row.detail["team_status"] == "active"
    unset = MonitorBotServices(sqlite_db, bundled_timeline())
    assert "TIMELINE_FILE is not set on the server" in (await unset.check_record(good, "en")).errors


async def test_an_alerts_why_button_is_answered_from_the_database(sqlite_db: Database) -> None:
    await _seed(sqlite_db)
    svc = services(sqlite_db)
    alert = await svc.filing_alert("20260115000123")
    assert alert is not None and alert.corp_name == "NAVER" and alert.reasons
    withdrawn = await svc.filing_alert("20260115000123", "withdrawn")
    assert withdrawn is not None and withdrawn.event == "withdrawn"
    assert await svc.filing_alert("20260115999999") is None
    async with running_bot(sqlite_db, services=svc) as env:  # type: ignore[arg-type]
        env.api.add_chat(6)
        notifier = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{env.url}/bot"))
        try:
            await notifier.send_alert(alert, "6")
        finally:
            await notifier.close()
        [msg] = env.api.sent_messages(6)
        assert "  • " not in msg.text
        qid = env.api.callback(6, "al:why:20260115000123:n0", message=msg)
        await env.api.wait_answered(qid)
        [same] = env.api.sent_messages(6)
        top = alert.top_reasons(1)[0]
        assert f"  • {top.points:+d} {top.ko}" in same.text
