"""`dartwatch status`: the deliveries section counts every outbox state, held alerts
and those sent inside a quiet-hours summary included."""

from __future__ import annotations

from monitor.commands.status import StatusContext, deliveries_section
from monitor.core.settings import load_settings
from storage import outbox
from storage.db import Database
from storage.models import DeliveryStatus


async def test_held_and_bundled_alerts_are_counted(db: Database, db_url: str) -> None:
    rows = [
        outbox.NewDelivery("alert", f"2026113000000{i}", "telegram", str(100 + i)) for i in range(5)
    ]
    rows[0] = outbox.NewDelivery(
        "alert", rows[0].ref, "telegram", rows[0].destination, status=DeliveryStatus.HELD
    )
    rows[1] = outbox.NewDelivery(
        "alert", rows[1].ref, "telegram", rows[1].destination, status=DeliveryStatus.HELD
    )
    async with db.session() as session:
        assert await outbox.enqueue(session, rows) == 5
    section = await deliveries_section(
        StatusContext(settings=load_settings(DATABASE_URL=db_url), db=db)
    )
    items = dict(section.items)
    assert items["held (quiet hours)"] == "2"
    assert items["pending"] == "3"
    assert items["sent in a quiet-hours summary"] == "0"
    assert section.alert is None
