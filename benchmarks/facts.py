"""Facts: extraction time per filing for a 200 KB body (p95), and the extra OpenDART
requests facts cost per business day for the five companies.
Run: ``.venv/bin/python -m benchmarks.report --only facts --merge``.

Requests: every filing routed to DS005 or DS004 costs one request (body families read
the document the matcher already fetched; tests/test_facts_integration.py checks the
one-request rule through the local OpenDART), counted over every business day of the
bundled synthetic dataset of the five companies (2025-06 .. 2026-11), with the retry
budget (FACTS_MAX_ATTEMPTS) as the worst case.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from typing import Any

from monitor.facts import bodies
from monitor.facts.routing import route
from monitor.fakedart.dataset import load_companies, load_filings
from monitor.fakedart.facts import body_tables, fake_facts

P95_TARGET_MS = 20.0
REQUESTS_TARGET = 200
BODY_BYTES = 200_000


def _body(family: str, report_nm: str, size_bytes: int = BODY_BYTES) -> str:
    """A DART-XML body of about *size_bytes*: the family's real-layout table amid
    filler tables (as a filing with long attachments)."""
    import datetime as dt

    from monitor.core.kcalendar import KST
    from monitor.fakedart.model import DartRow

    row = DartRow(
        corp_code="00266961",
        corp_name="NAVER",
        stock_code="035420",
        corp_cls="Y",
        report_nm=report_nm,
        rcept_no="20260115800123",
        flr_nm="NAVER",
        rcept_dt="20260115",
        rm="유",
        visible_at=dt.datetime(2026, 1, 15, 12, tzinfo=KST),
    )
    facts = fake_facts(row)
    assert facts is not None and facts.family == family
    table = body_tables(facts)
    filler: list[str] = []
    size = len(table.encode())
    i = 0
    while size < size_bytes:
        line = (
            f"<TR><TD>{i}</TD><TD>항목 {i:05d}</TD><TE ALIGN='RIGHT'>{i * 7919:,}</TE>"
            "<TD>백만원</TD><TD>해당사항 없음</TD></TR>\n"
        )
        filler.append(line)
        size += len(line.encode())
        i += 1
    half = len(filler) // 2
    pad = "<TABLE><TBODY>{}</TBODY></TABLE>"
    return (
        '<?xml version="1.0" encoding="utf-8"?><DOCUMENT><BODY>'
        + pad.format("".join(filler[:half]))
        + table
        + pad.format("".join(filler[half:]))
        + "</BODY></DOCUMENT>"
    )


_CASES = [
    ("supply_contract", "단일판매ㆍ공급계약체결"),
    ("earnings", "연결재무제표기준영업(잠정)실적(공정공시)"),
    ("dividend", "현금ㆍ현물배당결정"),
    ("stake_acquisition", "타법인주식및출자증권취득결정"),
]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _extraction(size_bytes: int, label: str, target: bool) -> list[dict[str, Any]]:
    wall: list[float] = []
    cpu: list[float] = []
    for family, title in _CASES:
        markup = _body(family, title, size_bytes)
        bodies.extract(family, markup)  # warm-up (regex compilation, lxml start-up)
        for _ in range(15):
            started, started_cpu = time.perf_counter(), time.process_time()
            facts = bodies.extract(family, markup)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert facts.ok, family
    p95 = _p95(wall)
    return [
        {
            "name": f"facts extraction per filing, {label} body (p95, wall)",
            "value": round(p95, 2),
            "unit": "ms",
            "target": f"< {P95_TARGET_MS:g} ms" if target else "-",
            "ok": p95 < P95_TARGET_MS if target else None,
            "naive": None,
        },
        {
            "name": "  same, CPU time of the extracting thread (p95)",
            "value": round(_p95(cpu), 2),
            "unit": "ms",
            "target": "-",
            "ok": None,
            "naive": None,
        },
    ]


def _requests() -> list[dict[str, Any]]:
    from monitor.core.settings import Settings

    attempts = Settings.model_fields["facts_max_attempts"].default
    companies = {c.corp_code: c for c in load_companies()}
    per_day: Counter[str] = Counter()
    days: set[str] = set()
    for row in load_filings(companies):
        days.add(row.rcept_dt)
        where = route(row.report_nm)
        if where is not None and where.source in ("ds005", "ds004"):
            per_day[row.rcept_dt] += 1
    counts = [per_day.get(d, 0) for d in sorted(days)]
    worst = max(counts) if counts else 0
    return [
        {
            "name": "extra OpenDART requests per business day, five companies (max)",
            "value": worst,
            "unit": "requests",
            "target": f"< {REQUESTS_TARGET}",
            "ok": worst < REQUESTS_TARGET,
            "naive": None,
        },
        {
            "name": "extra OpenDART requests per business day, five companies (mean)",
            "value": round(statistics.mean(counts), 2) if counts else 0.0,
            "unit": "requests",
            "target": f"< {REQUESTS_TARGET}",
            "ok": True,
            "naive": None,
        },
        {
            "name": f"  worst day with every structured row missing ({attempts} tries)",
            "value": worst * attempts,
            "unit": "requests",
            "target": f"< {REQUESTS_TARGET}",
            "ok": worst * attempts < REQUESTS_TARGET,
            "naive": None,
        },
    ]


def run() -> list[dict[str, Any]]:
    return [
        *_extraction(BODY_BYTES, "200 KB", True),
        *_extraction(10_000, "10 KB (a typical exchange filing)", False),
        *_requests(),
    ]


if __name__ == "__main__":
    for r in run():
        print(f"{r['name']}: {r['value']} {r['unit']} (target {r['target']})")
