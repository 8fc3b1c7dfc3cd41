from __future__ import annotations

from datetime import date, datetime

import pytest

from monitor.core.kcalendar import (
    KST,
    digest_span,
    is_active_time,
    is_business_day,
    next_business_day,
    poll_interval_at,
)


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 2, 17), False),  # Seollal 2026
        (date(2026, 9, 25), False),  # Chuseok 2026
        (date(2026, 10, 9), False),  # Hangul Day
        (date(2026, 10, 8), True),
    ],
)
def test_business_days(day: date, business: bool) -> None:
    assert is_business_day(day) is business


def test_weekend_rolls_into_monday_digest() -> None:
    assert next_business_day(date(2026, 11, 28)) == date(2026, 11, 30)
    assert digest_span(date(2026, 11, 30)) == (date(2026, 11, 28), date(2026, 11, 30))


def test_active_window() -> None:
    assert is_active_time(datetime(2026, 11, 27, 7, 0, tzinfo=KST))
    assert is_active_time(datetime(2026, 11, 27, 19, 29, tzinfo=KST))
    assert not is_active_time(datetime(2026, 11, 27, 19, 30, tzinfo=KST))
    assert not is_active_time(datetime(2026, 11, 28, 12, 0, tzinfo=KST))
    assert poll_interval_at(datetime(2026, 11, 27, 12, 0, tzinfo=KST), 30, 600) == 30
    assert poll_interval_at(datetime(2026, 11, 27, 23, 0, tzinfo=KST), 30, 600) == 600
