"""Ingestion cost and speed. Run: ``.venv/bin/python -m benchmarks.ingest``.

1. OpenDART requests per poll and projected per day at the default schedule (every
   30 s from 07:00 to 19:30 KST on business days, every 600 s otherwise), for 5 and for
   500 watched companies: per-company queries, one market-wide query, and the plan the
   poller chooses. Measured by polling the local OpenDART (about 500 market-wide
   filings per business day, like the real one) once per hour of a business day and
   weighting each hour by the polls the schedule makes in it. The naive figure is what
   a typical DART bot does: one list.json call per company per poll.
2. Ingest throughput (filings/s): a 3-month backfill of the bundled data through the
   real client and poller into SQLite (and PostgreSQL when TEST_DATABASE_URL is set),
   for the 5 companies and for a 500-company watchlist (market-wide plan).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.core.kcalendar import KST, poll_interval_at
from monitor.core.loopback import serve_in_thread
from monitor.core.settings import Settings, load_settings
from monitor.fakedart import FakeDart, ManualClock
from monitor.ingest.companies import WatchEntry, Watchlist, load_watchlist
from monitor.ingest.poller import MARKET_WIDE, PER_COMPANY, Poller
from monitor.opendart.client import Backoff, DartClient
from storage.db import Database
from storage.migrate import upgrade_sync

KEY = "0123456789abcdef0123456789abcdef01234567"
QUOTA = 20_000
BUSINESS_DAY = date(2026, 1, 15)  # a Thursday in the bundled data
HOLIDAY = date(2026, 1, 17)  # a Saturday
FAST = Backoff(0.01, 0.1, 0.01)


def polls_per_hour(day: date, interval: int = 30, idle: int = 600) -> list[int]:
    """How many polls the default schedule makes in each hour of *day* (KST)."""
    counts = [0] * 24
    moment = datetime(day.year, day.month, day.day, tzinfo=KST)
    end = moment + timedelta(days=1)
    while moment < end:
        counts[moment.hour] += 1
        moment += timedelta(seconds=poll_interval_at(moment, interval, idle))
    return counts


def _settings(base_url: str, db_url: str) -> Settings:
    return load_settings(
        DART_API_KEY=KEY, DART_BASE_URL=base_url, DATABASE_URL=db_url, DART_MAX_RETRIES=2
    )


def _watchlist(fake: FakeDart, size: int) -> Watchlist:
    base = [e for e in load_watchlist().entries if e.kind == "company"]
    extra = [
        WatchEntry(
            kind="company", name=c.corp_name, corp_code=c.corp_code, stock_code=c.stock_code or None
        )
        for c in fake.noise.companies[: max(0, size - len(base))]
    ]
    return Watchlist(tuple(base + extra))


@contextlib.contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_sync(url)
        yield url


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.db import sync_url

    admin = os.environ["TEST_DATABASE_URL"]
    name = f"dartwatch_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_sync(url)
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


async def _poll_costs(
    base_url: str, fake: FakeDart, clock: ManualClock, size: int
) -> dict[str, Any]:
    """Requests of one poll at each hour of a business day, per strategy."""
    watchlist = _watchlist(fake, size)
    per_hour: dict[str, list[int]] = {PER_COMPANY: [], MARKET_WIDE: [], "chosen": []}
    chosen_names: set[str] = set()
    with _sqlite() as url:
        settings = _settings(base_url, url)
        db = Database(url)
        client = DartClient(settings, backoff=FAST)
        try:
            for hour in range(24):
                clock.set(
                    datetime.combine(BUSINESS_DAY, datetime.min.time(), KST)
                    + timedelta(hours=hour, minutes=30)
                )
                for prefer in (MARKET_WIDE, None):
                    poller = Poller(
                        settings, db, client, watchlist=watchlist, clock=clock, prefer=prefer
                    )
                    result = await poller.poll()
                    if not result.ok:
                        raise RuntimeError(f"benchmark poll failed: {result.summary()}")
                    per_hour[prefer or "chosen"].append(result.requests)
                    if prefer is None:
                        chosen_names.add(result.strategy)
            # Per-company costs one call per company per page at any hour; measured once.
            poller = Poller(
                settings, db, client, watchlist=watchlist, clock=clock, prefer=PER_COMPANY
            )
            one = (await poller.poll()).requests
            per_hour[PER_COMPANY] = [one] * 24
        finally:
            await client.aclose()
            await db.dispose()
    business = polls_per_hour(BUSINESS_DAY)
    other = polls_per_hour(HOLIDAY)
    out: dict[str, Any] = {
        "size": size,
        "polls_business_day": sum(business),
        "polls_other_day": sum(other),
    }
    for name, costs in per_hour.items():
        out[name] = {
            "per_poll_mean": sum(c * n for c, n in zip(costs, business, strict=True))
            / sum(business),
            "per_poll_max": max(costs),
            "per_business_day": sum(c * n for c, n in zip(costs, business, strict=True)),
        }
    out["chosen_strategy"] = "/".join(sorted(chosen_names))
    out["naive_per_day"] = size * sum(business)
    return out


async def _backfill(
    base_url: str, db_url: str, fake: FakeDart, clock: ManualClock, size: int
) -> dict[str, Any]:
    settings = _settings(base_url, db_url)
    db = Database(db_url)
    client = DartClient(settings, backoff=FAST)
    clock.set(datetime(2026, 1, 15, 12, 0, tzinfo=KST))
    try:
        poller = Poller(settings, db, client, watchlist=_watchlist(fake, size), clock=clock)
        started = time.perf_counter()
        result = await poller.backfill(date(2025, 9, 1), date(2025, 11, 30))
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
        await db.dispose()
    if not result.ok:
        raise RuntimeError(f"benchmark backfill failed: {result.summary()}")
    return {
        "filings": len(result.new),
        "listed": result.listed,
        "requests": result.requests,
        "seconds": elapsed,
        "rate": len(result.new) / elapsed if elapsed else math.inf,
        "strategy": result.strategy,
    }


async def _measure() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    clock = ManualClock(datetime(2026, 1, 15, 12, 0, tzinfo=KST))
    fake = FakeDart(clock=clock, noise_per_day=500, noise_companies=3000, seed=1)
    costs: list[dict[str, Any]] = []
    throughput: list[dict[str, Any]] = []
    with serve_in_thread(fake) as url:
        base = f"{url}/api"
        for size in (5, 500):
            costs.append(await _poll_costs(base, fake, clock, size))
        databases: list[tuple[str, Any]] = [("sqlite", _sqlite)]
        if os.environ.get("TEST_DATABASE_URL"):
            databases.append(("postgresql", _postgres))
        for db_name, factory in databases:
            for size in (5, 500):
                with factory() as db_url:
                    figures = await _backfill(base, db_url, fake, clock, size)
                figures.update(db=db_name, size=size)
                throughput.append(figures)
    return costs, throughput


def run() -> list[dict[str, Any]]:
    costs, throughput = asyncio.run(_measure())
    rows: list[dict[str, Any]] = []
    for c in costs:
        n = c["size"]
        chosen = c["chosen"]
        rows += [
            {
                "name": f"ingest: requests/poll, {n} companies, per-company",
                "value": round(c[PER_COMPANY]["per_poll_mean"], 1),
                "unit": "requests",
                "target": None,
                "ok": None,
                "naive": n,
            },
            {
                "name": f"ingest: requests/poll, {n} companies, market-wide",
                "value": round(c[MARKET_WIDE]["per_poll_mean"], 1),
                "unit": "requests",
                "target": None,
                "ok": None,
                "naive": n,
            },
            {
                "name": f"ingest: requests/poll, {n} companies, chosen ({c['chosen_strategy']})",
                "value": round(chosen["per_poll_mean"], 1),
                "unit": "requests",
                "target": f"max {chosen['per_poll_max']} per poll",
                "ok": None,
                "naive": n,
            },
            {
                "name": f"ingest: requests/business day, {n} companies, chosen",
                "value": int(chosen["per_business_day"]),
                "unit": "requests",
                "target": f"< {QUOTA:,} quota",
                "ok": chosen["per_business_day"] < QUOTA,
                "naive": c["naive_per_day"],
            },
        ]
    for t in throughput:
        rows.append(
            {
                "name": (
                    f"ingest: 3-month backfill, {t['size']} companies, {t['db']} "
                    f"({t['filings']} filings, {t['requests']} req)"
                ),
                "value": round(t["rate"], 1),
                "unit": "filings/s",
                "target": None,
                "ok": None,
                "naive": None,
            }
        )
    return rows


def main() -> None:
    rows = run()
    width = max(len(r["name"]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>10}  {'unit':<10}  {'target':<22}  {'naive bot':>10}")
    for r in rows:
        naive = "" if r["naive"] is None else f"{r['naive']:,}"
        value = f"{r['value']:,}" if isinstance(r["value"], int) else f"{r['value']:,.1f}"
        print(
            f"{r['name']:<{width}}  {value:>10}  {r['unit']:<10}  "
            f"{r['target'] or '':<22}  {naive:>10}"
        )
    business = polls_per_hour(BUSINESS_DAY)
    print(
        f"\nschedule: {sum(business)} polls per business day "
        f"({sum(business[7:19]) + business[19]} from 07:00 to 20:00), "
        f"{sum(polls_per_hour(HOLIDAY))} on other days; OpenDART quota {QUOTA:,}/day, "
        "dartwatch budget DART_DAILY_BUDGET=15,000/day"
    )


if __name__ == "__main__":
    main()
