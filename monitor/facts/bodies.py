"""Facts from the bodies of exchange filings (KRX 수시공시/공정공시), which the
structured APIs do not cover: one pure extractor per family over :class:`Body` tables.

Every extractor is label-driven and tolerant: both form families (KOSPI mandatory,
KOSDAQ voluntary), drifting labels, units in labels or table headers, ``-``/``△``/empty
cells. The layouts they were written against (with the filings they come from) are in
docs/facts.md, "Body layouts".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from monitor.facts import tables as t
from monitor.facts import values as v
from monitor.facts.model import FactBuilder, FactSet
from monitor.facts.tables import Body, Row


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_NUMERIC = _re(r"\d")
_DATE_LIKE = _re(r"\d{4}\s*[-.년/]")
_SUBSIDIARY = _re(r"^자회사(명|의명칭|의회사명)|^회사명\(자회사\)")


def _subsidiary(b: FactBuilder, body: Body) -> None:
    hit = t.first(body, _SUBSIDIARY)
    if hit is not None:
        b.text("subsidiary", hit.label, hit.value)


# ------------------------------------------------------------------ 단일판매ㆍ공급계약체결
_CONTRACT_NAME = _re(r"^(체결계약명|세부내용|판매ㆍ공급계약내용|계약명)$")
_CONTRACT_KIND = _re(r"^판매ㆍ공급계약구분$")
_AMOUNT_TOTAL = _re(r"^계약금액총액\(원\)$")
_AMOUNT = _re(r"^(계약금액\(원\)|확정계약금액(\(원\))?)$")
_REVENUE = _re(r"^최근(사업연도)?매출액\(원\)$")
_RATIO = _re(r"^매출액대비\(%\)$")
_COUNTERPARTY = _re(r"^계약상대(방)?$")
_REGION = _re(r"^판매ㆍ공급지역$")
_START = _re(r"^시작일$")
_END = _re(r"^종료일$")
_PERIOD = _re(r"^계약기간$")
_CONTRACT_DATE = _re(r"^계약\(수주\)일(자)?$")


def supply_contract(body: Body) -> FactSet:
    """단일판매ㆍ공급계약체결. The counterparty's own revenue sits under ``3. 계약상대방``
    as ``-최근 매출액(원)``: the company's revenue and ratio are read only above the
    counterparty row and never from ``-`` sub-items."""
    b = FactBuilder("body")
    party = t.first(body, _COUNTERPARTY)
    stop = party.index if party is not None else None
    name = t.first(body, _CONTRACT_NAME)
    if name is not None:
        b.text("contract_name", name.label, name.value)
    kind = t.first(body, _CONTRACT_KIND)
    if kind is not None:
        b.text("contract_kind", kind.label, kind.value)
    amount = t.first(body, _AMOUNT_TOTAL, accept=_NUMERIC) or t.first(
        body, _AMOUNT, accept=_NUMERIC
    )
    if amount is not None:
        b.money("amount_krw", amount.label, amount.value)
    revenue = t.first(body, _REVENUE, stop=stop, sub_items=False, accept=_NUMERIC)
    if revenue is not None:
        b.money("revenue_krw", revenue.label, revenue.value)
    ratio = t.first(body, _RATIO, stop=stop, sub_items=False, accept=_NUMERIC)
    if ratio is not None:
        b.percent("revenue_ratio_pct", ratio.label, ratio.value)
    if party is not None:
        b.text("counterparty", party.label, party.value)
    region = t.first(body, _REGION)
    if region is not None:
        b.text("region", region.label, region.value)
    period = t.first(body, _PERIOD)
    from_row = period.index if period is not None else 0
    start = t.first(body, _START, start=from_row, accept=_DATE_LIKE)
    end = t.first(body, _END, start=from_row, accept=_DATE_LIKE)
    if start is not None:
        b.date("period_start", start.label, start.value)
    if end is not None:
        b.date("period_end", end.label, end.value)
    signed = t.first(body, _CONTRACT_DATE, accept=_DATE_LIKE)
    if signed is not None:
        b.date("contract_date", signed.label, signed.value)
    _subsidiary(b, body)
    return b.result("supply_contract", empty_reason="no contract table in the body")


# ------------------------------------------------------------------ 영업(잠정)실적
_UNIT = _re(r"단위")
_EARNINGS_ROWS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("revenue", "매출액", _re(r"^(매출액|영업수익|매출)$")),
    ("operating_profit", "영업이익", _re(r"^영업이익(\(손실\))?$")),
    (
        "pretax_income",
        "법인세비용차감전계속사업이익",
        _re(r"^법인세비용차감전(계속사업)?(이익|순이익)"),
    ),
    ("net_income", "당기순이익", _re(r"^당기순이익(\(손실\))?$")),
    (
        "controlling_net_income",
        "지배기업 소유주지분 순이익",
        _re(r"^지배기업(의)?소유주(지분)?순이익"),
    ),
)
_CURRENT = _re(r"^당해실적$")
_TURN = _re(r"(흑자|적자)(전환|지속)")


def _figures(row: Row, label_col: int) -> list[str]:
    after = label_col
    for j in range(label_col + 1, len(row)):
        if _CURRENT.search(t.bare(row[j])):
            after = j
            break
        if t.bare(row[j]) == "누계실적":
            return []
    return t.row_values(row, after)


def earnings(body: Body) -> FactSet:
    """영업(잠정)실적(공정공시), consolidated or not. Per row: current, previous, QoQ %,
    [turn], year-ago, YoY %, [turn] — the turn columns are absent in older forms."""
    rows = body.rows
    unit_hit = next(
        (c for r in rows[:40] for c in r if _UNIT.search(c) and "원" in c),
        None,
    )
    multiplier = v.unit_multiplier(unit_hit, 10**6) if unit_hit else 10**6
    b = FactBuilder("body")
    for key, label, pattern in _EARNINGS_ROWS:
        for hit in t.hits(body, pattern):
            cells = _figures(rows[hit.index], hit.column)
            if not cells or v.parse_decimal(cells[0]) is None:
                continue
            with_turns = len(cells) >= 7
            yearago_at, yoy_at = (4, 5) if with_turns else (3, 4)
            b.money(f"{key}_krw", label, cells[0], multiplier)
            if len(cells) > 1:
                b.money(f"{key}_prev_krw", f"{label}(전기)", cells[1], multiplier)
            if len(cells) > 2:
                b.percent(f"{key}_qoq_pct", f"{label} 전기대비 증감율(%)", cells[2])
            if len(cells) > yearago_at:
                b.money(f"{key}_yearago_krw", f"{label}(전년동기)", cells[yearago_at], multiplier)
            if len(cells) > yoy_at:
                b.percent(f"{key}_yoy_pct", f"{label} 전년동기대비 증감율(%)", cells[yoy_at])
            turn = next((c for c in cells if _TURN.search(c)), None)
            if turn is not None:
                b.text(f"{key}_turn", f"{label} 흑자적자전환여부", _TURN.search(turn).group(0))  # type: ignore[union-attr]
            break
    period = t.first(body, _re(r"^당기실적$"), accept=_DATE_LIKE)
    if period is not None:
        start, end = v.parse_date_range(period.value)
        b.date("period_start", "당기실적 기간", start)
        b.date("period_end", "당기실적 기간", end)
    _subsidiary(b, body)
    return b.result("earnings", empty_reason="no earnings table in the body")


# ------------------------------------------------------------------ 현금ㆍ현물배당결정
_COMMON = _re(r"^보통주(식)?$")
_OTHER = _re(r"^(종류주(식)?|우선주(식)?)$")


def dividend(body: Body) -> FactSet:
    rows = body.rows
    b = FactBuilder("body")
    for key, pattern in (("dividend_type", r"^배당구분$"), ("kind", r"^배당종류$")):
        hit = t.first(body, _re(pattern))
        if hit is not None:
            b.text(key, hit.label, hit.value)
    dps = next(iter(t.hits(body, _re(r"^1주당배당금"))), None)
    if dps is not None:
        b.money("dps_krw", f"{dps.label} 보통주식", t.sub_value(rows, dps, _COMMON) or dps.value)
        b.money("dps_other_krw", f"{dps.label} 종류주식", t.sub_value(rows, dps, _OTHER))
    yld = next(iter(t.hits(body, _re(r"^시가배당(율|률)"))), None)
    if yld is not None:
        b.percent(
            "yield_pct", f"{yld.label} 보통주식", t.sub_value(rows, yld, _COMMON) or yld.value
        )
        b.percent("yield_other_pct", f"{yld.label} 종류주식", t.sub_value(rows, yld, _OTHER))
    total = t.first(body, _re(r"^배당금총액"), accept=_NUMERIC)
    if total is not None:
        b.money("total_krw", total.label, total.value, v.unit_multiplier(total.label, 1))
    for key, pattern in (
        ("record_date", r"^배당기준일$"),
        ("payment_date", r"^배당금지급예정일(자)?$"),
        ("meeting_date", r"^주주총회예정일(자)?$"),
        ("decision_date", r"^이사회결의일"),
    ):
        hit = t.first(body, _re(pattern), accept=_DATE_LIKE)
        if hit is not None:
            b.date(key, hit.label, hit.value)
    _subsidiary(b, body)
    return b.result("dividend", empty_reason="no dividend table in the body")


# ------------------------------------------------------------------ 타법인주식 취득/처분
def _stake(body: Body, family: str, verb: str) -> FactSet:
    b = FactBuilder("body")
    issuer = t.first(body, _re(r"^발행회사"))
    from_row = issuer.index if issuer is not None else 0
    name = t.first(body, _re(r"^회사명$"), start=from_row)
    if name is not None:
        b.text("target", name.label, name.value)
    elif issuer is not None:
        b.text("target", issuer.label, issuer.value)
    for key, pattern in (
        ("target_country", r"^국적$"),
        ("target_business", r"^주요사업$"),
        ("target_relation", r"^회사와(의)?관계$"),
    ):
        hit = t.first(body, _re(pattern), start=from_row)
        if hit is not None:
            b.text(key, hit.label, hit.value)
    shares = t.first(body, _re(rf"^{verb}주식수"), accept=_NUMERIC)
    if shares is not None:
        b.shares("shares", shares.label, shares.value)
    amount = t.first(body, _re(rf"^{verb}금액"), accept=_NUMERIC)
    if amount is not None:
        b.money("amount_krw", amount.label, amount.value, v.unit_multiplier(amount.label, 1))
    for key, pattern in (
        ("equity_ratio_pct", r"^자기자본대비"),
        ("assets_ratio_pct", r"^(총)?자산(총액)?대비"),
    ):
        hit = t.first(body, _re(pattern), accept=_NUMERIC)
        if hit is not None:
            b.percent(key, hit.label, hit.value)
    after = t.first(body, _re(rf"^{verb}후(소유주식수및)?지분비율"))
    after_row = after.index if after is not None else 0
    stake = t.first(body, _re(r"지분비율(\(%\))?$"), start=after_row, accept=_NUMERIC)
    if stake is not None:
        b.percent("stake_after_pct", stake.label, stake.value)
    owned = t.first(body, _re(r"^소유주식수"), start=after_row, accept=_NUMERIC)
    if owned is not None:
        b.shares("shares_after", owned.label, owned.value)
    for key, pattern in (
        ("purpose", rf"^{verb}목적$"),
        ("method", rf"^{verb}방법$"),
        ("counterparty", r"^거래상대방$|^거래상대방\(회사명\)$"),
    ):
        hit = t.first(body, _re(pattern))
        if hit is not None:
            b.text(key, hit.label, hit.value)
    date = t.first(body, _re(rf"^{verb}(예정)?일자$"), accept=_DATE_LIKE)
    if date is not None:
        b.date("date", date.label, date.value)
    _subsidiary(b, body)
    return b.result(family, empty_reason=f"no {verb} table in the body")


def stake_acquisition(body: Body) -> FactSet:
    """타법인주식및출자증권취득결정 (exchange filing; also ``(자회사의 주요경영사항)``)."""
    return _stake(body, "stake_acquisition", "(취득|양수)")


def stake_disposal(body: Body) -> FactSet:
    """타법인주식및출자증권처분결정."""
    return _stake(body, "stake_disposal", "(처분|양도)")


# ------------------------------------------------------------------ 유형자산 취득/처분
def _asset(body: Body, family: str, verb: str) -> FactSet:
    b = FactBuilder("body")
    for key, pattern in (("asset_kind", r"^자산구분$"), ("target", r"^자산명$")):
        hit = t.first(body, _re(pattern))
        if hit is not None:
            b.text(key, hit.label, hit.value)
    amount = t.first(body, _re(rf"^{verb}금액"), accept=_NUMERIC)
    if amount is not None:
        b.money("amount_krw", amount.label, amount.value, v.unit_multiplier(amount.label, 1))
    ratio = t.first(body, _re(r"^자산총액대비"), accept=_NUMERIC)
    if ratio is not None:
        b.percent("assets_ratio_pct", ratio.label, ratio.value)
    for key, pattern in (("purpose", rf"^{verb}목적$"), ("counterparty", r"^거래상대방$")):
        hit = t.first(body, _re(pattern))
        if hit is not None:
            b.text(key, hit.label, hit.value)
    date = t.first(body, _re(rf"^{verb}(예정일자|기준일)$"), accept=_DATE_LIKE)
    if date is not None:
        b.date("date", date.label, date.value)
    _subsidiary(b, body)
    return b.result(family, empty_reason="no asset table in the body")


def asset_acquisition(body: Body) -> FactSet:
    return _asset(body, "asset_acquisition", "(취득|양수)")


def asset_disposal(body: Body) -> FactSet:
    return _asset(body, "asset_disposal", "(처분|양도)")


# ------------------------------------------------------------------ 신규시설투자등
def facility_investment(body: Body) -> FactSet:
    """신규시설투자등 (exchange filing; also ``(자회사의 주요경영사항)``)."""
    b = FactBuilder("body")
    kind = t.first(body, _re(r"^투자구분$"))
    if kind is not None:
        b.text("kind", kind.label, kind.value)
    amount = t.first(body, _re(r"^투자금액"), accept=_NUMERIC)
    if amount is not None:
        b.money("amount_krw", amount.label, amount.value, v.unit_multiplier(amount.label, 1))
    equity = t.first(body, _re(r"^자기자본대비"), accept=_NUMERIC)
    if equity is not None:
        b.percent("equity_ratio_pct", equity.label, equity.value)
    purpose = t.first(body, _re(r"^투자목적$"))
    if purpose is not None:
        b.text("purpose", purpose.label, purpose.value)
    period = t.first(body, _re(r"^투자기간$"))
    from_row = period.index if period is not None else 0
    start = t.first(body, _START, start=from_row, accept=_DATE_LIKE)
    end = t.first(body, _END, start=from_row, accept=_DATE_LIKE)
    b.date("period_start", "투자기간(시작일)", start.value if start else None)
    b.date("period_end", "투자기간(종료일)", end.value if end else None)
    _subsidiary(b, body)
    return b.result("facility_investment", empty_reason="no investment table in the body")


# ------------------------------------------------------------------ 자기주식취득결정 (body)
def buyback(body: Body) -> FactSet:
    rows = body.rows
    b = FactBuilder("body")
    shares = next(iter(t.hits(body, _re(r"^취득예정주식"))), None)
    if shares is not None:
        b.shares("shares", shares.label, t.sub_value(rows, shares, _COMMON) or shares.value)
    amount = next(iter(t.hits(body, _re(r"^취득예정금액"))), None)
    if amount is not None:
        b.money("amount_krw", amount.label, t.sub_value(rows, amount, _COMMON) or amount.value)
    period = next(iter(t.hits(body, _re(r"^취득예상기간"))), None)
    if period is not None:
        start = t.first(body, _START, start=period.index, accept=_DATE_LIKE)
        end = t.first(body, _END, start=period.index, accept=_DATE_LIKE)
        b.date("period_start", "취득예상기간(시작일)", start.value if start else None)
        b.date("period_end", "취득예상기간(종료일)", end.value if end else None)
    for key, pattern in (("purpose", r"^취득목적$"), ("method", r"^취득방법$")):
        hit = t.first(body, _re(pattern))
        if hit is not None:
            b.text(key, hit.label, hit.value)
    return b.result("buyback", empty_reason="no buyback table in the body")


# ------------------------------------------------------------------ 주식소각결정
def share_cancellation(body: Body) -> FactSet:
    rows = body.rows
    b = FactBuilder("body")
    kind = next(iter(t.hits(body, _re(r"^소각할주식의종류와수"))), None)
    if kind is not None:
        b.shares("shares", kind.label, t.sub_value(rows, kind, _re(r"^보통주식")) or kind.value)
    total = next(iter(t.hits(body, _re(r"^발행주식총수"))), None)
    if total is not None:
        b.shares("shares_outstanding", total.label, t.sub_value(rows, total, _re(r"^보통주식")))
    amount = t.first(body, _re(r"^소각예정금액"), accept=_NUMERIC)
    if amount is not None:
        b.money("amount_krw", amount.label, amount.value, v.unit_multiplier(amount.label, 1))
    method = t.first(body, _re(r"^소각할주식의취득방법$"))
    if method is not None:
        b.text("method", method.label, method.value)
    date = t.first(body, _re(r"^소각예정일"), accept=_DATE_LIKE)
    if date is not None:
        b.date("date", date.label, date.value)
    return b.result("share_cancellation", empty_reason="no cancellation table in the body")


# ------------------------------------------------------------------ 최대주주등소유주식변동신고서
def major_shareholder_change(body: Body) -> FactSet:
    """The first person of the change table (header row with 성명 and 변동원인)."""
    rows = body.rows
    b = FactBuilder("body")
    for hit in t.hits(body, _re(r"^성명$")):
        i, row = hit.index, rows[hit.index]
        names = [t.bare(c) for c in row]
        if not any("변동원인" in n for n in names):
            continue
        for data in rows[i + 1 : i + 4]:
            if len(data) != len(row) or not any(_NUMERIC.search(c) for c in data):
                continue
            cells = dict(zip(names, data, strict=True))
            b.text("holder", "성명", cells.get("성명"))
            b.text("relation", "관계", cells.get("관계") or cells.get("최대주주와의관계"))
            reason = next((cells[n] for n in names if "변동원인" in n), None)
            b.text("reason", "변동원인", reason)
            when = next((cells[n] for n in names if "변동일" in n), None)
            b.date("change_date", "변동일", when)
            change = next((cells[n] for n in names if n.startswith("증감")), None)
            b.shares("shares_change", "증감", change)
            break
        break
    return b.result("major_shareholder_change", empty_reason="no change table in the body")


# ------------------------------------------------------------------ 기업설명회(IR)개최
def ir_event(body: Body) -> FactSet:
    """Both forms: KOSPI ``1. 일시 및 장소 | 일시 | 2026-08-05 16:00`` and KOSDAQ's
    header row ``시작일 | 종료일 | 시작시간 | 종료시간`` over a value row."""
    rows = body.rows
    b = FactBuilder("body")
    when = t.first(body, _re(r"^일시$"), accept=_DATE_LIKE)
    if when is not None and when.value is not None:
        b.date("date", when.label, when.value)
        time = re.search(r"\b(\d{1,2}:\d{2})\b", when.value)
        b.text("time", when.label, time.group(1) if time else None)
    for start_hit in t.hits(body, _START):
        i, row = start_hit.index, rows[start_hit.index]
        names = [t.bare(c) for c in row]
        if "시작시간" in names and i + 1 < len(rows):
            values = rows[i + 1]
            if len(values) >= len(names):
                shift = len(values) - len(names)
                b.date("date", "시작일", values[names.index("시작일") + shift])
                b.text("time", "시작시간", values[names.index("시작시간") + shift])
            break
    for key, pattern in (
        ("place", r"^장소$"),
        ("purpose", r"^(개최|실시)목적$"),
        ("method", r"^(개최|실시)방법$"),
        ("audience", r"^(참가|참석)?대상(자)?$"),
    ):
        hit = t.first(body, _re(pattern))
        if hit is not None:
            b.text(key, hit.label, hit.value)
    return b.result("ir_event", empty_reason="no IR table in the body")


BodyExtractor = Callable[[Body], FactSet]

EXTRACTORS: dict[str, BodyExtractor] = {
    "supply_contract": supply_contract,
    "earnings": earnings,
    "dividend": dividend,
    "stake_acquisition": stake_acquisition,
    "stake_disposal": stake_disposal,
    "asset_acquisition": asset_acquisition,
    "asset_disposal": asset_disposal,
    "facility_investment": facility_investment,
    "buyback": buyback,
    "share_cancellation": share_cancellation,
    "major_shareholder_change": major_shareholder_change,
    "ir_event": ir_event,
}


def extract(family: str, markup: str | bytes) -> FactSet:
    """Facts of a body of *family*. Never raises on a bad body: an unreadable one is
    ``unparseable`` with the reason."""
    extractor = EXTRACTORS.get(family)
    if extractor is None:
        return FactSet.none(family, f"no body extractor for {family}")
    try:
        body = t.parse_body(markup)
    except (ValueError, TypeError, UnicodeError) as exc:
        return FactSet.unparseable(family, f"body not readable ({type(exc).__name__})", "body")
    if not body.rows:
        return FactSet.unparseable(family, "no tables in the body", "body")
    result = extractor(body)
    if body.corrections:
        return FactSet(
            result.family,
            result.status,
            result.reason,
            result.facts,
            result.source,
            corrections=body.corrections,
        )
    return result
