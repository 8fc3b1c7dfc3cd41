"""Routing: filings go through the real pipeline and dispatcher to the Telegram notifier
and the fake Bot API; every subscriber gets exactly the alerts of its companies and
filter, once each, in its language."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from monitor.core.loopback import serve_in_thread
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.kai.matcher import FilingInput, match_filing
from monitor.kai.timeline import bundled_timeline
from notifiers.telegram import TelegramNotifier, TelegramSettings
from storage import subscribers as subs
from storage.db import Database
from storage.models import Filing
from testkit.fakes.telegram_api import TOKEN, FakeTelegram

NAVER, LG, NC = "00266961", "00120021", "00261443"

FILINGS = [
    FilingInput(
        "20260115000101",
        NAVER,
        "NAVER",
        "주요사항보고서(AI 파운데이션 모델 GPU 투자)",
        "20260115",
        "035420",
        "NAVER",
    ),
    FilingInput(
        "20260115000102",
        NAVER,
        "NAVER",
        "임원ㆍ주요주주특정증권등소유상황보고서",
        "20260115",
        "035420",
        "홍길동",
    ),
    FilingInput(
        "20260115000103",
        LG,
        "LG",
        "[기재정정]타법인주식및출자증권취득결정",
        "20260115",
        "003550",
        "LG",
    ),
    FilingInput(
        "20260115000104",
        NC,
        "엔씨소프트",
        "기업설명회(IR)개최(안내공시)",
        "20260115",
        "036570",
        "엔씨소프트",
    ),
]

# chat -> (companies, filter, language, active)
AUDIENCE = {
    101: ([NAVER], "all", "ko", True),
    102: ([NAVER], "ai", "en", True),
    103: ([LG, NC], "all", "ko", True),
    104: ([NAVER, LG, NC], "all", "en", False),  # blocked the bot earlier
    105: ([], "all", "ko", True),  # talked to the bot, subscribed to nothing
    -106: ([NAVER, NC], "ai", "ko", True),  # a group
}


async def test_each_subscriber_gets_exactly_its_alerts_once(sqlite_db: Database) -> None:
    timeline = bundled_timeline()
    ai = {f.rcept_no: match_filing(f, timeline).ai_related for f in FILINGS}
    assert any(ai.values()) and not all(ai.values())  # the data exercises the filter
    async with sqlite_db.session() as s:
        for chat, (codes, filt, lang, active) in AUDIENCE.items():
            sub = await subs.get_or_create(
                s, chat, chat_type="group" if chat < 0 else "private", language=lang
            )
            assert sub.id is not None
            await subs.subscribe(s, sub.id, codes)
            await subs.set_filter(s, sub.id, filt)
            if not active:
                await subs.deactivate(s, sub.id, "blocked")
        for f in FILINGS:
            s.add(Filing(**{k: getattr(f, k) for k in f.__dataclass_fields__}))
    api = FakeTelegram()
    for chat in AUDIENCE:
        api.add_chat(chat)
    with serve_in_thread(api) as url:
        notifier = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot"))
        await notifier.start()
        try:
            pipeline = Pipeline(
                sqlite_db,
                timeline,
                {"telegram": notifier},
                body_policy=BodyPolicy(enabled=False),
            )
            result = await pipeline.run(now=datetime(2026, 1, 15, 3, 0, tzinfo=UTC))
            assert result.matched == len(FILINGS)
            again = await pipeline.run()  # a second run fans nothing out twice
            assert again.deliveries == 0
            dispatcher = Dispatcher(
                sqlite_db, {"telegram": notifier}, PayloadResolver(sqlite_db), worker_id="t"
            )
            await dispatcher.drain(timeout=30)
        finally:
            await notifier.close()
    assert api.throttled == 0
    for chat, (codes, filt, lang, active) in AUDIENCE.items():
        expected = {
            f.rcept_no
            for f in FILINGS
            if active and f.corp_code in codes and (filt == "all" or ai[f.rcept_no])
        }
        msgs = api.sent_messages(chat)
        got = Counter(m.dart_rcept_no() for m in msgs)
        assert set(got) == expected, chat
        assert all(n == 1 for n in got.values()), chat
        marker = "AI relevance" if lang == "en" else "AI 관련도"
        assert all(marker in m.text for m in msgs), chat
