"""Routing matrix: chats × filters × filings through the real pipeline, outbox,
dispatcher, Telegram notifier and the fake Bot API. Every filing reaches exactly the
chats it should, each row records why, and quieter alerts go out without sound."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from monitor.core.loopback import serve_in_thread
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.kai.matcher import match_filing
from monitor.kai.timeline import bundled_timeline
from notifiers.telegram import TelegramNotifier, TelegramSettings
from storage import subscribers as subs
from storage.db import Database
from storage.models import Delivery, Filing, Subscriber
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.test_telegram_routing import FILINGS, LG, NAVER, NC

NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)  # 12:00 KST
GPU, OWNERS, STAKE, IR = (f.rcept_no for f in FILINGS)  # see tests/test_telegram_routing
EVERYTHING = {GPU, OWNERS, STAKE, IR}

Setup = Callable[[object, Subscriber], Awaitable[object]]


async def _nothing(s: object, sub: Subscriber) -> None:
    return None


# chat -> (how the chat set itself up, {rcept_no: expected reason}, silent rcept_nos)
MATRIX: dict[int, tuple[Setup, dict[str, str], set[str]]] = {
    201: (_nothing, dict.fromkeys(EVERYTHING, "subscribed"), set()),
    202: (lambda s, sub: subs.add_words(s, sub, "keywords", ["gpu"]), {GPU: "keyword"}, set()),
    203: (
        lambda s, sub: subs.add_words(s, sub, "excludes", ["IR"]),
        dict.fromkeys({GPU, OWNERS, STAKE}, "subscribed"),
        set(),
    ),
    204: (
        lambda s, sub: subs.toggle_type(s, sub, "ownership"),
        dict.fromkeys({GPU, STAKE, IR}, "subscribed"),
        set(),
    ),
    205: (
        lambda s, sub: subs.set_relevance_filter(s, _id(sub), "30"),
        dict.fromkeys({GPU, STAKE}, "subscribed"),  # 79 and 40 pass; 19 and 27 do not
        set(),
    ),
    206: (
        lambda s, sub: _mute_naver_and_expired_lg(s, sub),
        dict.fromkeys({STAKE, IR}, "subscribed"),
        set(),
    ),
    207: (
        lambda s, sub: subs.set_silent(s, _id(sub), 50),
        dict.fromkeys(EVERYTHING, "subscribed"),
        {OWNERS, STAKE, IR},  # only the 79/100 filing rings
    ),
    208: (lambda s, sub: subs.set_relevance_filter(s, _id(sub), "ai"), {GPU: "subscribed"}, set()),
    209: (
        lambda s, sub: _words(s, sub, keywords=["설명회"], excludes=["ir"]),
        {},  # the only filing with the keyword is excluded
        set(),
    ),
    210: (lambda s, sub: subs.add_words(s, sub, "keywords", ["주식"]), {STAKE: "keyword"}, set()),
}
QUIET_CHAT = 211  # quiet 11-13 KST: every row written, held until 13:00
GONE_CHAT = 212  # blocked the bot: no rows at all


def _id(sub: Subscriber) -> int:
    assert sub.id is not None
    return sub.id


async def _mute_naver_and_expired_lg(s: object, sub: Subscriber) -> None:
    await subs.mute(s, sub, NAVER, None)  # type: ignore[arg-type]
    await subs.mute(s, sub, LG, NOW - timedelta(minutes=1))  # type: ignore[arg-type]


async def _words(s: object, sub: Subscriber, *, keywords: list[str], excludes: list[str]) -> None:
    await subs.add_words(s, sub, "keywords", keywords)  # type: ignore[arg-type]
    await subs.add_words(s, sub, "excludes", excludes)  # type: ignore[arg-type]


async def test_every_filing_reaches_exactly_its_chats(sqlite_db: Database) -> None:
    timeline = bundled_timeline()
    relevance = {f.rcept_no: match_filing(f, timeline).relevance for f in FILINGS}
    # The thresholds above assume these scores; fail loudly if the scoring moves.
    assert relevance == {GPU: 79, OWNERS: 19, STAKE: 40, IR: 27}
    async with sqlite_db.session() as s:
        for chat, (setup, _, _) in MATRIX.items():
            sub = await subs.get_or_create(s, chat)
            await subs.subscribe(s, _id(sub), [NAVER, LG, NC])
            await setup(s, sub)
        quiet = await subs.get_or_create(s, QUIET_CHAT)
        await subs.subscribe(s, _id(quiet), [NAVER, LG, NC])
        await subs.set_quiet(s, _id(quiet), 11, 13)
        gone = await subs.get_or_create(s, GONE_CHAT)
        await subs.subscribe(s, _id(gone), [NAVER, LG, NC])
        await subs.deactivate(s, _id(gone), "blocked")
        for f in FILINGS:
            s.add(Filing(**{k: getattr(f, k) for k in f.__dataclass_fields__}))
    api = FakeTelegram()
    for chat in [*MATRIX, QUIET_CHAT, GONE_CHAT]:
        api.add_chat(chat)
    with serve_in_thread(api) as url:
        notifier = TelegramNotifier(TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot"))
        await notifier.start()
        try:
            pipeline = Pipeline(
                sqlite_db, timeline, {"telegram": notifier}, body_policy=BodyPolicy(enabled=False)
            )
            await pipeline.run(now=NOW)
            async with sqlite_db.session() as s:
                rows = list((await s.exec(select(Delivery))).all())
            dispatcher = Dispatcher(
                sqlite_db, {"telegram": notifier}, PayloadResolver(sqlite_db), worker_id="t"
            )
            await dispatcher.drain(timeout=30)
        finally:
            await notifier.close()

    by_chat: dict[int, dict[str, dict[str, object]]] = {}
    for row in rows:
        by_chat.setdefault(int(row.destination), {})[row.ref] = row.payload
    assert GONE_CHAT not in by_chat
    assert set(by_chat[QUIET_CHAT]) == EVERYTHING
    held = {r.next_attempt_at.replace(tzinfo=UTC) for r in rows if r.destination == "211"}
    assert held == {datetime(2026, 1, 15, 4, 0, tzinfo=UTC)}  # 13:00 KST, when quiet ends
    for chat, (_, expected, silent) in MATRIX.items():
        payloads = by_chat.get(chat, {})
        assert {ref: p["reason"] for ref, p in payloads.items()} == expected, chat
        assert {ref for ref, p in payloads.items() if p.get("silent")} == silent, chat
        sent = api.sent_messages(chat)
        got = {m.dart_rcept_no(): m.disable_notification for m in sent}
        assert len(sent) == len(got) == len(expected), chat
        assert got == {ref: ref in silent for ref in expected}, chat

    # The quiet chat's four held alerts arrived when its quiet hours ended (the drain
    # runs long after them) as ONE summary: a line and a DART button per filing.
    [summary] = api.sent_messages(QUIET_CHAT)
    assert len(summary.text.split("\n")) == 1 + len(EVERYTHING)
    assert {_rcept_no(b["url"]) for b in summary.buttons()} == EVERYTHING
    statuses = {r.status for r in await _rows_of(sqlite_db, str(QUIET_CHAT))}
    assert statuses == {"bundled", "sent"}  # four alerts bundled, the summary sent


async def _rows_of(db: Database, destination: str) -> list[Delivery]:
    async with db.session() as s:
        return list(
            (await s.exec(select(Delivery).where(col(Delivery.destination) == destination))).all()
        )


def _rcept_no(text: str) -> str:
    m = re.search(r"rcpNo=(\d{14})", text)
    assert m is not None
    return m.group(1)
