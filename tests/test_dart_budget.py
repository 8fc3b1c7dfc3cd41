"""The request budget, persisted: counts survive a restart, a 020 pauses every call
until 00:00 KST (also across restarts), a fatal key status sticks until the key
changes, and the daily budget refuses calls instead of making them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from monitor.core.kcalendar import KST
from monitor.opendart import errors
from monitor.opendart.budget import (
    MinuteLimiter,
    RequestBudget,
    clear_fatal,
    fatal_state,
    key_fingerprint,
    quota_paused_until,
    used_today,
)
from storage import requests as request_days
from storage.db import Database
from tests.conftest import TEST_KEY

OTHER_KEY = "f" * 40


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _budget(db: Database, clock: Clock, *, daily: int = 100, key: str = TEST_KEY) -> RequestBudget:
    return RequestBudget(db, daily_budget=daily, per_minute=10_000, key=key, clock=clock)


async def test_requests_are_counted_per_kst_day_and_survive_a_restart(db: Database) -> None:
    clock = Clock(datetime(2026, 1, 15, 23, 58, tzinfo=KST))
    first = _budget(db, clock)
    for _ in range(3):
        await first.acquire()
    restarted = _budget(db, clock)  # a new process: same database
    await restarted.acquire()
    assert await request_days.used_on(db, clock.now.date()) == 4
    clock.now += timedelta(minutes=3)  # 00:01 KST: a new day starts at zero
    await restarted.acquire()
    assert await used_today(db, clock.now) == 1
    assert await request_days.used_on(db, (clock.now - timedelta(days=1)).date()) == 4


async def test_daily_budget_refuses_without_counting(db: Database) -> None:
    clock = Clock(datetime(2026, 1, 15, 10, 0, tzinfo=KST))
    budget = _budget(db, clock, daily=3)
    for _ in range(3):
        await budget.acquire()
    with pytest.raises(errors.BudgetExhausted) as caught:
        await budget.acquire()
    assert caught.value.resume_at == datetime(2026, 1, 16, tzinfo=KST)
    assert await used_today(db, clock.now) == 3  # the refused call was not counted
    with pytest.raises(errors.BudgetExhausted):
        await budget.check()


async def test_quota_pause_persists_until_midnight_kst(db: Database) -> None:
    clock = Clock(datetime(2026, 1, 15, 14, 0, tzinfo=KST))
    budget = _budget(db, clock)
    await budget.record_quota(errors.QuotaExceeded())
    assert await quota_paused_until(db, clock.now) == datetime(2026, 1, 16, tzinfo=KST)
    restarted = _budget(db, clock)
    with pytest.raises(errors.QuotaPaused):
        await restarted.acquire()
    assert await used_today(db, clock.now) == 0
    clock.now = datetime(2026, 1, 16, 0, 0, 1, tzinfo=KST)
    await restarted.acquire()  # the new day: calls allowed again
    assert await quota_paused_until(db, clock.now) is None


async def test_fatal_marker_sticks_until_key_changes_or_cleared(db: Database) -> None:
    clock = Clock(datetime(2026, 1, 15, 14, 0, tzinfo=KST))
    budget = _budget(db, clock)
    await budget.record_fatal(errors.InvalidKey("011", "사용할 수 없는 키입니다."))
    state = await fatal_state(db, TEST_KEY)
    assert state is not None and state.status == "011"
    with pytest.raises(errors.KeyRejected) as caught:
        await _budget(db, clock).acquire()
    assert "DART_API_KEY" in str(caught.value)
    # A different key is not blocked by the old key's marker.
    assert await fatal_state(db, OTHER_KEY) is None
    await _budget(db, clock, key=OTHER_KEY).acquire()
    await clear_fatal(db)
    await _budget(db, clock).acquire()
    assert key_fingerprint(TEST_KEY) != key_fingerprint(OTHER_KEY)
    assert TEST_KEY not in key_fingerprint(TEST_KEY)


async def test_minute_limiter_waits_instead_of_bursting() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = MinuteLimiter(3, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await limiter.acquire()
    assert slept == []
    await limiter.acquire()
    assert len(slept) == 1 and 59.9 < slept[0] <= 60.01
    now[0] += 10
    await limiter.acquire()
    await limiter.acquire()
    assert len(slept) == 1  # the window slid: two more fit without waiting
