"""Which filings a digest covers, in KST business days.

The digest for business day D covers receipt dates in (previous business day, D]:
filings received on a weekend or a public holiday roll into the next business day's
digest, so nothing falls between two digests and nothing appears in two.
"""

from __future__ import annotations

from datetime import date, timedelta

from monitor.core import kcalendar

TREND_DAYS = 30


class NotABusinessDay(ValueError):
    """No digest is made for this day; ``digest_day`` is the one that includes it."""

    def __init__(self, day: date, digest_day: date, reason: str) -> None:
        self.day = day
        self.digest_day = digest_day
        self.reason = reason
        super().__init__(
            f"{day.isoformat()} is not a Korean business day ({reason}); its filings are in "
            f"the digest for {digest_day.isoformat()}"
        )


def why_not_business(day: date) -> str | None:
    """``None`` for a business day, else the reason (holiday name, Saturday, Sunday)."""
    name = kcalendar.holiday_name(day)
    if name:
        return f"public holiday: {name}"
    if day.weekday() == 5:
        return "Saturday"
    if day.weekday() == 6:
        return "Sunday"
    return None


def digest_day_for(day: date) -> date:
    """The business day whose digest includes filings received on *day*."""
    return kcalendar.next_business_day(day, inclusive=True)


def check_digest_day(day: date) -> date:
    """*day* itself when it is a business day; raise :class:`NotABusinessDay` otherwise."""
    reason = why_not_business(day)
    if reason is not None or not kcalendar.is_business_day(day):
        raise NotABusinessDay(day, digest_day_for(day), reason or "not a business day")
    return day


def span(day: date) -> tuple[date, date]:
    """First and last receipt date the digest of business day *day* covers."""
    return kcalendar.digest_span(day)


def span_days(day: date) -> list[date]:
    start, end = span(day)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def latest_digest_day(today: date) -> date:
    """Today when it is a business day, else the last business day before it."""
    return kcalendar.previous_business_day(today, inclusive=True)


def trend_window(day: date, days: int = TREND_DAYS) -> tuple[date, date]:
    """The calendar days the trend chart shows, ending with *day*."""
    return day - timedelta(days=days - 1), day


def yyyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")
