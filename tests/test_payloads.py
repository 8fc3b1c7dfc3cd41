"""The payload resolver builds a claimed batch's alerts with one query per table."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from monitor.delivery.payloads import PayloadResolver
from notifiers.base import Alert
from storage import outbox
from storage.db import Database
from testkit.outbox import fill_outbox, webhook


async def _claimed(db: Database, n: int) -> list[outbox.Delivery]:
    # The notifier is never called: the pipeline only writes its outbox rows.
    await fill_outbox(db, webhook("http://127.0.0.1:9/hook"), n)
    return await outbox.claim_due(db, "w", n)


async def test_prefetch_builds_the_batch_then_rows_resolve_without_the_database(
    db: Database,
) -> None:
    rows = await _claimed(db, 6)
    assert len(rows) == 6
    resolver = PayloadResolver(db)
    assert await resolver.prefetch(rows) == 6
    assert await resolver.prefetch(rows) == 0  # already cached
    # The filings are gone from the database: the batch still resolves, from the cache.
    async with db.session() as s:
        await s.exec(text("DELETE FROM matches"))  # type: ignore[call-overload]
    alerts = [await resolver(r) for r in rows]
    assert all(isinstance(a, Alert) for a in alerts)
    assert sorted(a.rcept_no for a in alerts if isinstance(a, Alert)) == sorted(r.ref for r in rows)
    # Every destination of one filing gets the same object (rendered once downstream).
    assert alerts[0] is await resolver(rows[0])


async def test_prefetch_leaves_out_a_filing_no_longer_stored(db: Database) -> None:
    rows = await _claimed(db, 3)
    async with db.session() as s:
        await s.exec(  # type: ignore[call-overload]
            text("DELETE FROM matches WHERE rcept_no = :r"), params={"r": rows[0].ref}
        )
    resolver = PayloadResolver(db)
    assert await resolver.prefetch(rows) == 2
    with pytest.raises(LookupError):
        await resolver(rows[0])
    assert isinstance(await resolver(rows[1]), Alert)


async def test_prefetch_ignores_rows_that_are_not_alerts(db: Database) -> None:
    async with db.session() as s:
        await outbox.enqueue(
            s,
            [
                outbox.NewDelivery(
                    kind="admin", ref="a1", notifier="rec", destination="d", payload={"text": "hi"}
                )
            ],
        )
    rows = await outbox.claim_due(db, "w", 5)
    resolver = PayloadResolver(db)
    assert await resolver.prefetch(rows) == 0
    assert await resolver(rows[0]) == "hi"
