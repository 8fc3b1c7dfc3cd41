"""Every real report name of the reference notes (docs/facts.md) → its facts family,
source, and matcher category: disposals are not acquisitions; 자회사 편입/탈퇴,
매출액또는손익구조 변동 and 주식소각 have their own categories."""

from __future__ import annotations

import pytest

from monitor.facts.routing import families, route, split_title
from monitor.kai.matcher import categorise

# (report_nm as list.json sends it, family, source, base category)
REAL_NAMES = [
    ("주요사항보고서(유상증자결정)", "capital_increase", "ds005", "capital_raise"),
    ("[첨부정정]주요사항보고서(유상증자결정)", "capital_increase", "ds005", "capital_raise"),
    ("주요사항보고서(무상증자결정)", "bonus_issue", "ds005", "governance"),
    ("주요사항보고서(자기주식취득결정) ", "buyback", "ds005", "governance"),
    ("[기재정정]주요사항보고서(자기주식취득결정)", "buyback", "ds005", "governance"),
    ("주요사항보고서(자기주식처분결정)", "treasury_disposal", "ds005", "governance"),
    ("주요사항보고서(자기주식취득신탁계약체결결정)", "buyback_trust", "ds005", "governance"),
    ("주요사항보고서(타법인주식및출자증권양수결정)", "stake_acquisition", "ds005", "investment"),
    (
        "[기재정정]주요사항보고서(타법인주식및출자증권양수결정)",
        "stake_acquisition",
        "ds005",
        "investment",
    ),
    ("주요사항보고서(타법인주식및출자증권양도결정)", "stake_disposal", "ds005", "disposal"),
    ("주요사항보고서(유형자산양수결정)", "asset_acquisition", "ds005", "investment"),
    ("[기재정정]주요사항보고서(유형자산양수결정)", "asset_acquisition", "ds005", "investment"),
    ("주요사항보고서(유형자산양도결정)", "asset_disposal", "ds005", "disposal"),
    ("주요사항보고서(전환사채권발행결정)", "convertible_bond", "ds005", "capital_raise"),
    ("[기재정정]주요사항보고서(전환사채권발행결정)", "convertible_bond", "ds005", "capital_raise"),
    ("주요사항보고서(신주인수권부사채권발행결정)", "bond_with_warrants", "ds005", "capital_raise"),
    ("주요사항보고서(회사합병결정)", "merger", "ds005", "major_event"),
    ("주요사항보고서(회사분할결정)", "split", "ds005", "major_event"),
    ("주요사항보고서(영업양수결정)", "business_acquisition", "ds005", "investment"),
    ("주요사항보고서(영업양도결정)", "business_disposal", "ds005", "disposal"),
    ("주식등의대량보유상황보고서(일반)", "major_holding", "ds004", "ownership"),
    ("주식등의대량보유상황보고서(약식)", "major_holding", "ds004", "ownership"),
    ("임원ㆍ주요주주특정증권등소유상황보고서", "insider_holding", "ds004", "ownership"),
    ("[기재정정]임원ㆍ주요주주특정증권등소유상황보고서", "insider_holding", "ds004", "ownership"),
    ("단일판매ㆍ공급계약체결", "supply_contract", "body", "major_event"),
    ("단일판매ㆍ공급계약체결(자율공시)", "supply_contract", "body", "autonomous"),
    ("단일판매ㆍ공급계약체결(자회사의 주요경영사항)", "supply_contract", "body", "major_event"),
    ("연결재무제표기준영업(잠정)실적(공정공시)", "earnings", "body", "fair_disclosure"),
    ("[기재정정]연결재무제표기준영업(잠정)실적(공정공시)", "earnings", "body", "fair_disclosure"),
    ("영업(잠정)실적(공정공시)", "earnings", "body", "fair_disclosure"),
    ("현금ㆍ현물배당결정", "dividend", "body", "governance"),
    ("현금ㆍ현물배당결정(자회사의 주요경영사항)", "dividend", "body", "governance"),
    ("타법인주식및출자증권취득결정", "stake_acquisition", "body", "investment"),
    (
        "타법인주식및출자증권취득결정(자회사의 주요경영사항)",
        "stake_acquisition",
        "body",
        "investment",
    ),
    ("타법인주식및출자증권처분결정", "stake_disposal", "body", "disposal"),
    ("유형자산취득결정", "asset_acquisition", "body", "investment"),
    ("유형자산처분결정", "asset_disposal", "body", "disposal"),
    ("기업설명회(IR)개최(안내공시)", "ir_event", "body", "fair_disclosure"),
    ("최대주주등소유주식변동신고서", "major_shareholder_change", "body", "ownership"),
    ("주식소각결정", "share_cancellation", "body", "share_cancellation"),
    ("신규시설투자등", "facility_investment", "body", "investment"),
    ("신규시설투자등(자회사의 주요경영사항)", "facility_investment", "body", "investment"),
]

# Titles without facts, with their category.
NO_FACTS = [
    ("현금ㆍ현물배당을위한주주명부폐쇄(기준일)결정", "governance"),
    ("기타경영사항(자율공시)", "autonomous"),
    ("반기보고서 (2022.06)", "periodic"),
    ("주권매매거래정지(상장폐지 사유발생)", "major_event"),
    ("[첨부추가]일괄신고추가서류(파생결합증권-주가연계증권)", "capital_raise"),
    ("대규모기업집단현황공시[연1회공시및1/4분기용(개별회사)]", "governance"),
    ("매출액또는손익구조30%(대규모법인은15%)이상변동", "earnings_change"),
    ("지주회사의자회사편입", "subsidiary_change"),
    ("자회사탈퇴", "subsidiary_change"),
    ("주식소각결정(자회사의 주요경영사항)", "share_cancellation"),
]


@pytest.mark.parametrize(("report_nm", "family", "source", "category"), REAL_NAMES)
def test_real_names_route_and_categorise(
    report_nm: str, family: str, source: str, category: str
) -> None:
    where = route(report_nm)
    assert where is not None, report_nm
    assert (where.family, where.source) == (family, source)
    assert categorise(report_nm)[0] == category


@pytest.mark.parametrize(("report_nm", "category"), NO_FACTS)
def test_other_titles(report_nm: str, category: str) -> None:
    assert categorise(report_nm)[0] == category
    if category not in ("share_cancellation",):
        assert route(report_nm) is None


def test_disposals_are_never_acquisitions() -> None:
    for report_nm, _, _, category in REAL_NAMES:
        if any(word in report_nm for word in ("처분", "양도")) and "자기주식" not in report_nm:
            assert category == "disposal", report_nm
            assert categorise(report_nm)[0] != "investment"


def test_prefixes_and_subsidiary_suffix() -> None:
    assert split_title(" [기재정정][첨부정정]현금ㆍ현물배당결정 ") == (
        "기재정정",
        "현금ㆍ현물배당결정",
    )
    correction = route("[기재정정]주요사항보고서(자기주식취득결정)")
    assert correction is not None and correction.correction
    subsidiary = route("단일판매ㆍ공급계약체결(자회사의 주요경영사항)")
    assert subsidiary is not None and subsidiary.subsidiary
    assert route("") is None


def test_every_family_has_summary_templates() -> None:
    from monitor.facts.summary import families_with_templates

    assert set(families()) <= set(families_with_templates())
