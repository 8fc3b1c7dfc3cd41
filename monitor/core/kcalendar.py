"""Korean business days and market hours (KST), shared by the poll schedule and the
digest. Public holidays come from the ``holidays`` package (South Korea)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from notifiers.base import KST as KST  # re-exported: monitor code reads the zone here

ACTIVE_START = time(7, 0)
ACTIVE_END = time(19, 30)


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    # The language is fixed: the library otherwise follows the process's LANG, so the
    # same day was "Chuseok" under one locale and "추석" under another.
    return holidays.country_holidays("KR", years=year, language="en_US")


def now_kst() -> datetime:
    return datetime.now(KST)


def today_kst() -> date:
    return now_kst().date()


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def holiday_name(day: date) -> str | None:
    name = _holidays(day.year).get(day)
    return str(name) if name else None


def next_business_day(day: date, *, inclusive: bool = True) -> date:
    current = day if inclusive else day + timedelta(days=1)
    while not is_business_day(current):
        current += timedelta(days=1)
    return current


def previous_business_day(day: date, *, inclusive: bool = False) -> date:
    current = day if inclusive else day - timedelta(days=1)
    while not is_business_day(current):
        current -= timedelta(days=1)
    return current


def digest_span(day: date) -> tuple[date, date]:
    """The receipt dates a business day's digest covers: everything after the previous
    business day, up to and including *day* (weekends and holidays roll forward)."""
    start = previous_business_day(day) + timedelta(days=1)
    return start, day


def is_active_time(moment: datetime) -> bool:
    """Whether *moment* is within market polling hours (07:00-19:30 KST, business days)."""
    local = moment.astimezone(KST)
    return is_business_day(local.date()) and ACTIVE_START <= local.time() < ACTIVE_END


def poll_interval_at(moment: datetime, interval: int, idle_interval: int) -> int:
    return interval if is_active_time(moment) else idle_interval
