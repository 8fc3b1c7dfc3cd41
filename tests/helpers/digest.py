"""Fixed digest inputs for tests and the benchmark: the bundled synthetic OpenDART
dataset (``monitor/fakedart/data``) run through the real matcher, with each filing's
document topic as its body and the moment the fake publishes it as ``first_seen_at``.

Golden day: 2026-01-15, the stage-1 result of the K-AI project.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from monitor.digest.builder import CompanyRef, Digest, TrendPoint, build_digest, trend_markers
from monitor.digest.days import span_days, trend_window, yyyymmdd
from monitor.fakedart.dataset import load_companies, load_filings
from monitor.fakedart.model import DartRow
from monitor.kai.matcher import alert_from_match, match_filing
from monitor.kai.timeline import Timeline, bundled_timeline
from monitor.kai.timeline.views import timeline_box
from notifiers.base import Alert

GOLDEN_DAY = date(2026, 1, 15)


@lru_cache(maxsize=1)
def dataset() -> tuple[DartRow, ...]:
    companies = {c.corp_code: c for c in load_companies()}
    return tuple(sorted(load_filings(companies), key=lambda r: r.rcept_no))


def alert_for(row: DartRow, timeline: Timeline) -> Alert:
    body = row.document.topic or None
    match = match_filing(row, timeline, body, "ok" if body else "not_fetched")
    return alert_from_match(row, match, row.visible_at)


def companies() -> list[CompanyRef]:
    """The five watched companies with their English names and teams."""
    team = {"00266961": "naver", "00159023": "skt", "00181712": "skt", "00120021": "lg"}
    team["00261443"] = "ncai"
    names_en = {
        "00266961": "NAVER",
        "00159023": "SK Telecom",
        "00181712": "SK Inc.",
        "00120021": "LG Corp.",
        "00261443": "NCSOFT",
    }
    seen: dict[str, CompanyRef] = {}
    for row in dataset():
        if row.corp_code in names_en and row.corp_code not in seen:
            seen[row.corp_code] = CompanyRef(
                row.corp_code, row.corp_name, names_en[row.corp_code], team[row.corp_code]
            )
    return sorted(seen.values(), key=lambda c: c.corp_code)


def trend_points(rows: Iterable[Any], day: date) -> list[TrendPoint]:
    start, end = trend_window(day)
    counts: dict[tuple[str, str, date], int] = {}
    for row in rows:
        d = date(int(row.rcept_dt[:4]), int(row.rcept_dt[4:6]), int(row.rcept_dt[6:]))
        if start <= d <= end:
            key = (row.corp_code, row.corp_name, d)
            counts[key] = counts.get(key, 0) + 1
    return [TrendPoint(code, name, d, n) for (code, name, d), n in sorted(counts.items())]


def digest_inputs(day: date = GOLDEN_DAY, lang: str = "ko") -> dict[str, Any]:
    timeline = bundled_timeline()
    wanted = {yyyymmdd(d) for d in span_days(day)}
    rows = dataset()
    alerts = [alert_for(r, timeline) for r in rows if r.rcept_dt in wanted]
    start, end = trend_window(day)
    return {
        "day": day,
        "alerts": alerts,
        "trend_counts": trend_points(rows, day),
        "timeline_box": timeline_box(timeline, day, lang),
        "lang": lang,
        "companies": companies(),
        "markers": trend_markers(timeline, start, end, lang),
    }


def golden_digest(day: date = GOLDEN_DAY, lang: str = "ko") -> Digest:
    inputs = digest_inputs(day, lang)
    return build_digest(
        inputs["day"],
        inputs["alerts"],
        inputs["trend_counts"],
        inputs["timeline_box"],
        inputs["lang"],
        companies=inputs["companies"],
        markers=inputs["markers"],
    )


def previous_days(day: date, n: int) -> list[date]:
    return [day - timedelta(days=i) for i in range(n)]


async def store_dataset(db: Any, day: date = GOLDEN_DAY, *, matched: bool = True) -> int:
    """Store the dataset's filings of the 30 days ending on *day* (and the watched
    companies), matched as the pipeline would have matched them when *matched*."""
    from storage.companies import sync
    from storage.matches import save_matches
    from storage.models import Filing, utcnow

    timeline = bundled_timeline()
    start, end = trend_window(day)
    rows = [r for r in dataset() if yyyymmdd(start) <= r.rcept_dt <= yyyymmdd(end)]
    await sync(
        db,
        [
            {"corp_code": c.corp_code, "corp_name": c.name_ko, "corp_eng_name": c.name_en}
            for c in companies()
        ],
    )
    async with db.session() as session:
        for r in rows:
            session.add(
                Filing(
                    rcept_no=r.rcept_no,
                    corp_code=r.corp_code,
                    corp_name=r.corp_name,
                    stock_code=r.stock_code,
                    corp_cls=r.corp_cls,
                    report_nm=r.report_nm,
                    flr_nm=r.flr_nm,
                    rcept_dt=r.rcept_dt,
                    rm=r.rm,
                    first_seen_at=r.visible_at.astimezone(utcnow().tzinfo),
                    alert_state="done" if matched else "pending",
                )
            )
        if matched:
            await session.flush()
            body = {r.rcept_no: r.document.topic or None for r in rows}
            await save_matches(
                session,
                [
                    match_filing(
                        r, timeline, body[r.rcept_no], "ok" if body[r.rcept_no] else "not_fetched"
                    ).to_row()
                    for r in rows
                ],
            )
    return len(rows)
