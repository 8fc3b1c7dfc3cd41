from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.core.quiet import KST, in_quiet_hours, quiet_until


@pytest.mark.parametrize(
    ("hour", "start", "end", "quiet"),
    [
        (23, 22, 7, True),
        (3, 22, 7, True),
        (7, 22, 7, False),
        (12, 22, 7, False),
        (13, 12, 14, True),
        (14, 12, 14, False),
        (5, 5, 5, False),
    ],
)
def test_in_quiet_hours(hour: int, start: int, end: int, quiet: bool) -> None:
    assert in_quiet_hours(hour, start, end) is quiet


def test_quiet_until_next_morning_kst() -> None:
    now = datetime(2026, 11, 27, 23, 30, tzinfo=KST)
    assert quiet_until(now, 22, 7) == datetime(2026, 11, 28, 7, 0, tzinfo=KST)


def test_quiet_until_same_night_after_midnight() -> None:
    now = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 03:00 KST on the 28th
    assert quiet_until(now, 22, 7) == datetime(2026, 11, 28, 7, 0, tzinfo=KST)


def test_not_quiet_or_off() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=KST)
    assert quiet_until(now, 22, 7) is None
    assert quiet_until(now, None, None) is None
