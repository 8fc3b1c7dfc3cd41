"""What the fake's filings say: one set of values per filing, served three ways that
agree with each other — DS005 rows (major events), DS004 rows (ownership) and the
tables of the document body — in the formats the real services use (Korean dates and
comma numbers in DS005, ``YYYY-MM-DD`` ``rcept_dt`` in DS004, real label layouts in
bodies).

Values are derived from the filing's ``rcept_no`` (deterministic). A ``[기재정정]``
filing takes its original's values and changes the amount (or the date), and its
body starts with a 정정사항 table saying so, as real amendments do. All values are
SYNTHETIC.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape

from monitor.facts.routing import route
from monitor.fakedart.model import DartRow

_TARGETS = ("업스테이지", "리벨리온", "퓨리오사AI", "트웰브랩스", "인공지능연구소")
_COUNTERPARTIES = ("정보통신산업진흥원", "과학기술정보통신부", "삼성전자", "한국전력공사")
_HOLDERS = ("국민연금공단", "블랙록 펀드 어드바이저스", "삼성물산")
_PEOPLE = ("김민준", "이서연", "박지호")


@dataclass(slots=True)
class FakeFacts:
    """The values of one filing (what DS005/DS004 rows and the body are built from)."""

    family: str
    day: date
    values: dict[str, int | float | str] = field(default_factory=dict)
    corrected: tuple[str, str, str] | None = None  # (item, before, after)


def _day(row: DartRow) -> date:
    return row.receipt_date


def _n(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.2f}"


def _kdate(day: date) -> str:
    return f"{day.year}년 {day.month:02d}월 {day.day:02d}일"


def _quarter_end(day: date) -> date:
    """The end of the last quarter closed before *day* (what preliminary results cover)."""
    month = ((day.month - 1) // 3) * 3
    if month == 0:
        return date(day.year - 1, 12, 31)
    return date(day.year, month + 1, 1) - timedelta(days=1)


_Values = dict[str, int | float | str]


def _buyback(rng: random.Random, day: date) -> _Values:
    shares = rng.randint(100, 5000) * 1000
    return {
        "shares": shares,
        "amount": shares * rng.randint(50, 300) * 1000,
        "start": (day + timedelta(days=1)).isoformat(),
        "end": (day + timedelta(days=91)).isoformat(),
        "method": "장내매수",
        "purpose": "주주가치 제고",
    }


def _stake_change(rng: random.Random, day: date) -> _Values:
    return {
        "target": rng.choice(_TARGETS),
        "shares": rng.randint(10, 500) * 10_000,
        "amount": rng.randint(10, 3000) * 100_000_000,
        "equity_pct": round(rng.uniform(0.3, 12.0), 2),
        "stake_pct": round(rng.uniform(1.0, 40.0), 2),
        "purpose": rng.choice(("AI 사업 협력 강화", "전략적 투자", "사업 시너지 확보")),
        "date": (day + timedelta(days=14)).isoformat(),
    }


def _supply_contract(rng: random.Random, day: date) -> _Values:
    amount = rng.randint(50, 5000) * 100_000_000
    revenue = rng.randint(2, 20) * 1_000_000_000_000
    return {
        "name": rng.choice(
            ("AI 데이터센터 GPU 서버 공급", "클라우드 인프라 구축", "AI 반도체 공급")
        ),
        "amount": amount,
        "revenue": revenue,
        "ratio": round(amount / revenue * 100, 2),
        "counterparty": rng.choice(_COUNTERPARTIES),
        "counterparty_revenue": rng.randint(20, 300) * 1_000_000_000_000,
        "start": day.isoformat(),
        "end": (day + timedelta(days=365)).isoformat(),
    }


def _earnings(rng: random.Random, day: date) -> _Values:
    revenue = rng.randint(1_000_000, 3_000_000)
    profit = rng.randint(50_000, 500_000)
    return {
        "revenue": revenue,
        "revenue_prev": round(revenue / rng.uniform(0.9, 1.1)),
        "revenue_yearago": round(revenue / rng.uniform(0.95, 1.25)),
        "profit": profit,
        "profit_prev": round(profit / rng.uniform(0.8, 1.2)),
        "profit_yearago": round(profit / rng.uniform(0.9, 1.5)),
        "net": round(profit * rng.uniform(0.5, 0.9)),
    }


def _dividend(rng: random.Random, day: date) -> _Values:
    return {
        "dps": rng.randint(5, 40) * 100,
        "yield": round(rng.uniform(0.3, 4.0), 2),
        "total": rng.randint(100, 5000) * 100_000_000,
        "record": date(day.year - 1 if day.month < 4 else day.year, 12, 31).isoformat(),
    }


def _facility_investment(rng: random.Random, day: date) -> _Values:
    return {
        "amount": rng.randint(100, 20000) * 100_000_000,
        "equity_pct": round(rng.uniform(0.5, 15.0), 2),
        "purpose": rng.choice(("AI 데이터센터 구축", "GPU 서버 증설", "생산능력 확대")),
        "start": day.isoformat(),
        "end": (day + timedelta(days=540)).isoformat(),
    }


def _ir_event(rng: random.Random, day: date) -> _Values:
    return {"date": (day + timedelta(days=7)).isoformat(), "time": "16:00"}


def _share_cancellation(rng: random.Random, day: date) -> _Values:
    shares = rng.randint(100, 3000) * 1000
    return {"shares": shares, "amount": shares * rng.randint(50, 300) * 1000}


def _major_holding(rng: random.Random, day: date) -> _Values:
    stake = round(rng.uniform(5.0, 12.0), 2)
    return {
        "holder": rng.choice(_HOLDERS),
        "stake": stake,
        "change": round(rng.uniform(-1, 1), 2),
    }


def _insider_holding(rng: random.Random, day: date) -> _Values:
    return {
        "holder": rng.choice(_PEOPLE),
        "shares": rng.randint(1, 100) * 100,
        "change": rng.randint(-50, 50) * 10,
    }


_BY_FAMILY: dict[str, Callable[[random.Random, date], _Values]] = {
    "buyback": _buyback,
    "stake_acquisition": _stake_change,
    "stake_disposal": _stake_change,
    "supply_contract": _supply_contract,
    "earnings": _earnings,
    "dividend": _dividend,
    "facility_investment": _facility_investment,
    "ir_event": _ir_event,
    "share_cancellation": _share_cancellation,
    "major_holding": _major_holding,
    "insider_holding": _insider_holding,
}


def _values(family: str, rng: random.Random, day: date) -> _Values:
    """Plausible values of one filing of *family* (empty for a family without facts)."""
    make = _BY_FAMILY.get(family)
    return make(rng, day) if make else {}


def fake_facts(row: DartRow, original: DartRow | None = None) -> FakeFacts | None:
    """The values of *row* (a correction: its *original*'s, with one change)."""
    where = route(row.report_nm)
    if where is None:
        return None
    seed_row = original if (where.correction and original is not None) else row
    rng = random.Random(f"facts:{seed_row.rcept_no}")
    values = _values(where.family, rng, _day(seed_row))
    if not values:
        return None
    facts = FakeFacts(where.family, _day(seed_row), values)
    if where.correction and original is not None:
        if "amount" in values and isinstance(values["amount"], int):
            before = values["amount"]
            values["amount"] = before + before // 10
            if "revenue" in values and isinstance(values["revenue"], int):
                values["ratio"] = round(values["amount"] / values["revenue"] * 100, 2)
            facts.corrected = ("금액(원)", _n(before), _n(values["amount"]))
        elif "date" in values:
            before_date = str(values["date"])
            values["date"] = (date.fromisoformat(before_date) + timedelta(days=1)).isoformat()
            facts.corrected = ("일자", before_date, str(values["date"]))
    return facts


# ------------------------------------------------------------------ DS005 / DS004 rows
def ds005_row(row: DartRow, facts: FakeFacts) -> dict[str, str]:
    """A DS005 row in OpenDART's formats (Korean dates, comma numbers, ``-``)."""
    v = facts.values
    base = {
        "rcept_no": row.rcept_no,
        "corp_cls": row.corp_cls,
        "corp_code": row.corp_code,
        "corp_name": row.corp_name,
    }
    if facts.family == "buyback":
        return {
            **base,
            "aqpln_stk_ostk": _n(int(v["shares"])),
            "aqpln_stk_estk": "-",
            "aqpln_prc_ostk": _n(int(v["amount"])),
            "aqpln_prc_estk": "-",
            "aqexpd_bgd": _kdate(date.fromisoformat(str(v["start"]))),
            "aqexpd_edd": _kdate(date.fromisoformat(str(v["end"]))),
            "aq_pp": str(v["purpose"]),
            "aq_mth": str(v["method"]),
            "cs_iv_bk": "-",
            "aq_dd": _kdate(facts.day),
        }
    if facts.family in ("stake_acquisition", "stake_disposal"):
        p = "inh" if facts.family == "stake_acquisition" else "trf"
        detail = "inhdtl" if p == "inh" else "trfdtl"
        return {
            **base,
            "iscmp_cmpnm": str(v["target"]),
            "iscmp_nt": "대한민국",
            "iscmp_mbsn": "인공지능 소프트웨어 개발",
            f"{detail}_stkcnt": _n(int(v["shares"])),
            f"{detail}_{p}prc": _n(int(v["amount"])),
            f"{detail}_ecpt_vs": _n(float(v["equity_pct"])),
            "atinh_eqrt" if p == "inh" else "attrf_eqrt": _n(float(v["stake_pct"])),
            f"{p}_pp": str(v["purpose"]),
            f"{p}_prd": _kdate(date.fromisoformat(str(v["date"]))),
            "bddd": _kdate(facts.day),
        }
    return base


def ds004_row(row: DartRow, facts: FakeFacts) -> dict[str, str]:
    v = facts.values
    base = {
        "rcept_no": row.rcept_no,
        "rcept_dt": f"{row.rcept_dt[:4]}-{row.rcept_dt[4:6]}-{row.rcept_dt[6:]}",
        "corp_code": row.corp_code,
        "corp_name": row.corp_name,
    }
    if facts.family == "major_holding":
        return {
            **base,
            "report_tp": "일반",
            "repror": str(v["holder"]),
            "stkqy": "-",
            "stkqy_irds": "-",
            "stkrt": _n(float(v["stake"])),
            "stkrt_irds": _n(float(v["change"])),
            "ctr_stkqy": "-",
            "ctr_stkrt": "-",
            "report_resn": "단순추가취득/처분",
        }
    return {
        **base,
        "repror": str(v["holder"]),
        "isu_exctv_rgist_at": "비등기임원",
        "isu_exctv_ofcps": "상무",
        "isu_main_shrholdr": "-",
        "sp_stock_lmp_cnt": _n(int(v["shares"])),
        "sp_stock_lmp_irds_cnt": _n(int(v["change"])),
        "sp_stock_lmp_rate": "-",
        "sp_stock_lmp_irds_rate": "-",
    }


# ------------------------------------------------------------------ body tables
Rows = list[list[str]]


def _rows_supply_contract(facts: FakeFacts) -> Rows:
    v = facts.values
    return [
        ["1. 판매ㆍ공급계약 구분", "기타 판매ㆍ공급계약"],
        ["- 체결계약명", str(v["name"])],
        ["2. 계약내역", "계약금액(원)", _n(int(v["amount"]))],
        ["", "최근매출액(원)", _n(int(v["revenue"]))],
        ["", "매출액대비(%)", _n(float(v["ratio"]))],
        ["3. 계약상대", str(v["counterparty"])],
        ["", "-최근 매출액(원)", _n(int(v["counterparty_revenue"]))],
        ["4. 판매ㆍ공급지역", "대한민국"],
        ["5. 계약기간", "시작일", str(v["start"])],
        ["", "종료일", str(v["end"])],
        ["7. 계약(수주)일자", facts.day.isoformat()],
    ]


def _rows_earnings(facts: FakeFacts) -> Rows:
    v = facts.values

    def pct(a: float, b: float) -> str:
        return f"{(a - b) / abs(b) * 100:.1f}" if b else "-"

    q_end = _quarter_end(facts.day)
    q_start = date(q_end.year, q_end.month - 2, 1)
    rows: Rows = [
        ["실적기간", "당기실적", f"{q_start.isoformat()} ~ {q_end.isoformat()}"],
        [
            "구분(단위 : 백만원, %)",
            "당기실적",
            "전기실적",
            "전기대비증감율(%)",
            "흑자적자전환여부",
            "전년동기실적",
            "전년동기대비증감율(%)",
            "흑자적자전환여부",
        ],
    ]
    for label, cur, prev, ago in (
        ("매출액", "revenue", "revenue_prev", "revenue_yearago"),
        ("영업이익", "profit", "profit_prev", "profit_yearago"),
    ):
        c, p, a = int(v[cur]), int(v[prev]), int(v[ago])
        rows.append([label, "당해실적", _n(c), _n(p), pct(c, p), "-", _n(a), pct(c, a), "-"])
    rows.append(["당기순이익", "당해실적", _n(int(v["net"])), "-", "-", "-", "-", "-", "-"])
    return rows


def _rows_dividend(facts: FakeFacts) -> Rows:
    v = facts.values
    return [
        ["1. 배당구분", "결산배당"],
        ["2. 배당종류", "현금배당"],
        ["3. 1주당 배당금(원)", "보통주식", _n(int(v["dps"]))],
        ["", "종류주식", "-"],
        ["4. 시가배당율(%)", "보통주식", _n(float(v["yield"]))],
        ["", "종류주식", "-"],
        ["5. 배당금총액(원)", _n(int(v["total"]))],
        ["6. 배당기준일", str(v["record"])],
        ["7. 배당금지급 예정일자", "-"],
    ]


def _rows_stake_change(facts: FakeFacts) -> Rows:
    v = facts.values
    f = facts.family
    verb = "취득" if f == "stake_acquisition" else "처분"
    return [
        ["1. 발행회사", "회사명", str(v["target"])],
        ["", "국적", "대한민국"],
        ["", "주요사업", "인공지능 소프트웨어 개발"],
        [f"2. {verb}내역", f"{verb}주식수(주)", _n(int(v["shares"]))],
        ["", f"{verb}금액(원)", _n(int(v["amount"]))],
        ["", "자기자본대비(%)", _n(float(v["equity_pct"]))],
        [f"3. {verb}후 소유주식수 및 지분비율", "소유주식수(주)", _n(int(v["shares"]))],
        ["", "지분비율(%)", _n(float(v["stake_pct"]))],
        [f"4. {verb}목적", str(v["purpose"])],
        [f"5. {verb}예정일자", str(v["date"])],
    ]


def _rows_buyback(facts: FakeFacts) -> Rows:
    v = facts.values
    return [
        ["1. 취득예정주식(주)", "보통주식", _n(int(v["shares"]))],
        ["2. 취득예정금액(원)", "보통주식", _n(int(v["amount"]))],
        ["3. 취득예상기간", "시작일", str(v["start"])],
        ["", "종료일", str(v["end"])],
        ["4. 취득목적", str(v["purpose"])],
        ["5. 취득방법", str(v["method"])],
    ]


def _rows_facility_investment(facts: FakeFacts) -> Rows:
    v = facts.values
    return [
        ["1. 투자구분", "신규시설투자"],
        ["2. 투자내역", "투자금액(원)", _n(int(v["amount"]))],
        ["", "자기자본(원)", "-"],
        ["", "자기자본대비(%)", _n(float(v["equity_pct"]))],
        ["3. 투자목적", str(v["purpose"])],
        ["4. 투자기간", "시작일", str(v["start"])],
        ["", "종료일", str(v["end"])],
    ]


def _rows_ir_event(facts: FakeFacts) -> Rows:
    v = facts.values
    return [
        ["1. 일시 및 장소", "일시", f"{v['date']} {v['time']}"],
        ["", "장소", "컨퍼런스콜"],
        ["2. 참가대상", "국내외 기관투자자"],
        ["3. 개최목적", "경영실적 발표"],
        ["4. 개최방법", "컨퍼런스콜"],
    ]


def _rows_share_cancellation(facts: FakeFacts) -> Rows:
    v = facts.values
    return [
        ["1. 소각할 주식의 종류와 수", "보통주식(주)", _n(int(v["shares"]))],
        ["4. 소각예정금액(원)", _n(int(v["amount"]))],
        ["5. 소각할 주식의 취득방법", "기취득 자기주식"],
    ]


_ROWS_BY_FAMILY: dict[str, Callable[[FakeFacts], Rows]] = {
    "supply_contract": _rows_supply_contract,
    "earnings": _rows_earnings,
    "dividend": _rows_dividend,
    "stake_acquisition": _rows_stake_change,
    "stake_disposal": _rows_stake_change,
    "buyback": _rows_buyback,
    "facility_investment": _rows_facility_investment,
    "ir_event": _rows_ir_event,
    "share_cancellation": _rows_share_cancellation,
}


def _body_rows(facts: FakeFacts) -> Rows:
    """The body table of *facts* as the exchange's form lays it out (empty for a
    family without one)."""
    make = _ROWS_BY_FAMILY.get(facts.family)
    return make(facts) if make else []


def _table(rows: Rows) -> str:
    out = ['<TABLE BORDER="1"><TBODY>']
    for row in rows:
        cells = "".join(
            f"<TD>{escape(c)}</TD>" if i == 0 else f'<TE ALIGN="RIGHT">{escape(c)}</TE>'
            for i, c in enumerate(row)
        )
        out.append(f"<TR>{cells}</TR>")
    out.append("</TBODY></TABLE>")
    return "\n".join(out)


def body_tables(facts: FakeFacts) -> str:
    """The DART-XML tables of the body (the 정정사항 table first for a correction)."""
    parts: list[str] = []
    if facts.corrected is not None:
        item, before, after = facts.corrected
        parts.append(
            _table([["항목", "정정사유", "정정 전", "정정 후"], [item, "단순 오기", before, after]])
        )
    rows = _body_rows(facts)
    if rows:
        parts.append(_table(rows))
    return "\n".join(parts)
