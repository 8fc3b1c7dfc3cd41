"""Detection through the RSS fast path, and what list.json costs beside it.

1. Latency: ``dartwatch run`` (a subprocess) with the default settings except
   ``POLL_INTERVAL_SECONDS=60`` and the feed URL pointing at the local OpenDART; filings
   appear in the feed at random moments while list.json lists them only 2 minutes later,
   so only the fast path can deliver them in time. For each: from appearing in the feed
   to its Telegram message being accepted by the fake Bot API. Target: p95 <= 10 s.
   The fast path reads every 3 s in market hours (07:00-19:30 KST, business days) and
   every 6 s otherwise; the row says which applied.
2. OpenDART requests per business day at the defaults with the feed healthy, for 5 and
   300 watched companies: one real poll against the local OpenDART at every hour of a
   business day (its cost varies with the market's volume), times the polls of that
   hour at ``LIST_POLL_SECONDS`` (90 s) / ``POLL_IDLE_INTERVAL_SECONDS`` (600 s), plus
   one confirmation call per watched filing of the day (at most 200). Target: <= 10,000
   (half the quota).

Run: .venv/bin/python -m benchmarks.detection [--filings 40]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import BUSINESS_DAY, KEY, _settings, _sqlite, _watchlist  # noqa: E402
from benchmarks.latency import (  # noqa: E402
    CHAT,
    COMPANIES,
    _daemon,
    _env,
    _subscribe,
    _wait,
)
from monitor.core import kcalendar  # noqa: E402
from monitor.core.kcalendar import KST, poll_interval_at  # noqa: E402
from monitor.core.loopback import serve_in_thread  # noqa: E402
from monitor.fakedart import FakeDart, ManualClock  # noqa: E402
from monitor.ingest.fastpath import CONFIRMS_PER_DAY  # noqa: E402
from monitor.ingest.poller import Poller  # noqa: E402
from monitor.opendart.client import Backoff, DartClient  # noqa: E402
from storage.db import Database  # noqa: E402
from testkit.fakes.telegram_api import FakeTelegram  # noqa: E402

LIST_LAG = timedelta(minutes=2)


def latency(filings: int = 40) -> dict[str, float]:
    fake = FakeDart(keys={KEY}, dataset=False, noise_per_day=100)
    tg = FakeTelegram()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_in_thread(fake) as dart,
        serve_in_thread(tg) as tgu,
    ):
        env = _env(dart, tgu, Path(tmp) / "det.db", 60)
        env.update(DART_RSS_URL=f"{dart}/api/todayRSS.xml", POLL_IDLE_INTERVAL_SECONDS="600")
        env.pop("DOCUMENT_TIMEOUT_SECONDS", None)
        log_path = Path(tmp) / "det.log"
        proc = _daemon(env, log_path)
        try:
            _wait(lambda: bool(tg.calls("getUpdates")), 30)
            # One investor per company: Telegram's 1 message/s per chat would otherwise
            # queue two filings of one company, which is not detection latency.
            chats = {code: CHAT + i for i, code in enumerate(COMPANIES)}
            for code, chat in chats.items():
                _subscribe(tg, chat, code)
            market_hours = kcalendar.is_active_time(kcalendar.now_kst())
            rng = random.Random(11)
            start = fake.now() + timedelta(seconds=2)
            rows = []
            for _ in range(filings):
                feed_at = start + timedelta(seconds=rng.uniform(0, filings * 1.5))
                rows.append(
                    fake.publish(
                        {"corp_code": rng.choice(COMPANIES), "report_nm": "기업설명회(IR)개최"},
                        feed_at + LIST_LAG,
                        feed_at=feed_at,
                    )
                )
            in_feed = {r.rcept_no: r.feed_moment.timestamp() for r in rows}
            wall_minus_mono = time.time() - time.monotonic()

            def received() -> list[Any]:
                return [m for chat in chats.values() for m in tg.sent_messages(chat)]

            def done() -> bool:
                got = {n for s in received() if (n := s.dart_rcept_no())}
                return set(in_feed) <= got

            try:
                _wait(done, filings * 1.5 + 120)
            except TimeoutError:
                tail = log_path.read_text(errors="replace")[-1500:]
                raise TimeoutError(f"not every alert arrived; log tail: {tail}") from None
            arrived: dict[str, float] = {}
            for s in received():
                n = s.dart_rcept_no()
                if n and n not in arrived:
                    arrived[n] = s.at + wall_minus_mono
            lat = sorted(arrived[r] - in_feed[r] for r in in_feed)
            before_listing = sum(1 for v in lat if v < LIST_LAG.total_seconds())
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    q = statistics.quantiles(lat, n=20)
    return {
        "p50": statistics.median(lat),
        "p95": q[18],
        "max": lat[-1],
        "n": len(lat),
        "before_listing": before_listing,
        "market_hours": float(market_hours),
    }


def _polls_per_hour(day: date, interval: int, idle: int) -> list[int]:
    counts = [0] * 24
    moment = datetime(day.year, day.month, day.day, tzinfo=KST)
    end = moment + timedelta(days=1)
    while moment < end:
        counts[moment.hour] += 1
        moment += timedelta(seconds=poll_interval_at(moment, interval, idle))
    return counts


async def _day_cost(fake: FakeDart, clock: ManualClock, base_url: str, size: int) -> dict[str, Any]:
    watchlist = _watchlist(fake, size)
    codes = [e.corp_code for e in watchlist.entries if e.corp_code]
    with _sqlite() as url:
        settings = _settings(base_url, url)
        db = Database(url)
        client = DartClient(settings, backoff=Backoff(0.01, 0.1, 0.01))
        costs: list[int] = []
        strategies: set[str] = set()
        try:
            for hour in range(24):
                clock.set(
                    datetime.combine(BUSINESS_DAY, datetime.min.time(), KST)
                    + timedelta(hours=hour, minutes=30)
                )
                result = await Poller(settings, db, client, watchlist=watchlist, clock=clock).poll()
                if not result.ok:
                    raise RuntimeError(f"benchmark poll failed: {result.summary()}")
                costs.append(result.requests)
                strategies.add(result.strategy)
        finally:
            await client.aclose()
            await db.dispose()
    interval = max(settings.poll_interval_seconds, settings.list_poll_seconds)
    polls = _polls_per_hour(BUSINESS_DAY, interval, settings.poll_idle_interval_seconds)
    day_end = datetime.combine(BUSINESS_DAY, datetime.max.time(), KST)
    wanted = set(codes)
    filed = sum(1 for r in fake.feed_rows(at=day_end) if r.corp_code in wanted)
    confirms = min(CONFIRMS_PER_DAY, filed)
    polls_cost = sum(c * n for c, n in zip(costs, polls, strict=True))
    return {
        "size": size,
        "polls": sum(polls),
        "interval": interval,
        "polls_cost": polls_cost,
        "confirms": confirms,
        "total": polls_cost + confirms,
        "strategy": "/".join(sorted(strategies)),
    }


async def requests_per_day() -> list[dict[str, Any]]:
    clock = ManualClock(datetime(2026, 1, 15, 12, 0, tzinfo=KST))
    fake = FakeDart(clock=clock, noise_per_day=600, noise_companies=3000, seed=1)
    with serve_in_thread(fake) as url:
        return [await _day_cost(fake, clock, f"{url}/api", size) for size in (5, 300)]


def run(filings: int = 40) -> list[dict[str, Any]]:
    lat = latency(filings)
    when = "market hours, 3 s feed" if lat["market_hours"] else "idle hours, 6 s feed"
    rows: list[dict[str, Any]] = [
        {
            "name": f"RSS fast path: feed → Telegram p50 ({int(lat['n'])} filings, {when})",
            "value": round(lat["p50"], 2),
            "unit": "s",
            "target": "-",
            "ok": None,
            "naive": None,
        },
        {
            "name": "RSS fast path: feed → Telegram p95 (defaults, POLL_INTERVAL 60 s)",
            "value": round(lat["p95"], 2),
            "unit": "s",
            "target": "<= 10 s",
            "ok": lat["p95"] <= 10.0,
            "naive": None,
        },
        {
            "name": "RSS fast path: alerts sent before list.json listed the filing",
            "value": int(lat["before_listing"]),
            "unit": "filings",
            "target": f"all {int(lat['n'])}",
            "ok": lat["before_listing"] == lat["n"],
            "naive": 0,
        },
    ]
    for day in asyncio.run(requests_per_day()):
        rows.append(
            {
                "name": (
                    f"OpenDART requests/business day, {day['size']} companies, feed healthy "
                    f"({day['polls']} polls at {day['interval']} s/600 s, {day['strategy']}, "
                    f"+{day['confirms']} confirmations)"
                ),
                "value": int(day["total"]),
                "unit": "requests",
                "target": "<= 10,000",
                "ok": day["total"] <= 10_000,
                "naive": None,
            }
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filings", type=int, default=40)
    a = parser.parse_args()
    for row in run(a.filings):
        print(f"{row['name']:<100} {row['value']:>8} {row['unit']:<8} target {row['target']}")
