"""The matcher: realistic titles of the five companies (and partners) placed on the
timeline, categories, corrections/withdrawals, relevance ordering and reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from monitor.kai.matcher import (
    FilingInput,
    MatchResult,
    alert_from_match,
    alert_from_rows,
    match_filing,
)
from monitor.kai.timeline import load_timeline
from notifiers.base import Alert
from storage.models import Filing

TL = load_timeline()

NAVER, SKT, SK, LG, NC = "00266961", "00159023", "00181712", "00120021", "00261443"
STOCK = {NAVER: "035420", SKT: "017670", SK: "034730", LG: "003550", NC: "036570"}
NAME = {NAVER: "NAVER", SKT: "SK텔레콤", SK: "SK", LG: "LG", NC: "엔씨소프트"}


def filing(
    corp: str, title: str, day: str, rm: str = "", *, stock: str | None = None
) -> FilingInput:
    return FilingInput(
        rcept_no=f"{day}000123",
        corp_code=corp,
        corp_name=NAME.get(corp, "기타"),
        report_nm=title,
        rcept_dt=day,
        stock_code=stock if stock is not None else STOCK.get(corp),
        flr_nm=NAME.get(corp, "기타"),
        rm=rm,
    )


@dataclass(frozen=True)
class Case:
    corp: str
    title: str
    day: str
    rm: str
    team: str | None
    role: str | None
    status: str | None
    category: str
    phase: str | None
    before: tuple[str, int] | None  # (date, offset_days)
    after: tuple[str, int] | None
    ai: bool
    stock: str | None = None


CASES = [
    Case(LG, "기타경영사항(자율공시)(K-EXAONE 오픈웨이트 공개)", "20251231", "유",
         "lg", "lead_parent", "active", "autonomous", "stage1",
         ("2025-12-31", 0), ("2026-01-05", 5), True),
    Case(LG, "임원ㆍ주요주주특정증권등소유상황보고서", "20251231", "",
         "lg", "lead_parent", "active", "ownership", "stage1",
         ("2025-12-31", 0), ("2026-01-05", 5), False),
    Case(LG, "[발행조건확정]증권신고서(채무증권)", "20260302", "",
         "lg", "lead_parent", "active", "correction", "stage2",
         ("2026-03-01", -1), ("2026-04", 30), False),
    Case(NAVER, "[기재정정]주요사항보고서(타법인주식및출자증권취득결정)", "20260116", "유",
         "naver", "lead_parent", "eliminated", "correction", "stage2",
         ("2026-01-15", -1), ("2026-01-23", 7), False),
    Case(NAVER, "주식등의대량보유상황보고서(일반)", "20260105", "",
         "naver", "lead_parent", "active", "ownership", "stage1_eval",
         ("2026-01-05", 0), ("2026-01-15", 10), False),
    Case(NAVER, "기타경영사항(자율공시)(하이퍼클로바X SEED 오픈소스 공개)", "20251230", "유",
         "naver", "lead_parent", "active", "autonomous", "stage1",
         ("2025-12-30", 0), ("2026-01-05", 6), True),
    Case(NAVER, "주주총회소집공고", "20260227", "",
         "naver", "lead_parent", "eliminated", "governance", "stage2",
         ("2026-02-20", -7), ("2026-07-31", 154), False),
    Case(SKT, "타법인주식및출자증권취득결정(AI 데이터센터 합작법인)", "20260110", "유철",
         "skt", "lead", "active", "withdrawal", "stage1_eval",
         ("2026-01-07", -3), ("2026-01-15", 5), True),
    Case(SKT, "기타경영사항(자율공시)(A.X K1 모델 공개)", "20260107", "유",
         "skt", "lead", "active", "autonomous", "stage1_eval",
         ("2026-01-07", 0), ("2026-01-15", 8), True),
    Case(SKT, "연결재무제표기준영업(잠정)실적(공정공시)", "20260205", "유",
         "skt", "lead", "active", "fair_disclosure", "stage2",
         ("2026-01-23", -13), ("2026-02-20", 15), False),
    Case(SKT, "주요사항보고서(유상증자결정)", "20260401", "",
         "skt", "lead", "active", "capital_raise", "stage2",
         ("2026-02-20", -40), ("2026-06-30", 90), False),
    Case(SK, "사업보고서 (2025.12)", "20260310", "유연",
         "skt", "holding_company", "active", "periodic", "stage2",
         ("2026-02-20", -18), ("2026-06-30", 112), False),
    Case(NC, "조회공시요구(풍문또는보도)에대한답변(미확정)", "20260114", "유",
         "ncai", "lead_parent", "active", "rumour", "stage1_eval",
         ("2026-01-09", -5), ("2026-01-15", 1), False),
    Case(NC, "기타경영사항(자율공시)(VAETKI 기술보고서 공개)", "20260109", "유",
         "ncai", "lead_parent", "active", "autonomous", "stage1_eval",
         ("2026-01-09", 0), ("2026-01-15", 6), True),
    Case(NC, "최대주주등소유주식변동신고서", "20260120", "유",
         "ncai", "lead_parent", "eliminated", "ownership", "stage2",
         ("2026-01-15", -5), ("2026-01-23", 3), False),
    Case("99999999", "단일판매ㆍ공급계약체결(GPU 서버)", "20260801", "유",
         "skt", "consortium_partner", "active", "major_event", "stage2_eval",
         ("2026-08", 0), ("2026-12", 122), True, "259960"),
    Case("99999999", "기타경영사항(자율공시)(Solar Open 번역 데이터 공급)", "20260105", "코",
         "upstage", "consortium_partner", "active", "autonomous", "stage1_eval",
         ("2026-01-05", 0), ("2026-01-15", 10), True, "300080"),
    Case("00126380", "MAIN 정관변경 EMAIL", "20260114", "",
         None, None, None, "governance", "stage1_eval",
         ("2026-01-09", -5), ("2026-01-15", 1), False, "005930"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.corp}-{c.title[:18]}")
def test_table(case: Case) -> None:
    result = match_filing(filing(case.corp, case.title, case.day, case.rm, stock=case.stock), TL)
    assert (result.team, result.role, result.team_status) == (case.team, case.role, case.status)
    assert result.category == case.category
    assert result.phase == case.phase
    before = result.milestone_before
    after = result.milestone_after
    assert ((before.date, before.offset_days) if before else None) == case.before
    assert ((after.date, after.offset_days) if after else None) == case.after
    assert result.ai_related is case.ai
    assert sum(r.points for r in result.reasons) == result.relevance
    assert 0 <= result.relevance <= 100
    assert result.timeline_version == TL.version


def test_correction_and_withdrawal_flags() -> None:
    r = match_filing(
        filing(NAVER, "[기재정정]주요사항보고서(타법인주식및출자증권취득결정)", "20260116"), TL
    )
    assert (r.correction, r.correction_prefix, r.base_category) == (True, "기재정정", "investment")
    assert r.category_en == "Correction · Investment or equity acquisition"
    assert r.category_ko == "정정 · 투자·지분 취득"
    assert any("[기재정정]" in x.ko and x.points == 0 for x in r.reasons)
    w = match_filing(filing(SKT, "타법인주식및출자증권취득결정", "20260110", "유철"), TL)
    assert (w.withdrawn, w.category, w.category_en) == (
        True, "withdrawal", "Withdrawal · Investment or equity acquisition"
    )  # fmt: skip
    notice = match_filing(filing(SKT, "증권신고서철회신고서", "20260110"), TL)
    assert (notice.withdrawn, notice.category, notice.category_en) == (
        True,
        "withdrawal",
        "Withdrawal",
    )
    amended = match_filing(filing(LG, "사업보고서 (2025.12)", "20260310", "유정"), TL)
    assert amended.amended and not amended.correction and amended.category == "periodic"


@pytest.mark.parametrize(
    ("corp", "ai_title", "routine_title", "day"),
    [
        (
            LG,
            "기타경영사항(자율공시)(K-EXAONE 오픈웨이트 공개)",
            "임원ㆍ주요주주특정증권등소유상황보고서",
            "20260114",
        ),
        (
            SKT,
            "기타경영사항(자율공시)(A.X K1 독자 AI 파운데이션 모델)",
            "주식등의대량보유상황보고서(일반)",
            "20260115",
        ),
        (
            SK,
            "타법인주식및출자증권취득결정(AI 데이터센터)",
            "최대주주등소유주식변동신고서",
            "20260116",
        ),
        (
            NAVER,
            "기타경영사항(자율공시)(HyperCLOVA X 인공지능 모델)",
            "임원ㆍ주요주주특정증권등소유상황보고서",
            "20260113",
        ),
        (
            NC,
            "기타경영사항(자율공시)(VAETKI LLM 공개)",
            "주식등의대량보유상황보고서(약식)",
            "20260112",
        ),
    ],
)
def test_ai_filing_near_evaluation_ranks_above_routine_ownership_report(
    corp: str, ai_title: str, routine_title: str, day: str
) -> None:
    ai = match_filing(filing(corp, ai_title, day), TL)
    routine = match_filing(filing(corp, routine_title, day), TL)
    assert ai.relevance > routine.relevance + 20
    assert ai.ai_related and not routine.ai_related
    assert any("1차 평가 결과" in r.ko and r.points > 0 for r in ai.reasons)


def test_word_boundaries_for_latin_terms() -> None:
    def terms(title: str) -> tuple[str, ...]:
        return match_filing(filing(LG, title, "20260301"), TL).title_terms

    assert terms("MAIN EMAIL SAIL RAIN 정관변경") == ()
    assert terms("LG AI연구원 투자") == ("AI",)
    assert terms("K-AI 정예팀") == ("K-AI",)
    assert terms("K-EXAONE 및 EXAONE 4.5") == ("K-EXAONE", "EXAONE")
    assert terms("파운데이션모델 개발") == ("파운데이션 모델",)
    assert terms("GPUs 구매") == ("GPU",)
    assert terms("IDCs") == ()


def test_body_raises_score_and_title_only_is_noted() -> None:
    f = filing(SKT, "단일판매ㆍ공급계약체결", "20260301")
    title_only = match_filing(f, TL, None, "timeout")
    assert not title_only.body_used and title_only.body_status == "timeout"
    assert title_only.title_only_en == "Matched on the title only (body fetch timed out)"
    assert title_only.title_only_ko == "본문 없이 제목만으로 판단 (본문 가져오기 시간 초과)"
    assert any(r.en == title_only.title_only_en and r.points == 0 for r in title_only.reasons)
    body = "본 계약은 AI 데이터센터용 GPU 서버 공급 계약입니다. 인공지능 " * 50
    with_body = match_filing(f, TL, body, "timeout")
    assert with_body.body_used and with_body.body_status == "ok" and with_body.title_only_en is None
    assert with_body.relevance > title_only.relevance
    assert with_body.body_terms == ("인공지능", "AI", "GPU", "데이터센터")
    body_reason = next(r for r in with_body.reasons if r.en.startswith("AI terms in the document"))
    assert "인공지능 ×50" in body_reason.ko and body_reason.points <= 30


def test_score_is_capped_with_an_explaining_reason() -> None:
    title = "타법인주식및출자증권취득결정(독자 AI 파운데이션 모델 K-EXAONE LLM GPU 데이터센터)"
    body = "K-AI 소버린 인공지능 HyperCLOVA X VAETKI A.X K1 EXAONE LLM GPU " * 100
    r = match_filing(filing(LG, title, "20260115"), TL, body)
    assert r.relevance == 100
    cap = r.reasons[-1]
    assert cap.en == "Score capped at 100" and cap.points < 0
    assert sum(x.points for x in r.reasons) == 100


def test_reasons_are_bilingual_and_explain_the_team() -> None:
    r = match_filing(filing(NAVER, "주식등의대량보유상황보고서(일반)", "20260301"), TL)
    team = next(x for x in r.reasons if "Naver Cloud team" in x.en)
    assert team.en == "Naver Cloud team — listed parent of the lead (eliminated on the filing date)"
    assert team.ko == "네이버클라우드 팀 — 주관기관의 상장 모회사 (공시일 기준 탈락)"
    assert team.points == 4


def test_accepts_a_stored_filing_row_and_round_trips_through_storage_rows() -> None:
    row = Filing(
        rcept_no="20260115800123",
        corp_code=LG,
        corp_name="LG",
        stock_code="003550",
        report_nm="기타경영사항(자율공시)(K-EXAONE 평가 결과) ",
        flr_nm="LG",
        rcept_dt="20260115",
        rm="유정",
        amended=True,
        first_seen_at=datetime(2026, 1, 15, 1, 2, 3, tzinfo=UTC),
    )
    result = match_filing(row, TL)
    stored = result.to_row()
    assert (stored.team, stored.role, stored.phase, stored.category) == (
        "lg", "lead_parent", "stage1_eval", "autonomous"
    )  # fmt: skip
    assert MatchResult.from_row(stored) == result
    alert = alert_from_rows(row, stored)
    assert alert == alert_from_match(row, result, row.first_seen_at)
    assert (alert.team, alert.team_ko, alert.role, alert.role_ko) == (
        "LG AI Research", "LG AI연구원", "listed parent of the lead", "주관기관의 상장 모회사"
    )  # fmt: skip
    assert (alert.phase, alert.phase_ko) == ("Stage 1 evaluation", "1차 평가")
    assert alert.amended and not alert.withdrawn and alert.report_nm.endswith("결과)")
    assert alert.milestone_before is not None and alert.milestone_before.key
    assert alert.milestone_before.offset_days == 0
    assert alert.reasons == result.reasons and alert.relevance == result.relevance
    assert Alert.from_dict(alert.to_dict()) == alert


def test_unparsable_date_still_matches() -> None:
    r = match_filing(filing(LG, "K-EXAONE 공개", "2026011"), TL)
    assert r.phase is None and r.milestone_before is None and r.team == "lg"
    assert sum(x.points for x in r.reasons) == r.relevance
