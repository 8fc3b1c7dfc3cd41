"""The local OpenDART's own speed, so other benchmarks know it is not their bottleneck:
list.json requests per second over loopback (one company; a market-wide page of a
three-month window), a 200 KB document.xml, the corpCode.xml ZIP.
Run: ``.venv/bin/python -m benchmarks.fakedart``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import datetime
from typing import Any

import httpx

from monitor.core.kcalendar import KST
from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart, ManualClock

KEY = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2026, 11, 27, 18, 0, tzinfo=KST)


async def _timed(
    client: httpx.AsyncClient, path: str, params: dict[str, str], n: int
) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(path, params={"crtfc_key": KEY, **params})
        response.raise_for_status()
        times.append(time.perf_counter() - started)
    return times


async def _measure(base_url: str, fake: FakeDart) -> list[dict[str, Any]]:
    large = next(
        r["rcept_no"]
        for r in fake.visible_rows(["00159023"])
        if (row := fake.row(r["rcept_no"])) is not None and row.document.large
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        company = await _timed(
            client, "/list.json", {"corp_code": "00266961", "bgn_de": "20260101"}, 200
        )
        market_params = {"bgn_de": "20260828", "end_de": "20261127", "page_count": "100"}
        await _timed(client, "/list.json", market_params, 1)  # warm the noise days
        market = await _timed(client, "/list.json", {**market_params, "page_no": "150"}, 30)
        document = await _timed(client, "/document.xml", {"rcept_no": large}, 20)
        corpcode = await _timed(client, "/corpCode.xml", {}, 5)
    return [
        {
            "name": "fake OpenDART list.json, one company (req/s, loopback)",
            "value": len(company) / sum(company),
            "unit": "req/s",
            "target": "info",
            "ok": None,
            "naive": None,
        },
        {
            "name": "fake OpenDART list.json, market page of 3 months (p50)",
            "value": statistics.median(market) * 1000,
            "unit": "ms",
            "target": "info",
            "ok": None,
            "naive": None,
        },
        {
            "name": "fake OpenDART document.xml, 200 KB body (p50)",
            "value": statistics.median(document) * 1000,
            "unit": "ms",
            "target": "info",
            "ok": None,
            "naive": None,
        },
        {
            "name": "fake OpenDART corpCode.xml, 3,000+ companies (p50)",
            "value": statistics.median(corpcode) * 1000,
            "unit": "ms",
            "target": "info",
            "ok": None,
            "naive": None,
        },
    ]


def run() -> list[dict[str, Any]]:
    started = time.perf_counter()
    fake = FakeDart(clock=ManualClock(NOW))
    built = time.perf_counter() - started
    with serve_in_thread(fake) as url:
        rows = asyncio.run(_measure(f"{url}/api", fake))
    rows.insert(
        0,
        {
            "name": "fake OpenDART start (dataset + 3,000 noise companies)",
            "value": built * 1000,
            "unit": "ms",
            "target": "info",
            "ok": None,
            "naive": None,
        },
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<58} {row['value']:>10,.1f} {row['unit']}")
