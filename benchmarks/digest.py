"""Digest generation time (target under 1 s each), on one core:

- a day with 600 filings: build the digest from its alerts and render every format
  (HTML with the SVG chart, Markdown, text with Telegram parts, JSON, CSV);
- a 30-day trend over 30 x 600 = 18,000 stored filings: the whole ``dartwatch digest``
  path on SQLite (query the day's filings and matches, one GROUP BY for the trend,
  rebuild alerts, build, render every format). ``naive`` is the same trend counted the
  way a simple bot does it: one query per day, rows loaded and counted in Python.

Run: ``.venv/bin/python -m benchmarks.digest``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from monitor.digest.builder import build_digest, trend_markers
from monitor.digest.days import trend_window, yyyymmdd
from monitor.digest.render import to_message
from monitor.digest.service import load_digest
from monitor.fakedart.dataset import load_companies, load_filings
from monitor.kai.matcher import alert_from_match, match_filing
from monitor.kai.timeline import Timeline, bundled_timeline
from monitor.kai.timeline.views import timeline_box
from notifiers.base import Alert
from storage.db import Database
from storage.matches import save_matches
from storage.migrate import upgrade
from storage.models import Filing

DAY = date(2026, 1, 15)
PER_DAY = 600
TARGET_SECONDS = 1.0


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _templates() -> list[Any]:
    companies = {c.corp_code: c for c in load_companies()}
    return [r for r in load_filings(companies) if r.corp_code in companies][:120]


def _rows_for(day: date, templates: list[Any]) -> list[Any]:
    dt = yyyymmdd(day)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=1)
    return [
        replace(
            templates[i % len(templates)],
            rcept_no=f"{dt}{i:06d}",
            rcept_dt=dt,
            visible_at=start + timedelta(seconds=50 * i),
        )
        for i in range(PER_DAY)
    ]


def _alerts(rows: list[Any], timeline: Timeline) -> list[Alert]:
    out = []
    for r in rows:
        body = r.document.topic or None
        match = match_filing(r, timeline, body, "ok" if body else "not_fetched")
        out.append(alert_from_match(r, match, r.visible_at))
    return out


def _best(fn: Any, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bench_day(timeline: Timeline, templates: list[Any]) -> tuple[float, int]:
    alerts = _alerts(_rows_for(DAY, templates), timeline)
    start, end = trend_window(DAY)
    box = timeline_box(timeline, DAY, "ko")
    markers = trend_markers(timeline, start, end, "ko")

    def once() -> int:
        digest = build_digest(DAY, alerts, [], box, "ko", markers=markers)
        message = to_message(digest)
        return len(message.html) + len(message.text_parts)

    once()  # warm the template cache, as a running daemon has it
    return _best(once), len(to_message(build_digest(DAY, alerts, [], box, "ko")).text_parts)


async def _populate(db: Database, timeline: Timeline, templates: list[Any]) -> int:
    start, end = trend_window(DAY)
    total = 0
    day = start
    while day <= end:
        rows = _rows_for(day, templates)
        async with db.session() as session:
            for r in rows:
                session.add(
                    Filing(
                        rcept_no=r.rcept_no,
                        corp_code=r.corp_code,
                        corp_name=r.corp_name,
                        stock_code=r.stock_code,
                        report_nm=r.report_nm,
                        flr_nm=r.flr_nm,
                        rcept_dt=r.rcept_dt,
                        rm=r.rm,
                        first_seen_at=r.visible_at,
                        alert_state="done",
                    )
                )
            await session.flush()
            await save_matches(session, [match_filing(r, timeline).to_row() for r in rows])
        total += len(rows)
        day += timedelta(days=1)
    return total


async def _naive_trend(db: Database) -> int:
    start, end = trend_window(DAY)
    counts: Counter[tuple[str, str]] = Counter()
    day = start
    while day <= end:
        async with db.session() as session:
            rows = (
                await session.exec(select(Filing).where(col(Filing.rcept_dt) == yyyymmdd(day)))
            ).all()
        for f in rows:
            counts[(f.corp_code, f.rcept_dt)] += 1
        day += timedelta(days=1)
    return sum(counts.values())


async def bench_trend(timeline: Timeline, templates: list[Any]) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        db = Database(url)
        try:
            stored = await _populate(db, timeline, templates)

            async def once() -> None:
                to_message(await load_digest(db, timeline, DAY, "ko"))

            await once()
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                await once()
                best = min(best, time.perf_counter() - started)
            naive_best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                await _naive_trend(db)
                naive_best = min(naive_best, time.perf_counter() - started)
        finally:
            await db.dispose()
    return best, naive_best, stored


def run() -> list[dict[str, Any]]:
    _one_core()
    timeline = bundled_timeline()
    templates = _templates()
    day_seconds, parts = bench_day(timeline, templates)
    trend_seconds, naive_seconds, stored = asyncio.run(bench_trend(timeline, templates))
    return [
        {
            "name": f"digest: {PER_DAY} filings, all formats ({parts} Telegram parts)",
            "value": round(day_seconds, 3),
            "unit": "s",
            "target": f"< {TARGET_SECONDS:g} s",
            "ok": day_seconds < TARGET_SECONDS,
            "naive": None,
        },
        {
            "name": f"digest from SQLite, 30-day trend over {stored:,} filings",
            "value": round(trend_seconds, 3),
            "unit": "s",
            "target": f"< {TARGET_SECONDS:g} s",
            "ok": trend_seconds < TARGET_SECONDS,
            "naive": round(naive_seconds, 3),
        },
    ]


def main() -> None:
    rows = run()
    print(f"{'benchmark':<62} {'value':>8} {'unit':<4} {'naive':>8}  target")
    for r in rows:
        naive = "-" if r["naive"] is None else f"{r['naive']:.3f}"
        verdict = {True: "ok", False: "MISSED", None: ""}[r["ok"]]
        print(
            f"{r['name']:<62} {r['value']:>8.3f} {r['unit']:<4} {naive:>8}  {r['target']} {verdict}"
        )


if __name__ == "__main__":
    main()
