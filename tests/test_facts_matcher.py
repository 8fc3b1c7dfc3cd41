"""The matcher reads facts (pure): AI terms in a party or purpose, the deal's size
against equity or revenue — each a reason with points; nothing without facts."""

from __future__ import annotations

from monitor.facts.model import FactBuilder, FactSet
from monitor.kai.matcher import match_filing
from monitor.kai.timeline import load_timeline
from storage.models import Filing

TIMELINE = load_timeline()


def _filing(title: str) -> Filing:
    return Filing(
        rcept_no="20260115800123",
        corp_code="00159023",
        corp_name="SK텔레콤",
        report_nm=title,
        rcept_dt="20260115",
    )


def _facts(**values: tuple[str, str]) -> FactSet:
    b = FactBuilder("body")
    for key, (kind, raw) in values.items():
        getattr(b, kind)(key, {"target": "회사명", "purpose": "취득목적"}.get(key, key), raw)
    return b.result("stake_acquisition", empty_reason="empty")


def test_ai_target_and_large_deal_add_reasons_and_make_it_ai_related() -> None:
    title = "타법인주식및출자증권취득결정"
    plain = match_filing(_filing(title), TIMELINE)
    facts = _facts(
        target=("text", "리벨리온 (AI 반도체)"),
        purpose=("text", "GPU 인프라 확보"),
        equity_ratio_pct=("percent", "7.5"),
    )
    rich = match_filing(_filing(title), TIMELINE, facts=facts)
    texts = {r.en: r.points for r in rich.reasons}
    ai = [t for t in texts if t.startswith("AI terms in what the filing says (회사명, 취득목적)")]
    assert ai and texts[ai[0]] > 0
    assert texts["Size: 7.5% of equity"] == 8
    assert rich.relevance > plain.relevance
    assert rich.ai_related and not plain.ai_related
    assert sum(r.points for r in rich.reasons) == rich.relevance


def test_small_plain_deal_adds_nothing() -> None:
    title = "타법인주식및출자증권취득결정"
    facts = _facts(target=("text", "한국전력공사"), equity_ratio_pct=("percent", "0.4"))
    with_facts = match_filing(_filing(title), TIMELINE, facts=facts)
    without = match_filing(_filing(title), TIMELINE)
    assert with_facts.reasons == without.reasons
    none = FactSet.none("stake_acquisition", "nothing")
    assert match_filing(_filing(title), TIMELINE, facts=none).reasons == without.reasons


def test_revenue_share_of_a_contract_counts_as_size() -> None:
    b = FactBuilder("body")
    b.percent("revenue_ratio_pct", "매출액대비(%)", "12.5")
    b.money("amount_krw", "계약금액(원)", "1,000,000,000")
    result = match_filing(
        _filing("단일판매ㆍ공급계약체결"),
        TIMELINE,
        facts=b.result("supply_contract", empty_reason=""),
    )
    assert any(r.ko == "규모: 매출액 대비 12.5%" for r in result.reasons)
