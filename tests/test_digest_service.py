"""The digest read from the database (SQLite and PostgreSQL) and queued in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from monitor.delivery.payloads import PayloadResolver
from monitor.digest import render
from monitor.digest.service import digest_renderer, enqueue_digest, load_digest
from monitor.kai.timeline import bundled_timeline
from notifiers.base import Alert, DigestMessage, Notifier
from storage import subscribers as subs
from storage.db import Database
from storage.digests import daily_counts
from storage.models import Delivery, Match
from tests.helpers.digest import GOLDEN_DAY, golden_digest, store_dataset


class Fixed(Notifier):
    name = "fixedrec"

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        raise AssertionError("not used")


class PerSub(Notifier):
    name = "telegram"
    per_subscriber = True

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        raise AssertionError("not used")


class AlertsOnly(Fixed):
    name = "alertsonly"
    accepts_digests = False


async def test_stored_day_gives_the_golden_digest(db: Database) -> None:
    await store_dataset(db)
    digest = await load_digest(db, bundled_timeline(), GOLDEN_DAY, "ko")
    expected = golden_digest(GOLDEN_DAY, "ko")
    for fmt in ("json", "html", "text", "csv", "md"):
        assert render(digest, fmt) == render(expected, fmt)


async def test_unmatched_filings_are_matched_on_the_fly_and_not_written(db: Database) -> None:
    stored = await store_dataset(db, matched=False)
    assert stored > 0
    digest = await load_digest(db, bundled_timeline(), GOLDEN_DAY, "en")
    assert digest.total == 6
    assert all(i.alert.relevance > 0 and i.alert.reasons for i in digest.items)
    assert {i.team_id for i in digest.items} == {"lg", "skt", "naver", "ncai"}
    async with db.session() as session:
        assert (await session.exec(select(Match))).all() == []


async def test_trend_counts_per_company_and_day(db: Database) -> None:
    await store_dataset(db)
    async with db.session() as session:
        rows = await daily_counts(session, "20260115", "20260115")
    assert {(code, n) for code, _, _, n in rows} == {
        ("00120021", 1),
        ("00159023", 3),
        ("00266961", 1),
        ("00261443", 1),
    }


async def test_queued_once_per_destination_even_when_sent_twice(db: Database) -> None:
    async with db.session() as session:
        on = await subs.get_or_create(session, 111, language="en")
        off = await subs.get_or_create(session, 222)
        quiet = await subs.get_or_create(session, 333)
        assert on.id and off.id and quiet.id
        await subs.set_digest(session, on.id, True)
        await subs.set_digest(session, quiet.id, True)
        await subs.set_quiet(session, quiet.id, 18, 8)
    notifiers = {"fixedrec": Fixed(), "telegram": PerSub(), "alertsonly": AlertsOnly()}
    now = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)  # 18:30 KST
    first = await enqueue_digest(db, notifiers, GOLDEN_DAY, "ko", now=now)
    assert (first.queued, first.existing) == (3, 0)
    assert first.destinations == ("fixedrec:default", "telegram:111", "telegram:333")
    again = await enqueue_digest(db, notifiers, GOLDEN_DAY, "ko", now=now)
    assert (again.queued, again.existing) == (0, 3)
    async with db.session() as session:
        rows = list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())
    assert [(r.kind, r.ref, r.notifier, r.destination) for r in rows] == [
        ("digest", "2026-01-15", "fixedrec", "default"),
        ("digest", "2026-01-15", "telegram", "111"),
        ("digest", "2026-01-15", "telegram", "333"),
    ]
    assert [r.payload["lang"] for r in rows] == ["ko", "en", "ko"]
    # The subscriber in quiet hours (18-08 KST) gets it at 08:00 KST next morning.
    held = rows[2].next_attempt_at
    assert held.replace(tzinfo=held.tzinfo or UTC) == datetime(2026, 1, 15, 23, 0, tzinfo=UTC)


async def test_dispatcher_resolves_a_digest_row_to_the_rendered_message(db: Database) -> None:
    await store_dataset(db)
    await enqueue_digest(db, {"fixedrec": Fixed()}, GOLDEN_DAY, "en")
    async with db.session() as session:
        row = (await session.exec(select(Delivery))).one()
    resolver = PayloadResolver(db, digest_renderer(db, bundled_timeline()))
    message = await resolver(row)
    assert isinstance(message, DigestMessage)
    assert message.date == "2026-01-15" and message.lang == "en"
    assert message.html == render(golden_digest(GOLDEN_DAY, "en"), "html")
