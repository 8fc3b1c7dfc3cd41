"""Conversation tests: the real bot (python-telegram-bot, long polling) driven only by
updates pushed into the fake Bot API, exactly as Telegram would deliver them; every
assertion is on what the bot sent back (or stored)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from monitor.bot import BotConfig, start_bot
from monitor.core.loopback import serve_in_thread
from notifiers.base import Alert, NotifierConfigError
from storage import subscribers as subs
from storage.db import Database
from testkit.fakes.telegram_api import TOKEN, FakeTelegram, Fault, Limits
from testkit.telegram import (
    ADMIN,
    LG,
    NAVER,
    NC,
    SK,
    SKT,
    BotEnv,
    FakeServices,
    running_bot,
)


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    async with running_bot(sqlite_db) as e:
        yield e


async def subscriptions_of(env: BotEnv, chat_id: int) -> list[str]:
    async with env.db.session() as s:
        sub = await subs.get(s, chat_id)
        return sorted(await subs.subscriptions(s, sub.id)) if sub and sub.id else []


async def subscriber(env: BotEnv, chat_id: int) -> subs.Subscriber | None:
    async with env.db.session() as s:
        return await subs.get(s, chat_id)


# --- start, help, menus --------------------------------------------------------------


async def test_start_in_korean_shows_buttons_and_registers(env: BotEnv) -> None:
    welcome, prompt = await env.say(10, "/start", replies=2)
    assert "dartwatch" in welcome.text and "공시" in welcome.text
    buttons = prompt.buttons()
    assert [b["callback_data"] for b in buttons] == [
        f"sub:{c}" for c in (NAVER, SKT, SK, LG, NC)
    ] + ["sub:all"]
    assert buttons[0]["text"] == "➕ NAVER"
    sub = await subscriber(env, 10)
    assert sub is not None and sub.language == "ko" and sub.chat_type == "private"


async def test_start_in_english_for_english_users(env: BotEnv) -> None:
    welcome, prompt = await env.say(11, "/start", replies=2, language_code="en-US")
    assert welcome.text.startswith("Welcome to dartwatch")
    assert prompt.buttons()[-1]["text"] == "Subscribe to all"
    sub = await subscriber(env, 11)
    assert sub is not None and sub.language == "en"


async def test_command_menus_korean_default_english_and_admin(env: BotEnv) -> None:
    ko = {c["command"]: c["description"] for c in env.api.commands("")}
    en = {c["command"]: c["description"] for c in env.api.commands("en")}
    assert set(ko) == set(en) and "subscribe" in ko and "stats" not in ko
    assert "구독" in ko["subscribe"] and "Subscribe" in en["subscribe"]
    admin = {c["command"] for c in env.api.commands("", scope=f"chat:{ADMIN}")}
    assert {"stats", "broadcast"} <= admin


async def test_help_both_languages_and_admin_extra(env: BotEnv) -> None:
    [ko] = await env.say(12, "/help")
    [en] = await env.say(13, "/help", language_code="en")
    [admin] = await env.say(ADMIN, "/help")
    assert "/subscribe" in ko.text and "명령어" in ko.text and "/stats" not in ko.text
    assert "Commands" in en.text
    assert "/stats" in admin.text and "/broadcast" in admin.text


# --- subscribing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "corp_code"),
    [
        ("네이버", NAVER),
        ("naver", NAVER),
        ("엔씨", NC),
        ("엔씨소프트", NC),
        ("NCSOFT", NC),
        ("SKT", SKT),
        ("SK텔레콤", SKT),
        ("SK Telecom", SKT),
        ("에스케이", SK),
        ("SK Inc.", SK),
        ("LG", LG),
        ("엘지", LG),
        ("035420", NAVER),
        ("036570", NC),
        ("00120021", LG),
    ],
)
async def test_subscribe_by_alias_code_and_name(env: BotEnv, name: str, corp_code: str) -> None:
    [reply] = await env.say(20, f"/subscribe {name}")
    assert reply.text.startswith("구독했습니다: ")
    assert await subscriptions_of(env, 20) == [corp_code]


async def test_subscribe_several_at_once_and_again(env: BotEnv) -> None:
    [first] = await env.say(21, "/subscribe 네이버, 엔씨 SKT 003550")
    assert first.text == "구독했습니다: NAVER, 엔씨소프트, SK텔레콤, LG"
    [again] = await env.say(21, "/subscribe NAVER 00181712")
    assert again.text == "구독했습니다: SK\n이미 구독 중입니다: NAVER"
    assert await subscriptions_of(env, 21) == sorted([NAVER, NC, SKT, LG, SK])


async def test_subscribe_english_replies(env: BotEnv) -> None:
    [reply] = await env.say(22, "/subscribe naver SK", language_code="en")
    assert "Subscribed: NAVER" in reply.text
    assert "‘SK’ matches several companies: SK Telecom, SK Inc." in reply.text


async def test_ambiguous_sk_subscribes_nothing(env: BotEnv) -> None:
    [reply] = await env.say(23, "/subscribe SK")
    assert "‘SK’는 여러 기업에 해당합니다: SK텔레콤, SK." in reply.text
    assert await subscriptions_of(env, 23) == []


async def test_unknown_names_get_help(env: BotEnv) -> None:
    [reply] = await env.say(24, "/subscribe 네이바 삼성전자 zzzz")
    assert "‘네이바’에 해당하는 기업을 찾지 못했습니다." in reply.text
    assert "혹시 이 기업인가요? NAVER" in reply.text  # difflib's closest match
    # A listed company outside the watchlist is simply subscribed (the corpCode registry).
    assert "삼성전자를 구독했습니다. 다음 조회부터" in reply.text
    assert "‘zzzz’" in reply.text and "/companies" in reply.text
    [en] = await env.say(25, "/subscribe Navr", language_code="en")
    assert "No company matches ‘Navr’." in en.text and "Did you mean: NAVER" in en.text


async def test_subscribe_without_argument_shows_buttons(env: BotEnv) -> None:
    [reply] = await env.say(26, "/subscribe")
    assert len(reply.buttons()) == 6 and "누르세요" in reply.text
    [en] = await env.say(27, "/unsubscribe", language_code="en")
    assert "Tap a company" in en.text


async def test_subscribe_all_and_unsubscribe_all(env: BotEnv) -> None:
    [reply] = await env.say(28, "/subscribe all")
    assert reply.text == "감시 중인 모든 기업을 구독했습니다 (5곳)."
    assert len(await subscriptions_of(env, 28)) == 5
    [gone] = await env.say(28, "/unsubscribe all")
    assert gone.text == "모든 구독을 해지했습니다."
    assert await subscriptions_of(env, 28) == []
    [none] = await env.say(28, "/unsubscribe all")
    assert none.text == "구독 중인 기업이 없습니다."


async def test_unsubscribe_some(env: BotEnv) -> None:
    await env.say(29, "/subscribe 네이버 엔씨")
    [reply] = await env.say(29, "/unsubscribe 네이버 LG", language_code="en")
    assert reply.text == "구독을 해지했습니다: NAVER\n구독하고 있지 않습니다: LG"
    assert await subscriptions_of(env, 29) == [NC]


async def test_five_thousand_character_argument(env: BotEnv) -> None:
    [reply] = await env.say(30, "/subscribe " + "가" * 5000)
    assert reply.text == "입력이 너무 깁니다 (최대 500자)."
    [en] = await env.say(31, "/latest " + "x" * 5000, language_code="en")
    assert en.text == "That is too long (at most 500 characters)."
    assert await subscriptions_of(env, 30) == []


async def test_html_in_argument_is_escaped_on_echo(env: BotEnv) -> None:
    [reply] = await env.say(32, '/subscribe <b>x</b> <a href="javascript:1">y</a> &amp;')
    # Telegram rendered it as text: the tags arrive literally, no entity was created.
    assert "‘<b>x</b>’" in reply.text and "&amp;" in reply.text
    assert all(e["type"] != "text_link" for e in reply.entities)


# --- buttons -------------------------------------------------------------------------


async def test_button_press_toggles_and_updates_keyboard(env: BotEnv) -> None:
    _, prompt = await env.say(40, "/start", replies=2)
    qid = env.api.callback(40, f"sub:{NAVER}", message=prompt)
    answer = await env.api.wait_answered(qid)
    assert answer["text"] == "구독했습니다: NAVER"
    assert await subscriptions_of(env, 40) == [NAVER]
    deadline = time.monotonic() + 5
    while env.api.sent_messages(40)[-1].buttons()[0]["text"] != "✅ NAVER":
        assert time.monotonic() < deadline, "keyboard not updated"
        await env.api.wait_consumed()
    updated = env.api.sent_messages(40)[-1]
    assert updated.buttons()[0]["callback_data"] == f"unsub:{NAVER}"
    qid = env.api.callback(40, f"unsub:{NAVER}", message=updated)
    assert (await env.api.wait_answered(qid))["text"] == "구독을 해지했습니다: NAVER"
    qid = env.api.callback(40, "sub:all", message=updated, language_code="en")
    assert (await env.api.wait_answered(qid))["text"] == "감시 중인 모든 기업을 구독했습니다 (5곳)."
    assert len(await subscriptions_of(env, 40)) == 5


@pytest.mark.parametrize(
    "data", ["garbage", "sub:99999999", "unsub:all", "sub:", "x" * 64, "sub:0026696'", ""]
)
async def test_junk_callback_data_is_refused_safely(env: BotEnv, data: str) -> None:
    _, prompt = await env.say(41, "/start", replies=2)
    qid = env.api.callback(41, data, message=prompt)
    answer = await env.api.wait_answered(qid)
    assert answer["text"] == "이 버튼은 더 이상 쓸 수 없습니다."
    assert await subscriptions_of(env, 41) == []


# --- information commands ------------------------------------------------------------


async def test_list_shows_subscriptions_and_settings(env: BotEnv) -> None:
    [empty] = await env.say(50, "/list")
    assert "구독 중인 기업이 없습니다" in empty.text
    await env.say(50, "/subscribe LG 네이버")
    await env.say(50, "/quiet 22-07")
    [listing] = await env.say(50, "/list")
    assert listing.text.splitlines()[:3] == ["내 구독", "• NAVER", "• LG"]
    assert "방해 금지: 22시–07시 (KST)" in listing.text and "필터: 모든 공시" in listing.text
    await env.say(50, "/lang en")
    [en] = await env.say(50, "/list")
    assert "My subscriptions" in en.text and "Quiet hours: 22:00–07:00 (KST)" in en.text


async def test_companies_with_teams(env: BotEnv) -> None:
    [ko] = await env.say(51, "/companies")
    assert "• NAVER (035420) — 네이버클라우드 (탈락)" in ko.text
    [en] = await env.say(52, "/companies", language_code="en")
    assert "• SK Telecom (017670) — SK Telecom (active)" in en.text


async def test_timeline_escaped_in_both_languages(env: BotEnv) -> None:
    [ko] = await env.say(53, "/timeline")
    assert ko.text == env.services.timeline
    [en] = await env.say(54, "/timeline", language_code="en")
    assert en.text == "Current phase: 2nd <evaluation> & prep"


async def test_latest_all_one_company_and_unknown(env: BotEnv) -> None:
    env.services.alerts = [
        Alert(
            "20260115000001", NAVER, "NAVER", "주요사항보고서 <AI> & GPU", "20260115", relevance=80
        ),
        Alert("20260114000002", LG, "LG", "임원ㆍ주요주주 특정증권등 소유상황보고서", "20260114"),
    ]
    [all_] = await env.say(55, "/latest")
    assert "주요사항보고서 <AI> & GPU" in all_.text and "LG" in all_.text
    links = [e["url"] for e in all_.entities if e["type"] == "text_link"]
    assert "https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20260115000001" in links
    [one] = await env.say(55, "/latest 엘지")
    assert "NAVER" not in one.text and "소유상황보고서" in one.text
    [unknown] = await env.say(55, "/latest 없는회사")
    assert "찾지 못했습니다" in unknown.text
    env.services.alerts = []
    [none] = await env.say(56, "/latest", language_code="en")
    assert none.text == "No filings stored yet."


# --- settings ------------------------------------------------------------------------


async def test_filter_quiet_digest_lang_persisted(env: BotEnv) -> None:
    [f] = await env.say(60, "/filter ai")
    assert f.text == "필터: AI 관련 공시만"
    [q] = await env.say(60, "/quiet 23-6")
    assert "23시–06시" in q.text
    [d] = await env.say(60, "/digest on")
    assert "요약" in d.text
    [lang] = await env.say(60, "/lang en")
    assert lang.text == "Language set to English."
    sub = await subscriber(env, 60)
    assert sub is not None
    assert (sub.filter, sub.quiet_start, sub.quiet_end, sub.digest, sub.language) == (
        "ai",
        23,
        6,
        True,
        "en",
    )
    [help_] = await env.say(60, "/help", language_code="ko")  # the chat's choice wins
    assert "Commands" in help_.text
    [off] = await env.say(60, "/quiet off")
    assert off.text == "Quiet hours are off."
    await env.say(60, "/digest off")
    await env.say(60, "/filter all")
    sub = await subscriber(env, 60)
    assert sub is not None and (sub.quiet_start, sub.digest, sub.filter) == (None, False, "all")


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/filter", "사용법: /filter all"),
        ("/filter everything", "사용법: /filter all"),
        ("/quiet", "사용법: /quiet 22-07"),
        ("/quiet 25-99", "사용법: /quiet 22-07"),
        ("/quiet 7-7", "사용법: /quiet 22-07"),
        ("/quiet <b>", "사용법: /quiet 22-07"),
        ("/digest maybe", "사용법: /digest on"),
        ("/lang jp", "사용법: /lang ko"),
    ],
)
async def test_bad_setting_values_get_usage(env: BotEnv, command: str, usage: str) -> None:
    [reply] = await env.say(61, command)
    assert reply.text.startswith(usage)
    assert await subscriber(env, 61) is None  # nothing stored for a bad value


async def test_stop_deletes_everything(env: BotEnv) -> None:
    await env.say(62, "/subscribe all")
    await env.say(62, "/digest on")
    [bye] = await env.say(62, "/stop")
    assert "삭제" in bye.text
    assert await subscriber(env, 62) is None
    [again] = await env.say(62, "/stop", language_code="en")
    assert again.text == "There is no data stored for this chat."


# --- admin ---------------------------------------------------------------------------


async def test_admin_commands_refused_to_others(env: BotEnv) -> None:
    [stats] = await env.say(70, "/stats")
    [cast] = await env.say(70, "/broadcast hello everyone", language_code="en")
    assert stats.text == "관리자만 쓸 수 있는 명령어입니다."
    assert cast.text == "That command is for admins only."
    assert env.services.broadcasts == []


async def test_admin_stats_and_broadcast(env: BotEnv) -> None:
    await env.say(71, "/subscribe 네이버")
    [stats] = await env.say(ADMIN, "/stats")
    assert "subscribers: 1" in stats.text and "alerts_today: 3" in stats.text
    [queued] = await env.say(ADMIN, "/broadcast 점검 안내 <내일> & 모레\n두 번째 줄")
    assert queued.text == "공지를 7개 채팅에 보낼 예정입니다."
    assert env.services.broadcasts == ["점검 안내 <내일> & 모레\n두 번째 줄"]
    [usage] = await env.say(ADMIN, "/broadcast")
    assert usage.text.startswith("사용법: /broadcast")


# --- bad input -----------------------------------------------------------------------


async def test_unknown_command_and_plain_text(env: BotEnv) -> None:
    [ko] = await env.say(80, "/frobnicate now")
    assert ko.text == "알 수 없는 명령어입니다: /frobnicate. /help 를 보세요."
    [en] = await env.say(81, "/frobnicate", language_code="en")
    assert en.text == "Unknown command: /frobnicate. See /help."
    [text] = await env.say(80, "안녕하세요 <script>")
    assert text.text == "명령어만 이해합니다. /help 를 보세요."


async def test_sticker_gets_a_hint(env: BotEnv) -> None:
    before = len(env.api.sent_messages(82))
    env.api.sticker(82, language_code="en")
    [reply] = (await env.api.wait_sent(82, before + 1))[before:]
    assert reply.text == "I only understand commands. See /help."


async def test_edited_message_is_ignored(env: BotEnv) -> None:
    env.api.edited_text(83, "/subscribe 네이버")
    await env.silent(83, None)
    assert await subscriptions_of(env, 83) == []


async def test_a_failing_service_gets_an_error_reply_and_the_bot_lives(env: BotEnv) -> None:
    env.services.fail_latest = True
    [reply] = await env.say(84, "/latest")
    assert reply.text == "처리 중 문제가 생겼습니다. 잠시 후 다시 시도하세요."
    [ok] = await env.say(84, "/help")
    assert "명령어" in ok.text


async def test_reply_survives_a_flood_error(env: BotEnv) -> None:
    env.api.inject(
        Fault(429, "Too Many Requests: retry after 1", {"retry_after": 1}, method="sendMessage")
    )
    [reply] = await env.say(85, "/help")
    assert "명령어" in reply.text
    assert len(env.api.calls("sendMessage")) >= 2  # refused once, then retried


# --- groups and channels -------------------------------------------------------------


async def test_group_commands_with_bot_name(env: BotEnv) -> None:
    group = -4001
    env.api.set_member(group, 90, "administrator")
    env.api.group_text(group, 90, "/subscribe@dartwatch_test_bot 네이버 엔씨")
    [reply] = await env.api.wait_sent(group, 1)
    assert reply.text == "구독했습니다: NAVER, 엔씨소프트"
    assert await subscriptions_of(env, group) == sorted([NAVER, NC])
    sub = await subscriber(env, group)
    assert sub is not None and sub.chat_type == "group" and sub.title == "Investors"
    # Another bot's command, plain chatter and unknown commands without our name: silence.
    env.api.group_text(group, 90, "/subscribe@other_bot LG")
    env.api.group_text(group, 90, "오늘 주가 어때요?")
    env.api.group_text(group, 90, "/roll 20")
    env.api.group_text(group, 91, "/foo@dartwatch_test_bot", language_code="en")
    msgs = await env.api.wait_sent(group, 2)
    assert len(msgs) == 2 and msgs[1].text == "알 수 없는 명령어입니다: /foo. /help 를 보세요."
    assert await subscriptions_of(env, group) == sorted([NAVER, NC])


async def test_group_english_and_supergroup_migration(env: BotEnv) -> None:
    group, supergroup = -4002, -1004002
    env.api.set_member(group, 92, "creator")
    env.api.group_text(group, 92, "/lang@dartwatch_test_bot en")
    await env.api.wait_sent(group, 1)
    env.api.group_text(group, 92, "/subscribe SKT")
    [_, reply] = await env.api.wait_sent(group, 2)
    assert reply.text == "Subscribed: SK Telecom"
    migrate = env.api._message(
        {"id": group, "type": "group", "title": "Investors"},
        None,
        sender=env.api.user(92),
        bot_command=False,
    )
    migrate["migrate_to_chat_id"] = supergroup
    env.api.push_update({"message": migrate})
    await env.api.wait_consumed()
    env.api.group_text(supergroup, 92, "/list", supergroup=True)
    [listing] = await env.api.wait_sent(supergroup, 1)
    assert "SK Telecom" in listing.text
    assert await subscriptions_of(env, supergroup) == [SKT]


async def test_channel_post_commands(env: BotEnv) -> None:
    channel = -1007001
    env.api.channel_post(channel, "/subscribe 네이버")
    [reply] = await env.api.wait_sent(channel, 1)
    assert reply.text == "구독했습니다: NAVER"
    sub = await subscriber(env, channel)
    assert sub is not None and sub.chat_type == "channel"
    env.api.channel_post(channel, "/unknown")
    env.api.channel_post(channel, "오늘의 공시 정리")
    env.api.channel_post(channel, "/list")
    msgs = await env.api.wait_sent(channel, 2)
    assert len(msgs) == 2 and "NAVER" in msgs[1].text


async def test_kicked_from_group_deactivates(env: BotEnv) -> None:
    group = -4003
    env.api.set_member(group, 93, "administrator")
    env.api.group_text(group, 93, "/subscribe 네이버")
    await env.api.wait_sent(group, 1)
    member = {"user": env.api.bot_user, "status": "member"}
    env.api.push_update(
        {
            "my_chat_member": {
                "chat": {"id": group, "type": "group", "title": "Investors"},
                "from": env.api.user(93),
                "date": int(time.time()),
                "old_chat_member": member,
                "new_chat_member": {"user": env.api.bot_user, "status": "kicked", "until_date": 0},
            }
        }
    )
    await env.api.wait_consumed()
    # Updates of different chats are handled concurrently: wait for this one's effect.
    deadline = time.monotonic() + 5
    while (sub := await subscriber(env, group)) is not None and sub.active:
        assert time.monotonic() < deadline, "the kick was not handled"
        await asyncio.sleep(0.02)
    assert sub is not None and not sub.active and "kicked" in sub.deactivated_reason


# --- start-up, webhook, secrets ------------------------------------------------------


async def test_wrong_token_is_a_config_error(sqlite_db: Database) -> None:
    api = FakeTelegram(token="999:" + "x" * 30)
    with (
        serve_in_thread(api) as url,
        pytest.raises(NotifierConfigError, match="TELEGRAM_BOT_TOKEN: rejected"),
    ):
        await start_bot(BotConfig(token=TOKEN, base_url=f"{url}/bot"), sqlite_db, FakeServices())


async def test_base_url_is_used_unchanged(env: BotEnv) -> None:
    # The bot reached the fake at {base_url}{token}/getMe: nothing appended or stripped.
    assert env.bot.username == "dartwatch_test_bot"
    assert env.api.calls("getMe") and env.api.calls("deleteWebhook")


async def test_webhook_mode(sqlite_db: Database) -> None:
    async with running_bot(
        sqlite_db, webhook_url="https://bot.example.com/tg", webhook_secret="s3cret_token"
    ) as env:
        assert env.bot.mode == "webhook" and env.bot.webhook_app is not None
        assert env.api.webhook_url == "https://bot.example.com/tg"
        assert not env.api.calls("getUpdates")
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 95, "type": "private", "first_name": "K"},
                "from": {"id": 95, "is_bot": False, "first_name": "K", "language_code": "en"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        env.api.add_chat(95)  # the user exists on Telegram's side
        transport = httpx.ASGITransport(app=env.bot.webhook_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
            denied = await client.post("/tg", json=update)
            bad = await client.post(
                "/tg", content=b"{", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_token"}
            )
            ok = await client.post(
                "/tg", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_token"}
            )
        assert (denied.status_code, bad.status_code, ok.status_code) == (403, 400, 200)
        [reply] = await env.api.wait_sent(95, 1)
        assert "Commands" in reply.text


async def test_token_never_logged(sqlite_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    limits = Limits(private_burst=1000, overall_burst=1000)
    async with running_bot(sqlite_db, limits=limits) as env:
        await env.say(96, "/start", replies=2)
        env.api.block(97)
        env.api.private_text(97, "/help")  # the reply fails with 403
        await env.api.wait_consumed()
        await env.silent(96, None)
    secret = TOKEN.split(":")[1]
    assert "getUpdates" in caplog.text  # httpx/PTB logged their requests...
    assert secret not in caplog.text  # ...with the token scrubbed


# --- /record -------------------------------------------------------------------------

RECORD = "/record stage2-result | PLACEHOLDER 결과 | lg=advanced motif=eliminated | https://example.com/p"


async def test_record_previews_then_writes_only_after_the_admins_confirmation(
    env: BotEnv,
) -> None:
    [preview] = await env.say(ADMIN, RECORD + " | 2026-08-07")
    assert (
        "이대로 기록할까요?" in preview.text and "stage2-result → PLACEHOLDER 결과" in preview.text
    )
    assert env.services.records == []  # nothing written yet
    ok, cancel = preview.buttons()
    assert (ok["text"], cancel["text"]) == ("기록", "취소")
    qid = env.api.callback(ADMIN, str(ok["callback_data"]), message=preview)
    assert (await env.api.wait_answered(qid))["text"] == "기록했습니다."
    [request] = env.services.records
    assert request.teams == (("lg", "advanced"), ("motif", "eliminated"))
    assert request.day is not None and request.day.isoformat() == "2026-08-07"
    # The same button again does nothing.
    qid = env.api.callback(ADMIN, str(ok["callback_data"]), message=preview)
    assert (await env.api.wait_answered(qid))["text"] == "이 버튼은 더 이상 쓸 수 없습니다."
    assert len(env.services.records) == 1


async def test_record_cancel_invalid_usage_and_refusals(env: BotEnv) -> None:
    [preview] = await env.say(ADMIN, RECORD)
    _, cancel = preview.buttons()
    qid = env.api.callback(ADMIN, str(cancel["callback_data"]), message=preview)
    assert (await env.api.wait_answered(qid))["text"] == "기록하지 않았습니다."
    [no_teams] = await env.say(ADMIN, "/record stage2-result | 연기됨 | - | https://example.com/p")
    assert "이대로 기록할까요?" in no_teams.text
    [usage] = await env.say(ADMIN, "/record stage2-result")
    assert usage.text.startswith("사용법: /record")
    [bad_date] = await env.say(ADMIN, RECORD + " | 2026-8-7")
    assert bad_date.text.startswith("사용법: /record")
    [invalid] = await env.say(ADMIN, RECORD.replace("stage2-result", "stage9"))
    assert "기록할 수 없습니다" in invalid.text and "unknown milestone 'stage9'" in invalid.text
    [refused] = await env.say(70, RECORD, language_code="en")
    assert refused.text == "That command is for admins only."
    # The confirm button of a cancelled preview, or a token never issued, changes nothing.
    ok, _ = preview.buttons()
    qid = env.api.callback(ADMIN, str(ok["callback_data"]), message=preview)
    assert (await env.api.wait_answered(qid))["text"] == "이 버튼은 더 이상 쓸 수 없습니다."
    qid = env.api.callback(ADMIN, "rec:ok:000000000000", message=preview)
    assert (await env.api.wait_answered(qid))["text"] == "이 버튼은 더 이상 쓸 수 없습니다."
    assert env.services.records == []
