"""Matcher throughput: filings per second, title only and with a 200 KB document body,
on one core. Run: ``.venv/bin/python -m benchmarks.matcher``.

``naive`` for the body case is the same scan done the obvious way (one regex per term
variant over the body) for comparison; the title case has no naive variant.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from monitor.kai.matcher import FilingInput, match_filing, rules_for
from monitor.kai.timeline import load_timeline

TITLE_TARGET = 5000.0  # filings/s, title only, one core

_TITLES = [
    ("00120021", "003550", "기타경영사항(자율공시)(K-EXAONE 오픈웨이트 공개)"),
    ("00120021", "003550", "임원ㆍ주요주주특정증권등소유상황보고서"),
    ("00266961", "035420", "[기재정정]주요사항보고서(타법인주식및출자증권취득결정)"),
    ("00266961", "035420", "주식등의대량보유상황보고서(일반)"),
    ("00159023", "017670", "타법인주식및출자증권취득결정(AI 데이터센터 합작법인)"),
    ("00159023", "017670", "연결재무제표기준영업(잠정)실적(공정공시)"),
    ("00181712", "034730", "사업보고서 (2025.12)"),
    ("00261443", "036570", "조회공시요구(풍문또는보도)에대한답변(미확정)"),
    ("00261443", "036570", "기타경영사항(자율공시)(VAETKI 기술보고서 공개)"),
    ("00999999", "259960", "단일판매ㆍ공급계약체결(GPU 서버)"),
    ("00126380", "005930", "현금ㆍ현물배당결정"),
    ("01688425", None, "[기재정정]자산유동화계획의등록신청서[신탁회사(은행신탁계정포함)]"),
]
_DAYS = ["20251231", "20260109", "20260115", "20260120", "20260301", "20260810", "20261128"]

_PARAGRAPH = (
    "당사는 통신 및 플랫폼 사업을 영위하고 있으며, 당기 중 인공지능(AI) 데이터센터 투자를 "
    "확대하였습니다. 주요 종속회사의 영업실적과 재무상태는 다음과 같습니다. 매출액은 전년 대비 "
    "증가하였고, 영업이익률은 개선되었습니다. GPU 클러스터 구축과 관련한 설비투자는 연결 기준으로 "
    "인식되었습니다. 또한 독자 AI 파운데이션 모델 개발 프로젝트에 참여하고 있습니다. "
    "위험관리 정책, "
    "환율 변동, 이자율 위험, 유동성 위험에 대한 주석을 참조하시기 바랍니다. "
)


def _filings(n: int) -> list[FilingInput]:
    out = []
    for i in range(n):
        corp, stock, title = _TITLES[i % len(_TITLES)]
        day = _DAYS[i % len(_DAYS)]
        out.append(FilingInput(f"{day}{i:06d}", corp, "회사", title, day, stock, "회사", "유"))
    return out


def _body(size: int = 200_000) -> str:
    text = _PARAGRAPH * (size // len(_PARAGRAPH) + 1)
    return text[:size]


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _rate(fn: Any, items: list[Any], min_seconds: float = 1.0) -> float:
    done = 0
    started = time.perf_counter()
    while True:
        for item in items:
            fn(item)
        done += len(items)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return done / elapsed


def run() -> list[dict[str, Any]]:
    _one_core()
    timeline = load_timeline()
    rules = rules_for(timeline)
    filings = _filings(1200)
    for f in filings[:50]:  # warm caches
        match_filing(f, timeline)
    title_rate = _rate(lambda f: match_filing(f, timeline), filings)

    body = _body()
    body_rate = _rate(lambda f: match_filing(f, timeline, body), filings[:12])
    variants = [re.compile(p) for p in rules.term_re.pattern.split("|")]
    lowered = body.lower

    def naive(f: FilingInput) -> None:
        text = lowered()
        for v in variants:
            len(v.findall(text))
        match_filing(f, timeline)

    naive_rate = _rate(naive, filings[:4])
    return [
        {
            "name": "matcher: title only",
            "value": round(title_rate, 1),
            "unit": "filings/s",
            "target": f">= {TITLE_TARGET:,.0f} filings/s",
            "ok": title_rate >= TITLE_TARGET,
            "naive": None,
        },
        {
            "name": "matcher: with a 200 KB body",
            "value": round(body_rate, 1),
            "unit": "filings/s",
            "target": "reasonable (no fixed target)",
            "ok": None,
            "naive": round(naive_rate, 1),
        },
    ]


def main() -> None:
    rows = run()
    print(f"{'benchmark':<30} {'value':>10} {'unit':<10} {'naive':>8}  target")
    for r in rows:
        naive = "-" if r["naive"] is None else f"{r['naive']:.1f}"
        verdict = {True: "ok", False: "MISSED", None: ""}[r["ok"]]
        print(
            f"{r['name']:<30} {r['value']:>10.1f} {r['unit']:<10} {naive:>8}  "
            f"{r['target']} {verdict}"
        )


if __name__ == "__main__":
    main()
