"""The poll plan in numbers: OpenDART requests a business day costs at the settings in
force, with the RSS fast path healthy and without it (docs/detection.md).

Pure arithmetic over the same planner the poller uses (:func:`choose_strategy`), so
``dartwatch status`` and the benchmark report explain the figures the daemon produces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from monitor.core import kcalendar
from monitor.core.settings import Settings
from monitor.ingest.fastpath import CONFIRMS_PER_DAY
from monitor.ingest.poller import DEFAULT_MARKET_ROWS_PER_BUSINESS_DAY, choose_strategy

QUOTA = 20_000


def _active_seconds() -> int:
    day = date(2026, 1, 1)
    start = datetime.combine(day, kcalendar.ACTIVE_START)
    end = datetime.combine(day, kcalendar.ACTIVE_END)
    return int((end - start).total_seconds())


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One business day of list.json polling."""

    companies: int
    strategy: str
    per_poll: int
    active_interval: int
    idle_interval: int
    active_polls: int
    idle_polls: int
    confirms: int  # the most one-company confirmation calls a day may add

    @property
    def polls_requests(self) -> int:
        return self.per_poll * (self.active_polls + self.idle_polls)

    @property
    def total(self) -> int:
        return self.polls_requests + self.confirms

    def explain(self) -> str:
        return (
            f"{self.active_polls} polls every {self.active_interval}s (07:00-19:30 KST) + "
            f"{self.idle_polls} every {self.idle_interval}s otherwise, {self.per_poll} "
            f"request(s) each ({self.strategy}) = {self.polls_requests}"
            + (f", + at most {self.confirms} confirmations = {self.total}" if self.confirms else "")
            + f" ({self.total / QUOTA:.0%} of the 20,000 quota)"
        )


def day_plan(
    settings: Settings,
    companies: int,
    *,
    feed_healthy: bool,
    market_rows_per_day: int = DEFAULT_MARKET_ROWS_PER_BUSINESS_DAY,
) -> DayPlan:
    """Requests per business day for *companies* watched companies. Each company is
    assumed to have under 100 rows in the poll window (one page), the market
    ``market_rows_per_day`` filings per business day."""
    window_days = settings.poll_lookback_days + 1
    plan = choose_strategy([1] * companies, market_rows_per_day * window_days)
    per_poll = plan.per_company_cost if plan.strategy == "per-company" else plan.market_cost
    per_poll = max(1, per_poll) if companies else 0
    fast = settings.poll_interval_seconds
    active_interval = max(fast, settings.list_poll_seconds) if feed_healthy else fast
    active = _active_seconds()
    idle = 24 * 3600 - active
    return DayPlan(
        companies=companies,
        strategy=plan.strategy,
        per_poll=per_poll,
        active_interval=active_interval,
        idle_interval=settings.poll_idle_interval_seconds,
        active_polls=math.ceil(active / active_interval),
        idle_polls=math.ceil(idle / settings.poll_idle_interval_seconds),
        confirms=CONFIRMS_PER_DAY if feed_healthy and companies else 0,
    )
