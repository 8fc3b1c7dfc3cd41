"""An alert's buttons, pressed: "왜?" expands and folds the message in place, 🔕 mutes
the company for a chosen time and 🔔 undoes it; forged or stale data changes nothing.

The alert is sent by the real notifier, and the presses reach the real bot through the
fake Bot API: the bot never saw the alert, so every answer is rebuilt from what the
press names (as after a restart)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from notifiers.base import Alert, MilestoneRef, Reason
from notifiers.telegram import TelegramNotifier, TelegramSettings
from notifiers.telegram_buttons import AlertKey, changes_settings, parse
from storage import subscribers as subs
from storage.db import Database
from testkit.fakes.telegram_api import TOKEN, SentMessage
from testkit.telegram import NC, BotEnv, running_bot

RCEPT = "20260115000321"
EXPIRED = "이 버튼은 더 이상 쓸 수 없습니다."

ALERT = Alert(
    rcept_no=RCEPT,
    corp_code=NC,
    corp_name="엔씨소프트",
    report_nm="타법인주식및출자증권취득결정",
    rcept_dt="20260115",
    flr_nm="엔씨소프트",
    category_ko="투자·지분 취득",
    category_en="Investment",
    team="NC AI",
    team_ko="NC AI",
    team_status="eliminated",
    milestone_after=MilestoneRef("2026-08", "2차 평가", "Stage-2 evaluation", 30, key=True),
    relevance=64,
    reasons=(
        Reason(30, "제목의 AI 관련어: AI", "AI terms in the title: AI"),
        Reason(20, "공시 유형: 투자·지분 취득", "Filing type: investment"),
        Reason(10, "NC AI 팀 (탈락)", "NC AI team (eliminated)"),
        Reason(4, "본문의 AI 관련어", "AI terms in the body"),
    ),
    summary="AI 스타트업 지분 20% 취득 · 300억원",
    summary_en="20% stake in an AI start-up · KRW 30bn",
)


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    async with running_bot(sqlite_db) as env:
        env.services.alerts = [ALERT]
        yield env


async def send_alert(env: BotEnv, chat_id: int, lang: str = "ko") -> SentMessage:
    """The alert as the dispatcher sends it (the notifier, not the bot)."""
    env.api.add_chat(chat_id)
    notifier = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{env.url}/bot"))
    try:
        await notifier.send_alert(ALERT, str(chat_id), lang=lang)
    finally:
        await notifier.close()
    return env.api.sent_messages(chat_id)[-1]


async def press(env: BotEnv, user: int, msg: SentMessage, data: str, **kw: object) -> str:
    """Press a button of *msg*; return the toast."""
    qid = env.api.callback(user, data, message=msg, **kw)  # type: ignore[arg-type]
    answer = await env.api.wait_answered(qid)
    return str(answer["text"])


async def until(check: Callable[[], bool]) -> None:
    """The keyboard is edited after the toast: wait for it."""
    deadline = time.monotonic() + 5
    while not check():
        assert time.monotonic() < deadline, "message not updated"
        await asyncio.sleep(0.01)


def button(msg: SentMessage, text: str) -> str:
    [data] = [b["callback_data"] for b in msg.buttons() if b["text"] == text]
    return str(data)


async def mutes(env: BotEnv, chat_id: int) -> dict[str, str]:
    async with env.db.session() as s:
        sub = await subs.get(s, chat_id)
    return dict(sub.mutes or {}) if sub is not None else {}


async def test_why_expands_in_place_and_folds_again(env: BotEnv) -> None:
    msg = await send_alert(env, 70)
    folded = msg.text
    assert folded.split("\n") == [
        "🔔 엔씨소프트 · AI 스타트업 지분 20% 취득 · 300억원",
        "🇰🇷 NC AI · 탈락 · 다음: 2차 평가 (2026-08, 30일 후)",
        "📊 AI 관련도 64/100",
    ]
    assert await press(env, 70, msg, button(msg, "❓ 왜?")) == "관련도 근거를 펼쳤습니다."
    [same] = env.api.sent_messages(70)  # edited, not a new message
    assert same.edits == 1 and same.text.startswith(folded + "\n")
    assert "  • +30 제목의 AI 관련어: AI" in same.text and "…외 1개" in same.text
    assert "📄 타법인주식및출자증권취득결정 · 투자·지분 취득" in same.text
    assert [b["text"] for b in same.buttons()] == ["DART에서 보기", "▴ 접기", "🔕 알림 끄기"]
    assert await press(env, 70, same, button(same, "▴ 접기")) == "접었습니다."
    [again] = env.api.sent_messages(70)
    assert again.text == folded and again.edits == 2
    assert [b["text"] for b in again.buttons()] == ["DART에서 보기", "❓ 왜?", "🔕 알림 끄기"]


async def test_why_in_english(env: BotEnv) -> None:
    msg = await send_alert(env, 71, lang="en")
    assert msg.text.startswith("🔔 엔씨소프트 · 20% stake in an AI start-up")
    await press(env, 71, msg, button(msg, "❓ Why?"), language_code="en")
    [same] = env.api.sent_messages(71)
    assert "  • +30 AI terms in the title: AI" in same.text


async def test_mute_from_the_alert_confirms_and_undoes(env: BotEnv) -> None:
    msg = await send_alert(env, 72)
    assert (
        await press(env, 72, msg, button(msg, "🔕 알림 끄기")) == "엔씨소프트 알림을 얼마나 끌까요?"
    )
    await until(lambda: len(env.api.sent_messages(72)[0].buttons()) == 5)
    [menu] = env.api.sent_messages(72)
    assert [b["text"] for b in menu.buttons()][1:] == ["하루", "1주일", "다시 켤 때까지", "↩ 취소"]
    assert await mutes(env, 72) == {}  # choosing is not muting
    toast = await press(env, 72, menu, button(menu, "1주일"))
    assert toast.startswith("🔕 엔씨소프트 알림을 ") and "🔔 버튼으로 되돌릴 수 있습니다" in toast
    end = datetime.fromisoformat((await mutes(env, 72))[NC])
    assert abs(end - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    await until(
        lambda: "🔔 다시 켜기" in [b["text"] for b in env.api.sent_messages(72)[0].buttons()]
    )
    [muted] = env.api.sent_messages(72)
    assert muted.text == msg.text  # the alert itself is untouched
    assert (
        await press(env, 72, muted, button(muted, "🔔 다시 켜기"))
        == "엔씨소프트 알림을 다시 켰습니다."
    )
    assert await mutes(env, 72) == {}
    await until(
        lambda: "🔕 알림 끄기" in [b["text"] for b in env.api.sent_messages(72)[0].buttons()]
    )


async def test_mute_until_unmuted_and_cancel(env: BotEnv) -> None:
    msg = await send_alert(env, 73)
    await press(env, 73, msg, button(msg, "🔕 알림 끄기"))
    await until(lambda: len(env.api.sent_messages(73)[0].buttons()) == 5)
    menu = env.api.sent_messages(73)[0]
    assert await press(env, 73, menu, button(menu, "↩ 취소")) == "그대로 둡니다."
    await until(lambda: len(env.api.sent_messages(73)[0].buttons()) == 3)
    assert await mutes(env, 73) == {}
    await press(env, 73, menu, AlertKey(RCEPT).data("mff"))  # from the menu seen before
    assert await mutes(env, 73) == {NC: ""}
    # The expanded view keeps the 🔔 state: it is read from the chat's mutes.
    await until(
        lambda: "🔔 다시 켜기" in [b["text"] for b in env.api.sent_messages(73)[0].buttons()]
    )
    await press(env, 73, msg, button(msg, "❓ 왜?"))
    [same] = env.api.sent_messages(73)
    assert [b["text"] for b in same.buttons()] == ["DART에서 보기", "▴ 접기", "🔔 다시 켜기"]


@pytest.mark.parametrize(
    "data",
    [
        "al:why:20260115999999:n0",  # well formed, but no such filing
        "al:why:2026011500032:n0",
        "al:why:20260115000321:x0",
        "al:why:20260115000321:n2",
        "al:nuke:20260115000321:n0",
        "al:m99d:20260115000321:n0",
        "al:why:20260115000321:n0' OR 1=1",
        "al:",
        "al:" + "9" * 61,
    ],
)
async def test_forged_or_stale_data_is_refused_clearly(env: BotEnv, data: str) -> None:
    msg = await send_alert(env, 74)
    assert await press(env, 74, msg, data) == EXPIRED
    await env.api.wait_consumed()
    [same] = env.api.sent_messages(74)
    assert same.edits == 0 and await mutes(env, 74) == {}


async def test_in_groups_only_admins_mute_but_anyone_asks_why(env: BotEnv) -> None:
    group = -4700
    msg = await send_alert(env, group)
    env.api.set_member(group, 81, "administrator")
    refused = await press(env, 80, msg, AlertKey(RCEPT).data("m7d"))
    assert refused == "이 그룹의 설정은 그룹 관리자만 바꿀 수 있습니다."
    assert await mutes(env, group) == {}
    assert await press(env, 80, msg, button(msg, "❓ 왜?")) == "관련도 근거를 펼쳤습니다."
    await press(env, 81, msg, AlertKey(RCEPT).data("m1d"))
    assert NC in await mutes(env, group)


def test_callback_data_fits_and_round_trips() -> None:
    for event in ("new", "withdrawn", "amended"):
        for expanded in (False, True):
            key = AlertKey("20260115000321", event, expanded)
            for action in ("why", "mute", "back", "unmute", "m1d", "m7d", "mff"):
                data = key.data(action)
                assert len(data.encode()) <= 64
                assert parse(data) == (action, key)
                assert changes_settings(data) is (action in ("unmute", "m1d", "m7d", "mff"))
    assert parse("sub:00266961") is None and not changes_settings("kw:k:ai")
