"""TelegramNotifier against the local fake Bot API over loopback (the real PTB client)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from monitor.core.loopback import serve_in_thread
from notifiers.base import (
    Alert,
    DestinationGone,
    DestinationMoved,
    DigestMessage,
    HeldAlerts,
    MilestoneRef,
    NotifierConfigError,
    PermanentError,
    Reason,
    TransientError,
)
from notifiers.telegram import TelegramNotifier, TelegramSettings
from notifiers.telegram_format import utf16_len
from testkit.fakes.telegram_api import TOKEN, FakeTelegram, Fault, parse_html


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


NASTY = 'R&D <script>alert("x")</script> & "quotes" \'single\' <b>not bold</b> a<b c>d &amp;'


def nasty_alert(**kw: object) -> Alert:
    base: dict[str, object] = dict(
        rcept_no="20260115000123",
        corp_code="00266961",
        corp_name="NAVER <주>",
        report_nm=NASTY,
        rcept_dt="20260115",
        flr_nm="네이버 & Co <ltd>",
        category="major_event",
        category_ko="주요사항보고",
        category_en="Major event",
        correction=True,
        team="Naver Cloud",
        team_ko="네이버클라우드",
        role="lead parent",
        role_ko="주관사 모회사",
        team_status="eliminated",
        phase="1st evaluation",
        phase_ko="1차 평가",
        milestone_before=MilestoneRef("2026-01-15", "1차 평가 <결과>", "1st result <x>", -3, True),
        milestone_after=MilestoneRef("2026-07", "2차 평가", "2nd evaluation", 170),
        relevance=85,
        ai_related=True,
        reasons=(
            Reason(40, "제목에 AI 용어 '파운데이션 모델' & <GPU>", "AI term & <GPU> in title"),
            Reason(25, "주요사항보고", "major event"),
            Reason(20, "평가 발표 3일 후", "3 days after the evaluation"),
            Reason(-5, "탈락 팀", "eliminated team"),
        ),
    )
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


async def test_nasty_alert_is_accepted_and_rendered_as_text(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1001)
    await notifier.send_alert(nasty_alert(), "1001", lang="ko")
    [msg] = api.sent_messages(1001)
    # The fake parsed the HTML like Telegram: dynamic text arrives verbatim, not as tags.
    assert NASTY in msg.text
    assert msg.text.startswith("✏️ NAVER <주> · [정정] R&D <script>")
    assert {e["type"] for e in msg.entities} == {"bold"}
    # The phone layout: what happened, one K-AI line, the relevance; no link, no reasons.
    lines = msg.text.split("\n")
    assert lines[1] == "🇰🇷 네이버클라우드 · 탈락 · 직전: 1차 평가 <결과> (2026-01-15, 3일 전)"
    assert lines[2:] == ["📊 AI 관련도 85/100"]
    assert "dart.fss.or.kr" not in msg.text and "+40" not in msg.text
    dart, why, mute = msg.buttons()
    assert dart["url"] == "https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20260115000123"
    assert why == {"text": "❓ 왜?", "callback_data": "al:why:20260115000123:n0"}
    assert mute == {"text": "🔕 알림 끄기", "callback_data": "al:mute:20260115000123:n0"}


async def test_english_alert(fake: tuple[FakeTelegram, str], notifier: TelegramNotifier) -> None:
    api, _ = fake
    api.add_chat(1002)
    await notifier.send_alert(nasty_alert(), "1002", lang="en")
    [msg] = api.sent_messages(1002)
    assert "[Correction]" in msg.text and "Naver Cloud" in msg.text
    assert "last: 1st result <x> (2026-01-15, 3 days before)" in msg.text
    assert [b["text"] for b in msg.buttons()] == ["View on DART", "❓ Why?", "🔕 Mute"]


async def test_held_alerts_arrive_as_one_summary(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1004)
    alerts = tuple(
        nasty_alert(rcept_no=f"2026011500012{i}", corp_name=f"기업{i}", correction=False)
        for i in range(3)
    )
    await notifier.send_held(HeldAlerts(alerts), "1004", lang="ko", silent=True)
    [msg] = api.sent_messages(1004)
    lines = msg.text.split("\n")
    assert lines[0] == "🌙 방해 금지 시간 동안 온 공시 3건"
    assert [line.split(" · ")[0] for line in lines[1:]] == [
        "1. 🔔 기업0",
        "2. 🔔 기업1",
        "3. 🔔 기업2",
    ]
    assert all(NASTY in line for line in lines[1:])
    assert [(b["text"], b["url"][-14:]) for b in msg.buttons()] == [
        (f"{i + 1} · 기업{i}", f"2026011500012{i}") for i in range(3)
    ]
    assert msg.disable_notification


async def test_huge_alert_is_cut_under_the_limit(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1003)
    reasons = tuple(Reason(1, "<&>" * 900, "<&>" * 900) for _ in range(10))
    alert = nasty_alert(report_nm="공시 & <제목> " * 600, reasons=reasons)
    await notifier.send_alert(alert, "1003")
    [msg] = api.sent_messages(1003)
    assert utf16_len(msg.text) <= 4096
    assert msg.buttons()[0]["url"].endswith("20260115000123")


async def test_blocked_user_is_destination_gone(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1004)
    api.block(1004)
    with pytest.raises(DestinationGone, match="blocked by the user"):
        await notifier.send_alert(nasty_alert(), "1004")


async def test_unknown_chat_is_destination_gone(notifier: TelegramNotifier) -> None:
    with pytest.raises(DestinationGone, match=r"(?i)chat not found"):
        await notifier.send_text("hello", "424242")


async def test_migrated_group_is_destination_moved(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(-500, "group")
    api.migrate(-500, -1009000)
    with pytest.raises(DestinationMoved) as info:
        await notifier.send_alert(nasty_alert(), "-500")
    assert info.value.new_destination == "-1009000"
    await notifier.send_alert(nasty_alert(), info.value.new_destination)
    assert len(api.sent_messages(-1009000)) == 1


async def test_flood_is_transient_with_retry_after(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1005)
    # Four messages at once to one private chat: the burst allowance is three.
    for _ in range(3):
        await notifier.send_text("hi", "1005")
    with pytest.raises(TransientError) as info:
        await notifier.send_text("hi", "1005")
    assert info.value.retry_after is not None and info.value.retry_after >= 1
    assert api.throttled == 1


async def test_scripted_429_5xx_and_bad_request(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1006)
    api.inject(
        Fault(429, "Too Many Requests: retry after 2", {"retry_after": 2}, method="sendMessage")
    )
    with pytest.raises(TransientError) as info:
        await notifier.send_text("x", "1006")
    assert info.value.retry_after == 2
    api.inject(Fault(500, "Internal Server Error", method="sendMessage"))
    started = time.monotonic()
    with pytest.raises(TransientError):
        await notifier.send_text("x", "1006")
    assert time.monotonic() - started >= 1.9  # the notifier honoured retry_after itself
    api.down_for(0.3)
    with pytest.raises(TransientError, match="Bad Gateway"):
        await notifier.send_text("x", "1006")
    await asyncio.sleep(0.35)
    api.inject(Fault(400, "Bad Request: message is too long", method="sendMessage"))
    with pytest.raises(PermanentError) as perm:
        await notifier.send_text("x", "1006")
    assert not isinstance(perm.value, DestinationGone)


async def test_timeout_is_transient(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1007)
    api.slow(2.0, "sendMessage")
    with pytest.raises(TransientError, match="TimedOut"):
        await notifier.send_text("x", "1007")
    api.slow(0)


async def test_digest_and_text_are_split_into_parts(
    fake: tuple[FakeTelegram, str], notifier: TelegramNotifier
) -> None:
    api, _ = fake
    api.add_chat(1008)
    body = "\n\n".join(f"<섹션 {i}> " + "가" * 1500 for i in range(4))
    digest = DigestMessage(
        date="2026-01-15", lang="ko", subject="s", text=body, markdown="", html="", json="{}"
    )
    await notifier.send_digest(digest, "1008")
    msgs = api.sent_messages(1008)
    assert len(msgs) >= 2 and all(utf16_len(m.text) <= 4096 for m in msgs)
    assert "".join(m.text for m in msgs).replace("\n", "") == body.replace("\n", "")
    times = api.send_times(1008)
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))


async def test_group_interval_and_bad_destination(notifier: TelegramNotifier) -> None:
    assert notifier.min_interval_for("-1001") == 3.0
    assert notifier.min_interval_for("@channel") == 3.0
    assert notifier.min_interval_for("42") == 1.0
    assert TelegramNotifier.per_subscriber and TelegramNotifier.rate_per_second == 30.0
    with pytest.raises(PermanentError, match="not a Telegram chat id"):
        await notifier.send_text("x", "not-a-chat")


def test_missing_token_is_a_config_error() -> None:
    with pytest.raises(NotifierConfigError, match="TELEGRAM_BOT_TOKEN"):
        TelegramNotifier(TelegramSettings())


async def test_token_never_in_logs_or_errors(
    fake: tuple[FakeTelegram, str], caplog: pytest.LogCaptureFixture
) -> None:
    api, url = fake
    caplog.set_level(logging.DEBUG)
    n = TelegramNotifier(
        TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot", timeout_seconds=0.5)
    )
    await n.start()
    api.add_chat(1009)
    api.block(1010)
    errors: list[str] = []
    try:
        await n.send_alert(nasty_alert(), "1009")
        for dest in ("1010", "31337"):
            try:
                await n.send_text("x", dest)
            except Exception as exc:
                errors.append(str(exc))
        api.slow(1.0)
        try:
            await n.send_text("x", "1009")
        except Exception as exc:
            errors.append(str(exc))
        api.slow(0)
    finally:
        await n.close()
    # Nothing at all listening: the connection error text too.
    dead = TelegramNotifier(
        TelegramSettings(bot_token=TOKEN, base_url="http://127.0.0.1:9/bot", timeout_seconds=0.5)
    )
    with pytest.raises(TransientError) as info:
        await dead.send_text("x", "1")
    errors.append(str(info.value))
    assert len(errors) == 4
    assert "/sendMessage" in caplog.text  # httpx did log the requests...
    secret = TOKEN.split(":")[1]
    assert secret not in caplog.text  # ...without the token
    for text in errors:
        assert secret not in text
    for record in caplog.records:
        assert secret not in record.getMessage()


def test_fake_validator_matches_telegram_rules() -> None:
    assert parse_html("<b>x</b> &lt;y&gt; &#x27;") == (
        "x <y> '",
        [{"type": "bold", "offset": 0, "length": 1}],
    )
    for bad in ("a < b", "<br>", "<b>x", "<b>x</i>", "x & y", "&nbsp;", "</b>"):
        with pytest.raises(Exception, match="can't parse entities"):
            parse_html(bad)
