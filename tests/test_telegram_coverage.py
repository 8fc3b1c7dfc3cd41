"""Following any company in OpenDART's corpCode list from the bot: a confirmation, buttons
when the name is ambiguous, a clear reply when the watch is full, and the company in
/list and /unsubscribe like any other."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import subscribers as subs
from storage.db import Database
from testkit.telegram import NAVER, BotEnv, FakeServices, running_bot

SAMSUNG, CELLTRION = "00126380", "00413046"


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    async with running_bot(sqlite_db) as e:
        yield e


async def codes(env: BotEnv, chat_id: int) -> list[str]:
    async with env.db.session() as s:
        sub = await subs.get(s, chat_id)
        return sorted(await subs.subscriptions(s, sub.id)) if sub and sub.id else []


async def test_listed_company_by_name_or_stock_code(env: BotEnv) -> None:
    [reply] = await env.say(60, "/subscribe 005930")
    assert reply.text == "삼성전자를 구독했습니다. 다음 조회부터 이 기업의 공시를 알려 드립니다."
    assert await codes(env, 60) == [SAMSUNG]
    [again] = await env.say(60, "/subscribe 삼성전자 네이버")
    assert "이미 구독 중입니다: 삼성전자" in again.text and "구독했습니다: NAVER" in again.text
    [listing] = await env.say(60, "/list")
    assert "• 삼성전자 (00126380)" in listing.text and "• NAVER" in listing.text
    [gone] = await env.say(60, "/unsubscribe 삼성전자")
    assert gone.text == "구독을 해지했습니다: 삼성전자"
    assert await codes(env, 60) == [NAVER]


async def test_ambiguous_name_answers_with_buttons(env: BotEnv) -> None:
    [prompt] = await env.say(61, "/subscribe 셀트리온")
    assert prompt.text == "‘셀트리온’은 여러 기업에 해당합니다. 구독할 기업을 누르세요:"
    assert [b["callback_data"] for b in prompt.buttons()] == ["sub:00413046", "sub:00421045"]
    qid = env.api.callback(61, f"sub:{CELLTRION}", message=prompt)
    answer = await env.api.wait_answered(qid)
    assert (
        answer["text"] == "셀트리온을 구독했습니다. 다음 조회부터 이 기업의 공시를 알려 드립니다."
    )
    assert await codes(env, 61) == [CELLTRION]
    # A forged code that the registry does not know changes nothing.
    qid = env.api.callback(61, "sub:99999999", message=prompt)
    assert (await env.api.wait_answered(qid))["text"] == "이 버튼은 더 이상 쓸 수 없습니다."


async def test_full_watch_is_a_clear_reply(sqlite_db: Database) -> None:
    async with running_bot(sqlite_db, services=FakeServices(full=True)) as env:
        [reply] = await env.say(62, "/subscribe 삼성전자")
        assert reply.text.startswith("지금은 삼성전자를 추가할 수 없습니다")
        assert await codes(env, 62) == []
        [watched] = await env.say(62, "/subscribe 네이버")  # the watchlist is always open
        assert watched.text == "구독했습니다: NAVER"
