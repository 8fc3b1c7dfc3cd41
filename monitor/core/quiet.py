"""Quiet hours, in KST: when an alert may be delivered to a subscriber."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.core.kcalendar import KST


def in_quiet_hours(hour: int, start: int, end: int) -> bool:
    """Whether *hour* (0-23) falls in [start, end); the range may wrap midnight."""
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def quiet_until(now: datetime, start: int | None, end: int | None) -> datetime | None:
    """The moment quiet hours end if *now* is inside them, else None.

    Held alerts are due at that moment, so they arrive when the subscriber wakes up.
    """
    if start is None or end is None:
        return None
    local = now.astimezone(KST)
    if not in_quiet_hours(local.hour, start, end):
        return None
    release = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release
