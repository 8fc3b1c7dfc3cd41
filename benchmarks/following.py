"""OpenDART requests per day when chats follow companies beyond the watchlist.
Run: ``.venv/bin/python -m benchmarks.following``.

The watchlist (the five K-AI companies) plus companies that Telegram chats follow with
``/subscribe``, for 5, 50 and 300 companies polled in all: the real poller polls the
local OpenDART (about 500 market-wide filings per business day) once per hour of a
business day, and each hour is weighted by the polls the default schedule makes in it
(as in ``benchmarks.ingest``). The poll plan chooses per-company or market-wide by cost
on every poll; the naive figure is one list.json call per company per poll.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from benchmarks.ingest import BUSINESS_DAY, FAST, _settings, _sqlite, polls_per_hour
from monitor.core.kcalendar import KST
from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart, ManualClock
from monitor.ingest.poller import Poller
from monitor.opendart.client import DartClient
from storage import subscribers as subs
from storage.db import Database

SIZES = (5, 50, 300)
BUDGET = 15_000  # DART_DAILY_BUDGET's default, under OpenDART's 20,000 a day


async def _follow(db: Database, codes: list[str]) -> None:
    """One chat per followed company (the worst case for the subscriptions table)."""
    async with db.session() as s:
        for i, code in enumerate(codes):
            sub = await subs.get_or_create(s, 10_000 + i)
            assert sub.id is not None
            await subs.subscribe(s, sub.id, [code])


async def _per_day(base_url: str, fake: FakeDart, clock: ManualClock, size: int) -> dict[str, Any]:
    with _sqlite() as url:
        settings = _settings(base_url, url)
        db = Database(url)
        client = DartClient(settings, backoff=FAST)
        try:
            followed = [c.corp_code for c in fake.noise.companies[: max(0, size - 5)]]
            await _follow(db, followed)
            poller = Poller(settings, db, client, clock=clock)
            clock.set(datetime.combine(BUSINESS_DAY, datetime.min.time(), KST))
            await poller.poll()  # warm up: the watchlist sync and corpCode
            costs: list[int] = []
            strategies: set[str] = set()
            for hour in range(24):
                clock.set(
                    datetime.combine(BUSINESS_DAY, datetime.min.time(), KST)
                    + timedelta(hours=hour, minutes=30)
                )
                result = await poller.poll()
                if not result.ok:
                    raise RuntimeError(f"benchmark poll failed: {result.summary()}")
                costs.append(result.requests)
                strategies.add(result.strategy)
            polled = len(await poller.with_followed(await poller._watched_codes(result)))
        finally:
            await client.aclose()
            await db.dispose()
    business = polls_per_hour(BUSINESS_DAY)
    return {
        "size": size,
        "polled": polled,
        "per_day": sum(c * n for c, n in zip(costs, business, strict=True)),
        "naive": size * sum(business),
        "strategies": "/".join(sorted(strategies)),
    }


async def _measure() -> list[dict[str, Any]]:
    clock = ManualClock(datetime(2026, 1, 15, 12, 0, tzinfo=KST))
    fake = FakeDart(clock=clock, noise_per_day=500, noise_companies=3000, seed=1)
    with serve_in_thread(fake) as url:
        return [await _per_day(f"{url}/api", fake, clock, size) for size in SIZES]


def run() -> list[dict[str, Any]]:
    rows = []
    for m in asyncio.run(_measure()):
        rows.append(
            {
                "name": f"requests/business day, {m['size']} companies polled "
                f"({m['size'] - 5} followed by chats; plan: {m['strategies']})",
                "value": m["per_day"],
                "unit": "requests",
                "target": f"≤ {BUDGET:,} (DART_DAILY_BUDGET)",
                "ok": m["per_day"] <= BUDGET and m["polled"] == m["size"],
                "naive": m["naive"],
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']:,} {row['unit']} (naive {row['naive']:,})")
