"""The request budget: every OpenDART request is counted per KST day in the database
*before* it is sent, so restarts and several processes share one count.

Three stops, each checked before a request and each persisted:
- our daily budget (``DART_DAILY_BUDGET``, below OpenDART's 20,000): :class:`BudgetExhausted`;
- a 020 from OpenDART pauses every call until the next 00:00 KST: :class:`QuotaPaused`;
- a fatal key status (010/011/012/901) stops every call until the key setting changes
  or ``dartwatch poll --force`` clears it: :class:`KeyRejected`.
A per-minute limiter (``DART_MAX_PER_MINUTE``) spaces bursts well under OpenDART's
~1,000/minute restriction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from monitor.core.kcalendar import KST, now_kst
from monitor.opendart.errors import (
    BudgetExhausted,
    InvalidKey,
    KeyRejected,
    QuotaExceeded,
    QuotaPaused,
    next_quota_reset,
)
from storage import meta
from storage import requests as request_days
from storage.db import Database
from storage.models import Meta

QUOTA_KEY = "dart.quota_paused_until"
FATAL_KEY = "dart.fatal"
MARKET_ROWS_KEY = "dart.market_rows_per_day"

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def key_fingerprint(key: str) -> str:
    """A short one-way tag of the key, so a stored fatal marker can tell whether the key
    changed since, without the key itself ever reaching the database."""
    return hashlib.sha256(f"dartwatch:{key}".encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class FatalState:
    status: str
    message: str
    at: datetime
    key_fingerprint: str


def _parse_pause(value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        until = datetime.fromisoformat(value)
    except ValueError:
        return None
    return until if until > now else None


def _parse_fatal(value: str | None) -> FatalState | None:
    if not value:
        return None
    try:
        data = json.loads(value)
        return FatalState(
            status=str(data["status"]),
            message=str(data["message"]),
            at=datetime.fromisoformat(data["at"]),
            key_fingerprint=str(data["key"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


async def quota_paused_until(db: Database, now: datetime | None = None) -> datetime | None:
    """When OpenDART calls may resume after a 020, or ``None`` when not paused."""
    return _parse_pause(await meta.get_value(db, QUOTA_KEY), now or now_kst())


async def fatal_state(db: Database, key: str | None = None) -> FatalState | None:
    """The recorded fatal key status, if any. Given the key in force, a marker recorded
    for a different key does not count: changing ``DART_API_KEY`` clears it."""
    state = _parse_fatal(await meta.get_value(db, FATAL_KEY))
    if state is None:
        return None
    if key is not None and state.key_fingerprint != key_fingerprint(key):
        return None
    return state


async def clear_fatal(db: Database) -> None:
    await meta.delete_value(db, FATAL_KEY)


async def clear_quota_pause(db: Database) -> None:
    await meta.delete_value(db, QUOTA_KEY)


async def used_today(db: Database, now: datetime | None = None) -> int:
    return await request_days.used_on(db, (now or now_kst()).astimezone(KST).date())


class MinuteLimiter:
    """At most *per_minute* requests in any sliding 60 s window (per process)."""

    def __init__(
        self,
        per_minute: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.per_minute = per_minute
        self._sent: deque[float] = deque()
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self.waited = 0.0

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._sent and now - self._sent[0] >= 60.0:
                    self._sent.popleft()
                if len(self._sent) < self.per_minute:
                    self._sent.append(now)
                    return
                wait = 60.0 - (now - self._sent[0]) + 0.001
                self.waited += wait
                await self._sleep(wait)


class RequestBudget:
    """Gatekeeper for every OpenDART request (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        *,
        daily_budget: int,
        per_minute: int,
        key: str,
        clock: Clock = now_kst,
        limiter: MinuteLimiter | None = None,
    ) -> None:
        self.db = db
        self.daily_budget = daily_budget
        self.limiter = limiter or MinuteLimiter(per_minute)
        self._fingerprint = key_fingerprint(key)
        self._clock = clock
        self.requests_made = 0

    def now(self) -> datetime:
        return self._clock().astimezone(KST)

    async def check(self) -> None:
        """Raise when no request may be made now (pause, fatal key, spent budget)."""
        now = self.now()
        async with self.db.session() as session:
            await self._check_markers(session, now)
        used = await request_days.used_on(self.db, now.date())
        if used >= self.daily_budget:
            raise BudgetExhausted(used, self.daily_budget, next_quota_reset(now))

    async def _check_markers(self, session: AsyncSession, now: datetime) -> None:
        rows = await session.exec(select(Meta).where(col(Meta.key).in_([QUOTA_KEY, FATAL_KEY])))
        values = {row.key: row.value for row in rows}
        paused = _parse_pause(values.get(QUOTA_KEY), now)
        if paused is not None:
            raise QuotaPaused(paused)
        fatal = _parse_fatal(values.get(FATAL_KEY))
        if fatal is not None and fatal.key_fingerprint == self._fingerprint:
            raise KeyRejected(fatal.status, fatal.message)

    async def acquire(self) -> None:
        """Count one request (or raise instead of allowing it)."""
        now = self.now()
        async with self.db.session() as session:
            await self._check_markers(session, now)
        await self.limiter.acquire()
        now = self.now()
        async with self.db.session() as session:
            used = await request_days.increment(session, now.date())
            if used > self.daily_budget:
                # Raising rolls the increment back: a refused request is not counted.
                raise BudgetExhausted(used - 1, self.daily_budget, next_quota_reset(now))
        self.requests_made += 1

    async def record_quota(self, error: QuotaExceeded) -> None:
        now = self.now()
        resume_at = next_quota_reset(now)
        error.resume_at = resume_at
        async with self.db.session() as session:
            await meta.put(session, QUOTA_KEY, resume_at.isoformat())
            await request_days.mark_quota_hit(session, now.date(), now)

    async def record_fatal(self, error: InvalidKey) -> None:
        payload = {
            "status": error.status,
            "message": str(error),
            "at": self.now().isoformat(),
            "key": self._fingerprint,
        }
        await meta.set_value(self.db, FATAL_KEY, json.dumps(payload, ensure_ascii=False))
