"""Body extractors on the layouts of real filings (tests/helpers/facts_layouts.py names each
source): both form families, DART-XML and viewer HTML, EUC-KR bytes, missing and ``-``
cells, the counterparty-revenue trap, amendments with a 정정사항 table; and a property
test that no body makes a parser raise."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.facts import bodies
from monitor.facts.model import EXTRACTED, UNPARSEABLE
from monitor.facts.summary import summarize
from monitor.facts.tables import parse_body
from tests.helpers import facts_layouts as L


def test_supply_contract_kospi_form() -> None:
    facts = bodies.extract("supply_contract", L.dart_xml(L.SUPPLY_KOSPI))
    assert facts.status == EXTRACTED
    assert facts.values() == {
        "contract_name": "HBM4 제조용 'TC BONDER 4.5 GRIFFIN' 장비 수주",
        "contract_kind": "기타 판매ㆍ공급계약",
        "amount_krw": 44_200_000_000,
        "revenue_krw": 577_023_498_695,
        "revenue_ratio_pct": 7.66,
        "counterparty": "SK하이닉스(SK Hynix Inc.)",
        "region": "한국",
        "period_start": "2026-06-08",
        "period_end": "2026-09-02",
        "contract_date": "2026-06-08",
    }
    amount = facts.fact("amount_krw")
    assert amount is not None
    assert (amount.display, amount.source, amount.label) == ("442억원", "body", "계약금액(원)")


def test_supply_contract_kosdaq_form_in_euc_kr_avoids_the_counterparty_revenue_trap() -> None:
    markup = L.dart_xml(L.SUPPLY_KOSDAQ, encoding="utf-8").encode("euc-kr")
    facts = bodies.extract("supply_contract", markup)
    assert facts.get("amount_krw") == 19_426_988_796
    # The company's revenue, not SK하이닉스's 32,765,719,000,000 under 3. 계약상대방.
    assert facts.get("revenue_krw") == 284_745_246_660
    assert facts.get("revenue_ratio_pct") == 6.82
    assert facts.get("counterparty") == "SK하이닉스"
    assert facts.get("contract_date") == "2024-07-10"


def test_supply_contract_without_own_revenue_never_takes_the_counterpartys() -> None:
    facts = bodies.extract("supply_contract", L.dart_xml(L.SUPPLY_KOSDAQ_NO_REVENUE))
    assert facts.get("revenue_krw") is None
    assert facts.get("revenue_ratio_pct") is None
    assert facts.get("amount_krw") == 19_426_988_796


def test_supply_contract_hyundai_pair() -> None:
    facts = bodies.extract("supply_contract", L.viewer_html(L.SUPPLY_HYUNDAI))
    assert facts.get("amount_krw") == 853_142_656_380
    assert facts.get("revenue_krw") == 31_062_912_168_499
    assert facts.get("revenue_ratio_pct") == 2.7
    assert facts.get("counterparty") == "범천4구역 주택재개발정비사업조합"
    assert facts.get("contract_date") == "2026-06-22"


def test_viewer_html_and_dart_xml_give_the_same_facts() -> None:
    xml = bodies.extract("supply_contract", L.dart_xml(L.SUPPLY_KOSPI))
    html = bodies.extract("supply_contract", L.viewer_html(L.SUPPLY_KOSPI))
    assert xml.values() == html.values()


def test_earnings_bigtec_with_turn_columns_and_negative_figures() -> None:
    facts = bodies.extract("earnings", L.dart_xml(L.EARNINGS_BIGTEC))
    assert facts.get("revenue_krw") == 22_574_000_000  # 백만원 from the header
    assert facts.get("revenue_prev_krw") == 20_943_000_000
    assert facts.get("revenue_qoq_pct") == 7.8
    assert facts.get("revenue_yearago_krw") == 14_661_000_000
    assert facts.get("revenue_yoy_pct") == 54.0
    assert facts.get("operating_profit_krw") == 624_000_000
    assert facts.get("operating_profit_yoy_pct") == -27.5
    assert facts.get("net_income_krw") == -567_000_000
    assert facts.get("net_income_yoy_pct") is None  # "-" in the table
    assert facts.get("net_income_turn") == "적자전환"
    assert facts.get("pretax_income_krw") == -802_000_000
    # The 누계실적 rows do not overwrite the quarter's figures.
    assert facts.get("revenue_krw") != 43_517_000_000
    assert (facts.get("period_start"), facts.get("period_end")) == ("2026-04-01", "2026-06-30")


def test_earnings_hyosung_triangle_negatives_and_controlling_interest() -> None:
    facts = bodies.extract("earnings", L.dart_xml(L.EARNINGS_HYOSUNG))
    assert facts.get("revenue_krw") == 1_358_209_000_000
    assert facts.get("revenue_qoq_pct") == -22.07
    assert facts.get("revenue_yoy_pct") == 26.21
    assert facts.get("operating_profit_qoq_pct") == -25.33
    assert facts.get("operating_profit_yearago_krw") == -5_000_000_000
    assert facts.get("operating_profit_turn") == "흑자전환"
    assert facts.get("controlling_net_income_krw") == 78_000_000_000


def test_earnings_old_form_without_turn_columns_in_eok() -> None:
    facts = bodies.extract("earnings", L.dart_xml(L.EARNINGS_OLD_FORM))
    assert facts.get("revenue_krw") == 2_800_000_000_000
    assert facts.get("revenue_yearago_krw") == 2_500_000_000_000
    assert facts.get("revenue_yoy_pct") == 12.0
    assert facts.get("operating_profit_krw") == 412_300_000_000
    assert facts.get("operating_profit_yoy_pct") == 35.0


def test_dividend_per_share_class() -> None:
    facts = bodies.extract("dividend", L.dart_xml(L.DIVIDEND))
    assert facts.get("dps_krw") == 1002
    assert facts.get("dps_other_krw") == 1003
    assert facts.get("yield_pct") == 0.5
    assert facts.get("yield_other_pct") == 0.6
    assert facts.get("total_krw") == 145_262_134_000
    assert facts.get("record_date") == "2026-12-31"
    assert facts.get("payment_date") is None  # "-"
    assert facts.get("dividend_type") == "결산배당"


def test_dividend_without_market_yield() -> None:
    facts = bodies.extract("dividend", L.dart_xml(L.DIVIDEND_NO_YIELD))
    assert facts.get("yield_pct") is None
    assert facts.get("dps_krw") == 1002


@pytest.mark.parametrize(
    ("family", "rows", "expected"),
    [
        (
            "stake_acquisition",
            L.STAKE_ACQUISITION,
            {
                "target": "업스테이지",
                "amount_krw": 100_000_000_000,
                "equity_ratio_pct": 5.0,
                "stake_after_pct": 10.0,
                "shares": 1_000_000,
                "purpose": "AI 사업 협력 강화",
                "date": "2026-12-15",
            },
        ),
        (
            "stake_disposal",
            L.STAKE_DISPOSAL,
            {
                "target": "라인야후",
                "amount_krw": 250_000_000_000,
                "equity_ratio_pct": 1.0,
                "stake_after_pct": 0.0,
                "purpose": "투자금 회수",
            },
        ),
        (
            "ir_event",
            L.IR_KOSPI,
            {"date": "2026-08-05", "time": "16:00", "method": "컨퍼런스콜"},
        ),
        (
            "facility_investment",
            L.FACILITY,
            {
                "amount_krw": 500_000_000_000,
                "equity_ratio_pct": 2.0,
                "purpose": "AI 데이터센터 구축",
                "period_end": "2027-06-30",
            },
        ),
        ("ir_event", L.IR_KOSDAQ, {"date": "2026-07-29", "time": "14:00", "method": "대면 설명회"}),
    ],
)
def test_other_families(family: str, rows: L.Rows, expected: dict[str, object]) -> None:
    facts = bodies.extract(family, L.dart_xml(rows))
    values = facts.values()
    assert {k: values.get(k) for k in expected} == expected


def test_amendment_correction_table_is_read_and_kept_out_of_the_facts() -> None:
    facts = bodies.extract(
        "supply_contract", L.dart_xml(L.CORRECTION_TABLE, L.SUPPLY_KOSPI, title="[기재정정]")
    )
    assert facts.corrections == (
        ("2. 계약내역 - 계약금액(원)", "44,200,000,000", "45,100,000,000"),
    )
    assert facts.get("amount_krw") == 44_200_000_000  # from the main table, not 정정 전/후


@pytest.mark.parametrize(
    "markup",
    ["", "no tables here", "<html><body><p>본문</p></body></html>", b"\xff\xfe\x00garbage"],
)
def test_bodies_without_tables_are_unparseable_with_a_reason(markup: str | bytes) -> None:
    facts = bodies.extract("dividend", markup)
    assert facts.status == UNPARSEABLE
    assert facts.reason
    assert facts.facts == ()


def test_unknown_family_has_no_facts() -> None:
    facts = bodies.extract("weather_report", L.dart_xml(L.DIVIDEND))
    assert facts.status == "none"
    assert "no body extractor" in facts.reason


def test_a_200kb_body_parses_quickly_enough_for_the_pipeline() -> None:
    padding = [[f"항목 {i:05d}", f"{i * 7919:,}", "백만원", "해당사항 없음"] for i in range(2500)]
    markup = L.dart_xml(padding, L.SUPPLY_KOSPI)  # a long statement table comes first
    assert len(markup.encode()) > 200_000
    started = time.perf_counter()
    facts = bodies.extract("supply_contract", markup)
    elapsed = time.perf_counter() - started
    assert facts.get("amount_krw") == 44_200_000_000
    assert elapsed < 5  # a sanity bound only; the p95 figure is a benchmark


_cells = st.text(
    alphabet=st.sampled_from(
        list("0123456789,.-△%()원억조 매출액계약상대시작일종료일당해실적보통주식<>&")
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(_cells, min_size=1, max_size=9), max_size=12),
    family=st.sampled_from(sorted(bodies.EXTRACTORS)),
)
def test_no_table_makes_a_parser_raise(rows: list[list[str]], family: str) -> None:
    facts = bodies.extract(family, L.dart_xml(rows))
    assert facts.status in ("extracted", "none", "unparseable")
    for fact in facts.facts:
        assert fact.display


@settings(max_examples=150, deadline=None)
@given(
    markup=st.one_of(st.text(max_size=300), st.binary(max_size=300)),
    family=st.sampled_from(sorted(bodies.EXTRACTORS)),
)
def test_no_markup_makes_a_parser_raise(markup: str | bytes, family: str) -> None:
    facts = bodies.extract(family, markup)
    assert facts.status in ("extracted", "none", "unparseable")


def test_nested_tables_are_read_once() -> None:
    markup = (
        "<table><tr><td>1. 배당구분</td><td>결산배당</td></tr>"
        "<tr><td><table><tr><td>5. 배당금총액(원)</td><td>1,000</td></tr></table></td></tr>"
        "</table>"
    )
    body = parse_body(markup)
    assert ("5. 배당금총액(원)", "1,000") in body.rows
    assert bodies.dividend(body).get("total_krw") == 1000


def test_major_shareholder_change_first_person() -> None:
    facts = bodies.extract("major_shareholder_change", L.dart_xml(L.MAJOR_SHAREHOLDER))
    assert facts.values() == {
        "holder": "홍길동",
        "relation": "최대주주 본인",
        "reason": "장내매수",
        "change_date": "2026-01-12",
        "shares_change": 20_000,
    }


def test_share_cancellation_and_asset_disposal() -> None:
    cancel = bodies.extract("share_cancellation", L.dart_xml(L.SHARE_CANCELLATION))
    assert cancel.get("shares") == 1_500_000
    assert cancel.get("shares_outstanding") == 150_000_000
    assert cancel.get("amount_krw") == 300_000_000_000
    assert cancel.get("date") == "2026-02-10"
    asset = bodies.extract("asset_disposal", L.dart_xml(L.ASSET_DISPOSAL))
    assert asset.get("amount_krw") == 120_000_000_000
    assert asset.get("target") == "분당 사옥"
    assert asset.get("assets_ratio_pct") == 0.3
    assert asset.get("counterparty") == "한국리츠"
    assert asset.get("date") == "2026-03-31"


def test_subsidiary_named_in_the_body() -> None:
    facts = bodies.extract("supply_contract", L.dart_xml(L.SUPPLY_SUBSIDIARY))
    assert facts.get("subsidiary") == "SK브로드밴드"
    assert facts.get("amount_krw") == 44_200_000_000
    summary = summarize(facts)
    assert summary is not None and summary.startswith("자회사 SK브로드밴드: 442억원 공급계약")


def test_results_pickle_for_an_off_loop_worker() -> None:
    import pickle

    facts = bodies.extract("supply_contract", L.dart_xml(L.CORRECTION_TABLE, L.SUPPLY_KOSPI))
    again = pickle.loads(pickle.dumps(facts))
    assert again == facts and again.corrections == facts.corrections
