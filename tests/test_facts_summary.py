"""One-line summaries from the templates of summaries.toml, and correction diffs."""

from __future__ import annotations

from monitor.facts.corrections import body_changes, changes, fact_changes
from monitor.facts.model import EXTRACTED, Fact, FactBuilder, FactSet
from monitor.facts.summary import summarize


def _set(family: str, **values: tuple[str, str | None]) -> FactSet:
    b = FactBuilder("body")
    for key, (kind, raw) in values.items():
        getattr(b, kind)(key, key, raw)
    return b.result(family, empty_reason="empty")


def test_earnings_summary_in_both_languages() -> None:
    facts = _set(
        "earnings",
        revenue_krw=("money", "2,800,000,000,000"),
        revenue_yoy_pct=("percent", "12.0"),
        operating_profit_krw=("money", "412,300,000,000"),
        operating_profit_yoy_pct=("percent", "35"),
        period_end=("date", "2026-09-30"),
    )
    assert summarize(facts) == "3Q 잠정: 매출 2.8조(+12% YoY), 영업익 4,123억(+35% YoY)"
    assert summarize(facts, "en") == (
        "3Q preliminary: revenue KRW 2.8tn (+12% YoY), operating profit KRW 412.3bn (+35% YoY)"
    )


def test_optional_parts_drop_out_and_required_gaps_fall_back() -> None:
    only_amount = _set("supply_contract", amount_krw=("money", "44,200,000,000"))
    assert summarize(only_amount) == "442억원 공급계약"
    no_amount = _set("supply_contract", counterparty=("text", "SK하이닉스"))
    assert summarize(no_amount) is None  # the amount is required


def test_dividend_summary_uses_korean_money_units() -> None:
    facts = _set(
        "dividend",
        dps_krw=("money", "361"),
        yield_pct=("percent", "1.9"),
        total_krw=("money", "2,452,976,000,000"),
        record_date=("date", "2026-12-31"),
    )
    assert summarize(facts) == "주당 361원 · 시가배당률 1.9% · 총 2.5조원 · 기준일 2026-12-31"


def test_no_summary_without_facts() -> None:
    assert summarize(None) is None
    assert summarize(FactSet.none("buyback", "nothing")) is None
    assert summarize(FactSet(None, EXTRACTED, facts=(Fact("x", 1, "x", "", "1", "body"),))) is None


def test_fact_changes_old_to_new() -> None:
    old = _set("supply_contract", amount_krw=("money", "44,200,000,000"), region=("text", "한국"))
    new = _set(
        "supply_contract",
        amount_krw=("money", "45,100,000,000"),
        region=("text", "한국"),
        period_end=("date", "2026-10-01"),
    )
    found = fact_changes(old, new)
    assert [(c.key, c.old, c.new) for c in found] == [
        ("amount_krw", "442억원", "451억원"),
        ("period_end", "—", "2026-10-01"),
    ]
    assert changes(old, old) == []


def test_body_changes_when_the_original_has_no_facts() -> None:
    new = FactSet(
        "supply_contract",
        EXTRACTED,
        facts=(),
        corrections=(("계약금액(원)", "44,200,000,000", "45,100,000,000"), ("x", "", "")),
    )
    found = changes(None, new)
    assert [(c.label, c.old, c.new) for c in found] == [
        ("계약금액(원)", "44,200,000,000", "45,100,000,000")
    ]
    assert body_changes(None) == []
