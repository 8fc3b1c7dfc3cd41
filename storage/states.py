"""The states a stored filing and a delivery move through.

Apart from the table models so that the command line can offer them (``deliveries
--status``, ``dispatch``, ``status``) without importing SQLModel and SQLAlchemy, which
cost ~0.35 s of every ``dartwatch --help``.
"""

from __future__ import annotations

from enum import StrEnum


class AlertState(StrEnum):
    """Where a stored filing is on its way to the outbox (``filings.alert_state``)."""

    PENDING = "pending"  # stored, not matched and queued yet
    SUPPRESSED = "suppressed"  # history (backfill): stored as processed, never alerted
    DONE = "done"  # matched and queued


class DeliveryStatus(StrEnum):
    """A delivery's state in the outbox (``deliveries.status``): pending -> sending ->
    sent, or dead after the last attempt, or dropped when the destination is gone. An
    alert held through a chat's quiet hours waits as held, and is bundled when it goes
    out inside that chat's one summary of them. Values are stored as text; a StrEnum
    compares equal to its stored string."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    DROPPED = "dropped"
    HELD = "held"
    BUNDLED = "bundled"
