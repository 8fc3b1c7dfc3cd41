"""Per-chat filter commands through the real bot and the fake Bot API: /keyword,
/exclude, /types, /filter N, /silent, /mute, /unmute, and group administrators only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from storage import subscribers as subs
from storage.db import Database
from storage.models import Subscriber
from testkit.telegram import LG, NAVER, NC, BotEnv, running_bot


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    async with running_bot(sqlite_db) as e:
        yield e


async def row(env: BotEnv, chat_id: int) -> Subscriber:
    async with env.db.session() as s:
        sub = await subs.get(s, chat_id)
    assert sub is not None
    return sub


async def test_keywords_add_list_and_remove_by_button(env: BotEnv) -> None:
    [added] = await env.say(50, "/keyword 인공지능 GPU, ＡＩ")
    assert "인공지능, gpu, ai" in added.text
    [again] = await env.say(50, "/keyword gpu")
    assert "이미 목록에 있습니다: gpu" in again.text
    [excluded] = await env.say(50, "/exclude 기업설명회 IR")
    assert "기업설명회, ir" in excluded.text
    assert (await row(env, 50)).keywords == ["인공지능", "gpu", "ai"]
    [listing] = await env.say(50, "/keyword")
    assert "인공지능, gpu, ai" in listing.text and "기업설명회, ir" in listing.text
    data = [b["callback_data"] for b in listing.buttons()]
    assert data == ["kw:k:인공지능", "kw:k:gpu", "kw:k:ai", "kw:x:기업설명회", "kw:x:ir"]
    qid = env.api.callback(50, "kw:k:gpu", message=listing)
    assert (await env.api.wait_answered(qid))["text"] == "지웠습니다: gpu"
    sub = await row(env, 50)
    assert sub.keywords == ["인공지능", "ai"] and sub.excludes == ["기업설명회", "ir"]
    # The same button again (stale) changes nothing.
    qid = env.api.callback(50, "kw:k:gpu", message=listing)
    assert (await env.api.wait_answered(qid))["text"] == "이 버튼은 더 이상 쓸 수 없습니다."


async def test_keyword_bad_inputs(env: BotEnv) -> None:
    [too_long] = await env.say(51, "/keyword " + "가" * 17)
    assert "너무 깁니다" in too_long.text
    [empty] = await env.say(51, "/exclude")  # no words: the (empty) list
    assert "없음" in empty.text and empty.buttons() == []
    words = " ".join(f"w{i}" for i in range(subs.MAX_WORDS + 1))
    [full] = await env.say(51, f"/keyword {words}")
    assert f"최대 {subs.MAX_WORDS}개" in full.text
    assert (await row(env, 51)).keywords == []  # all or nothing


async def test_filter_number_and_bad_values(env: BotEnv) -> None:
    [ok] = await env.say(52, "/filter 40")
    assert ok.text == "필터: 관련도 40 이상"
    sub = await row(env, 52)
    assert (sub.filter, sub.min_relevance) == ("all", 40)
    for bad in ("/filter 101", "/filter -1", "/filter some"):
        [usage] = await env.say(52, bad)
        assert usage.text.startswith("사용법: /filter all")
    [ai] = await env.say(52, "/filter ai")
    assert ai.text == "필터: AI 관련 공시만"
    sub = await row(env, 52)
    assert (sub.filter, sub.min_relevance) == ("ai", 0)
    [listing] = await env.say(52, "/list")
    assert "필터: AI 관련 공시만" in listing.text


async def test_silent_on_off_and_usage(env: BotEnv) -> None:
    [on] = await env.say(53, "/silent 50")
    assert on.text == "관련도 50 미만 알림은 소리 없이 보냅니다."
    assert (await row(env, 53)).silent_below == 50
    [usage] = await env.say(53, "/silent loud")
    assert usage.text.startswith("사용법: /silent")
    [off] = await env.say(53, "/silent off")
    assert off.text == "모든 알림을 소리와 함께 보냅니다."
    assert (await row(env, 53)).silent_below is None


async def test_mute_for_a_week_forever_and_unmute(env: BotEnv) -> None:
    before = datetime.now(UTC)
    [week] = await env.say(54, "/mute 엔씨 7d")
    assert week.text.startswith("엔씨소프트 알림을 20") and "/latest" in week.text
    until = datetime.fromisoformat((await row(env, 54)).mutes[NC])
    assert before + timedelta(days=7) <= until <= datetime.now(UTC) + timedelta(days=7)
    [forever] = await env.say(54, "/mute LG")
    assert "/unmute 로 다시 켤 때까지" in forever.text
    assert (await row(env, 54)).mutes[LG] == ""
    [unmuted] = await env.say(54, "/unmute 엔씨")
    assert unmuted.text == "엔씨소프트 알림을 다시 켰습니다."
    [not_muted] = await env.say(54, "/unmute 네이버")
    assert not_muted.text == "알림이 꺼진 기업이 아닙니다: NAVER"
    assert set((await row(env, 54)).mutes) == {LG}
    await env.say(54, "/silent 30")
    await env.say(54, "/keyword gpu")
    [listing] = await env.say(54, "/list")
    assert (
        "키워드: gpu · 제외: 없음 · 받지 않는 분류: 0개 · 소리 없이: &lt; 30 · 알림 끈 기업: LG"
        in listing.source
    )
    [unknown] = await env.say(54, "/mute 없는회사 1d")
    assert "찾지 못했습니다" in unknown.text
    [usage] = await env.say(54, "/mute")
    assert usage.text.startswith("사용법: /mute")


async def test_types_toggle_buttons(env: BotEnv) -> None:
    [prompt] = await env.say(55, "/types")
    assert [b["text"] for b in prompt.buttons()][:2] == ["✅ 투자·지분 취득", "✅ 지분 변동"]
    qid = env.api.callback(55, "type:ownership", message=prompt)
    assert (await env.api.wait_answered(qid))["text"] == "지분 변동: 받지 않습니다"
    assert (await row(env, 55)).hidden_types == ["ownership"]
    [updated] = [m for m in env.api.sent_messages(55) if m.message_id == prompt.message_id]
    assert "⬜ 지분 변동" in [b["text"] for b in updated.buttons()]
    qid = env.api.callback(55, "type:ownership", message=prompt)
    assert (await env.api.wait_answered(qid))["text"] == "지분 변동: 받습니다"
    assert (await row(env, 55)).hidden_types == []
    qid = env.api.callback(55, "type:nonsense", message=prompt)
    assert (await env.api.wait_answered(qid))["text"] == "이 버튼은 더 이상 쓸 수 없습니다."


async def test_in_groups_only_administrators_change_settings(env: BotEnv) -> None:
    group = -4101
    env.api.set_member(group, 70, "administrator")
    env.api.group_text(group, 71, "/keyword 배당")  # a plain member
    [refused] = await env.api.wait_sent(group, 1)
    assert refused.text == "이 그룹의 설정은 그룹 관리자만 바꿀 수 있습니다."
    async with env.db.session() as s:
        assert await subs.get(s, group) is None  # nothing was created or changed
    env.api.group_text(group, 71, "/list")  # reading is for everyone
    env.api.group_text(group, 70, "/keyword 배당")
    msgs = await env.api.wait_sent(group, 3)
    assert "배당" in msgs[2].text
    assert (await row(env, group)).keywords == ["배당"]
    # A member's button press is refused too, with the same line as a toast.
    qid = env.api.callback(71, "kw:k:배당", message=msgs[2])
    assert (await env.api.wait_answered(qid))["text"] == refused.text
    assert (await row(env, group)).keywords == ["배당"]
    # An anonymous administrator speaks as the group itself.
    env.api.anonymous_group_text(group, "/subscribe 네이버")
    msgs = await env.api.wait_sent(group, 4)
    assert msgs[3].text == "구독했습니다: NAVER"
    async with env.db.session() as s:
        sub = await subs.get(s, group)
        assert sub is not None and sub.id is not None
        assert await subs.subscriptions(s, sub.id) == [NAVER]


async def test_latest_follows_own_subscriptions_pages_and_ai(env: BotEnv) -> None:
    from notifiers.base import Alert

    env.services.alerts = [
        Alert(f"202601150{i:05d}", NAVER if i % 2 else LG, "NAVER" if i % 2 else "LG",
              f"공시 {i:02d}", "20260115", relevance=i, ai_related=i >= 20)
        for i in range(25, 0, -1)
    ]  # fmt: skip
    await env.say(56, "/subscribe 네이버")
    [first] = await env.say(56, "/latest")
    titles = [line for line in first.text.splitlines() if "공시 " in line]
    assert len(titles) == 10 and all("NAVER" in line for line in titles)  # only NAVER
    assert [b["callback_data"] for b in first.buttons()] == ["lt:s:1"]
    qid = env.api.callback(56, "lt:s:1", message=first)
    await env.api.wait_answered(qid)
    [page] = [m for m in env.api.sent_messages(56) if m.message_id == first.message_id]
    assert page.edits == 1 and "공시 05" in page.text and "공시 25" not in page.text
    assert [b["callback_data"] for b in page.buttons()] == ["lt:s:0"]  # 13 NAVER filings
    [ai] = await env.say(56, "/latest ai")
    ai_titles = [line for line in ai.text.splitlines() if "공시 " in line]
    assert ai_titles and all("NAVER" in line for line in ai_titles)
    assert {int(line.split("공시 ")[1][:2]) for line in ai_titles} == {25, 23, 21}
    assert ai.buttons() == []
    [lg] = await env.say(56, "/latest LG")  # any company, subscribed or not
    assert "LG" in lg.text and "NAVER" not in lg.text
    # A muted company still shows in /latest.
    await env.say(56, "/mute 네이버")
    [muted] = await env.say(56, "/latest")
    assert "공시 25" in muted.text
