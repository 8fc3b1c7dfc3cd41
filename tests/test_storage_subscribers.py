"""The subscribers repository, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from storage import outbox
from storage import subscribers as subs
from storage.db import Database

NAVER, SKT, LG = "00266961", "00159023", "00120021"


async def test_get_or_create_is_idempotent_and_keeps_settings(db: Database) -> None:
    async with db.session() as s:
        first = await subs.get_or_create(s, 42, language="en", title="Kim")
        assert first.id is not None
        await subs.set_filter(s, first.id, "ai")
    async with db.session() as s:
        again = await subs.get_or_create(s, 42, language="ko")
        assert again.id == first.id
        assert (again.language, again.filter, again.title) == ("en", "ai", "Kim")


async def test_subscribe_unsubscribe_report_what_changed(db: Database) -> None:
    async with db.session() as s:
        sub = await subs.get_or_create(s, 1)
        assert sub.id is not None
        assert await subs.subscribe(s, sub.id, [NAVER, SKT]) == [NAVER, SKT]
        assert await subs.subscribe(s, sub.id, [SKT, LG, LG]) == [LG]
        assert await subs.subscriptions(s, sub.id) == sorted([NAVER, SKT, LG])
        assert await subs.unsubscribe(s, sub.id, [SKT, "99999999"]) == [SKT]
        assert sorted(await subs.unsubscribe(s, sub.id)) == sorted([NAVER, LG])
        assert await subs.subscriptions(s, sub.id) == []


async def test_settings_are_validated_and_persisted(db: Database) -> None:
    async with db.session() as s:
        sub = await subs.get_or_create(s, 7)
        sid = sub.id
        assert sid is not None
        await subs.set_language(s, sid, "en")
        await subs.set_quiet(s, sid, 22, 7)
        await subs.set_digest(s, sid, True)
        with pytest.raises(subs.SubscriberError):
            await subs.set_language(s, sid, "jp")
        with pytest.raises(subs.SubscriberError):
            await subs.set_quiet(s, sid, 5, 5)
        with pytest.raises(subs.SubscriberError):
            await subs.set_quiet(s, sid, 24, 7)
        with pytest.raises(subs.SubscriberError):
            await subs.set_filter(s, sid, "none")
    async with db.session() as s:
        got = await subs.get(s, 7)
        assert got is not None
        assert (got.language, got.quiet_start, got.quiet_end, got.digest) == ("en", 22, 7, True)
        await subs.set_quiet(s, sid, None, None)
    async with db.session() as s:
        got = await subs.get(s, 7)
        assert got is not None and got.quiet_start is None and got.quiet_end is None


async def test_routing_queries_respect_activity_and_filter(db: Database) -> None:
    async with db.session() as s:
        everyone = await subs.get_or_create(s, 1)
        ai_only = await subs.get_or_create(s, 2)
        gone = await subs.get_or_create(s, 3)
        other = await subs.get_or_create(s, 4)
        for sub in (everyone, ai_only, gone):
            assert sub.id is not None
            await subs.subscribe(s, sub.id, [NAVER])
        assert other.id is not None and ai_only.id is not None and gone.id is not None
        await subs.subscribe(s, other.id, [LG])
        await subs.set_filter(s, ai_only.id, "ai")
        await subs.set_digest(s, other.id, True)
        await subs.deactivate(s, gone.id, "Forbidden: bot was blocked by the user")
    async with db.session() as s:
        ai_alert = [x.chat_id for x in await subs.subscribers_for_alert(s, NAVER, ai_related=True)]
        plain = [x.chat_id for x in await subs.subscribers_for_alert(s, NAVER, ai_related=False)]
        unfiltered = await subs.subscribers_for_alert(s, NAVER)
        assert ai_alert == [1, 2]
        assert plain == [1]
        assert [x.chat_id for x in unfiltered] == [1, 2]
        assert [subs.wants(x, ai_related=False) for x in unfiltered] == [True, False]
        assert [x.chat_id for x in await subs.digest_subscribers(s)] == [4]
        stats = await subs.stats(s)
        assert (stats.total, stats.active, stats.inactive, stats.subscriptions) == (4, 3, 1, 3)
        assert stats.digest == 1 and stats.by_type == {"private": 3}


async def test_talking_again_reactivates(db: Database) -> None:
    async with db.session() as s:
        sub = await subs.get_or_create(s, 5)
        assert sub.id is not None
        await subs.deactivate(s, sub.id, "blocked")
    async with db.session() as s:
        assert await subs.deactivate_chat(s, 999, "nope") is False
        back = await subs.get_or_create(s, 5)
        assert back.active and back.deactivated_reason == ""


async def test_migrate_moves_or_merges(db: Database) -> None:
    async with db.session() as s:
        group = await subs.get_or_create(s, -100, chat_type="group")
        assert group.id is not None
        await subs.subscribe(s, group.id, [NAVER])
        moved = await subs.migrate_chat(s, -100, -1001234)
        assert moved is not None and moved.chat_id == -1001234 and moved.chat_type == "supergroup"
        assert await subs.subscriptions(s, group.id) == [NAVER]
    async with db.session() as s:
        old = await subs.get_or_create(s, -200, chat_type="group")
        new = await subs.get_or_create(s, -1002000, chat_type="supergroup")
        assert old.id is not None and new.id is not None
        await subs.subscribe(s, old.id, [SKT])
        await subs.subscribe(s, new.id, [LG])
        merged = await subs.migrate_chat(s, -200, -1002000)
        assert merged is not None and merged.id == new.id
        assert await subs.subscriptions(s, new.id) == sorted([SKT, LG])
        assert await subs.get(s, -200) is None


async def test_delete_all_forgets_the_chat_and_its_deliveries(db: Database) -> None:
    async with db.session() as s:
        sub = await subs.get_or_create(s, 77)
        keep = await subs.get_or_create(s, 78)
        assert sub.id is not None and keep.id is not None
        await subs.subscribe(s, sub.id, [NAVER, LG])
        await outbox.enqueue(
            s,
            [
                outbox.NewDelivery(
                    kind="alert",
                    ref="r1",
                    notifier="telegram",
                    destination="77",
                    subscriber_id=sub.id,
                ),
                outbox.NewDelivery(
                    kind="alert",
                    ref="r1",
                    notifier="telegram",
                    destination="78",
                    subscriber_id=keep.id,
                ),
            ],
        )
    async with db.session() as s:
        assert await subs.delete_all(s, 77) is True
        assert await subs.delete_all(s, 77) is False
    async with db.session() as s:
        assert await subs.get(s, 77) is None
        assert await subs.subscriptions(s, sub.id) == []
    assert (await outbox.counts(db)) == {"pending": 1}
