"""The timeline read on many "today"s: statuses computed at read time (overdue), the
stand-in phase after the last sourced one, team standings, the stale-data note, the
matcher's neutral points and proximity rules, and golden alert and digest files for
2026-11-30 (months after the sources end).

Golden files: tests/golden/alert/ and tests/golden/digest/2026-11-30.*; after a
deliberate change regenerate with ``UPDATE_GOLDEN=1`` and review the diff like code.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from monitor.digest.render import render
from monitor.kai.matcher import FilingInput, alert_from_match, match_filing
from monitor.kai.timeline import bundled_timeline, load_timeline
from monitor.kai.timeline.queries import phase_at, status_at, team_standing
from monitor.kai.timeline.views import render_text, timeline_box
from notifiers.formatting import alert_html, alert_markdown, alert_text
from notifiers.telegram_format import format_alert_html
from notifiers.telegram_texts import t as telegram_text
from tests.helpers.digest import golden_digest

TL = bundled_timeline()
GOLDEN = Path(__file__).parent / "golden"
LATE_DAY = date(2026, 11, 30)

# today → (phase id, phase status, stage2-result status, final-two status,
#          lg standing, naver standing, stale)
EXPECTED = {
    date(2026, 1, 14): ("stage1_eval", "reported", "planned", "planned", "active", "active", False),
    date(2026, 1, 16): ("stage2", "planned", "planned", "planned", "active", "eliminated", False),
    date(2026, 8, 1): (
        "stage2_eval", "planned", "planned", "planned", "active", "eliminated", True,
    ),
    date(2026, 8, 20): (
        "stage2_eval", "planned", "planned", "planned", "active", "eliminated", True,
    ),
    date(2026, 11, 30): (
        "after_stage2_eval", "overdue", "overdue", "planned", "unverified", "eliminated", True,
    ),
    date(2027, 3, 1): (
        "after_stage2_eval", "overdue", "overdue", "overdue", "unverified", "eliminated", True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("day", sorted(EXPECTED), ids=str)
def test_statuses_phase_and_teams_on_each_day(day: date) -> None:
    phase_id, phase_status, stage2, final, lg, naver, is_stale = EXPECTED[day]
    phase = phase_at(TL, day)
    assert phase is not None and (phase.id, phase.status) == (phase_id, phase_status)
    assert status_at(TL.milestone_by_id["stage2-result"], day) == stage2
    assert status_at(TL.milestone_by_id["final-two"], day) == final
    standings = {t.id: team_standing(TL, t.id, day) for t in TL.teams}
    assert standings["lg"] is not None and standings["lg"].status == lg
    assert standings["naver"] is not None and standings["naver"].status == naver
    box = timeline_box(TL, day, "ko")
    assert box["as_of"] == day.isoformat() and box["stale"] is is_stale
    # Never "예정" for a planned item whose last day has passed.
    for m in box["milestones"]:
        if (
            TL.milestone_by_id[m["id"]].status == "planned"
            and TL.milestone_by_id[m["id"]].last_day < day
        ):
            assert m["status"] == "overdue" and m["status_label"] == "결과 미기록 (예정일 경과)"


def test_after_the_august_evaluation_the_views_say_overdue_and_unverified() -> None:
    box = timeline_box(TL, LATE_DAY, "ko")
    assert box["phase"]["title"] == "2차 평가 이후 — 일정 미확인"
    teams = {t["id"]: t["status_label"] for t in box["teams"]}
    assert teams["lg"] == "미확인 (2차 평가 결과 미기록)"
    assert teams["ncai"] == "탈락"
    en = render_text(TL, LATE_DAY, "en")
    assert "Stage-2 evaluation (early August): which of the four teams are cut " in en
    assert "[overdue — no result recorded, reports differ]" in en
    assert "LG AI Research: unverified (no stage-2 evaluation result recorded)" in en
    ko = render_text(TL, LATE_DAY, "ko", full=False)
    assert "★ 2026-12 … 2027-02 최종 2개 팀 선정 [예정, 보도 엇갈림]" in ko
    # Both readings with their own sources.
    assert "https://biz.heraldcorp.com/article/10637182" in ko
    assert "https://magazine.hankyung.com/business/article/202602204270b" in ko
    assert ko.count("자료는 2026-04까지입니다") == 1
    # The investor-facing view names no setting and no command.
    for text in (ko, render_text(TL, LATE_DAY, "en", full=False)):
        assert "TIMELINE_FILE" not in text and "dartwatch" not in text


def test_before_the_sources_end_no_stale_note() -> None:
    text = render_text(TL, date(2026, 1, 16), "ko", full=False)
    assert "자료는" not in text


def test_the_final_two_is_one_key_milestone_with_both_readings() -> None:
    m = TL.milestone_by_id["final-two"]
    assert (m.date_text, m.key, m.eliminates) == ("2026-12..2027-02", True, True)
    assert len(m.readings) == 2 and all(r.sources for r in m.readings)
    stage2 = TL.milestone_by_id["stage2-result"]
    assert len(stage2.readings) == 2 and "서울신문" in stage2.readings[1].ko


def _filing(corp: str, stock: str, name: str, title: str, day: str) -> FilingInput:
    return FilingInput(f"{day}000777", corp, name, title, day, stock, name, "유")


def test_matcher_gives_unverified_teams_neutral_points() -> None:
    title = "타법인주식및출자증권취득결정(AI 데이터센터)"
    late = match_filing(_filing("00159023", "017670", "SK텔레콤", title, "20261130"), TL)
    early = match_filing(_filing("00159023", "017670", "SK텔레콤", title, "20260520"), TL)
    assert (late.team_status, early.team_status) == ("unverified", "active")
    team_late = next(r for r in late.reasons if r.en.startswith("SK Telecom team"))
    team_early = next(r for r in early.reasons if r.en.startswith("SK Telecom team"))
    assert team_late.points == 0 and team_early.points == 10
    assert "미확인 (2차 평가 결과 미기록)" in team_late.ko
    assert late.sources_end == "2026-04" and late.team_status_ko == "미확인 (2차 평가 결과 미기록)"
    assert late.milestone_before is not None and late.milestone_before.status == "overdue"


def test_no_proximity_points_from_an_overdue_or_disputed_milestone() -> None:
    title = "타법인주식및출자증권취득결정(AI 데이터센터)"
    # 2026-09-05: the August evaluation is overdue, 5 days past its month.
    sept = match_filing(_filing("00159023", "017670", "SK텔레콤", title, "20260905"), TL)
    assert not any(r.points and "key milestone" in r.en for r in sept.reasons)
    assert any(r.points == 0 and r.en.startswith("no proximity points") for r in sept.reasons)
    # 2026-12-10: inside the disputed range of the final selection.
    dec = match_filing(_filing("00159023", "017670", "SK텔레콤", title, "20261210"), TL)
    assert not any(r.points and "key milestone" in r.en for r in dec.reasons)
    # 2026-08-05: the evaluation is under way (planned, not overdue) and earns points.
    aug = match_filing(_filing("00159023", "017670", "SK텔레콤", title, "20260805"), TL)
    assert any(r.points == 15 and "during the key milestone" in r.en for r in aug.reasons)


def test_proximity_alone_never_lifts_a_filing() -> None:
    # A consortium partner's filing with no AI term, on the day of the stage-1 result.
    plain = _filing("00999999", "259960", "크래프톤", "주식등의대량보유상황보고서", "20260115")
    result = match_filing(plain, TL)
    proximity = [r for r in result.reasons if "key milestone" in r.en]
    assert len(proximity) == 1 and proximity[0].points == 0
    assert "no AI term and no lead role" in proximity[0].en
    # The same day, a lead's filing keeps its proximity points.
    lead = _filing("00159023", "017670", "SK텔레콤", "주식등의대량보유상황보고서", "20260115")
    assert any(r.points == 15 for r in match_filing(lead, TL).reasons if "key" in r.en)
    # And so does the partner's filing once it names an AI term.
    ai = _filing("00999999", "259960", "크래프톤", "단일판매ㆍ공급계약체결(GPU 서버)", "20260115")
    assert any(r.points == 15 for r in match_filing(ai, TL).reasons if "key" in r.en)


def test_idc_and_adot_are_not_what_they_were_taken_for() -> None:
    idc = match_filing(_filing("00999999", "", "X", "IDC 보고서 인용 안내", "20260115"), TL)
    assert idc.title_terms == ()
    adot = match_filing(_filing("00999999", "", "X", "에이닷 서비스 관련 공시", "20260115"), TL)
    assert adot.title_terms == ("에이닷",)
    omni = match_filing(_filing("00999999", "", "X", "옴니모델 공개", "20260115"), TL)
    assert omni.title_terms == ("HyperCLOVA X SEED 8B Omni",)


def test_a_record_settles_the_milestone_and_the_teams(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        """
[[records]]
milestone = "stage2-result"
date = "2026-08-07"
outcome_ko = "PLACEHOLDER — 실제 결과를 적으세요"
outcome_en = "PLACEHOLDER — write the real outcome"
teams = { lg = "advanced", skt = "advanced", upstage = "advanced", motif = "eliminated" }
sources = ["https://example.com/placeholder-a", "https://example.com/placeholder-b"]
""",
        encoding="utf-8",
    )
    custom = load_timeline(path)
    m = custom.milestone_by_id["stage2-result"]
    assert status_at(m, date(2026, 8, 6)) == "planned"
    assert status_at(m, LATE_DAY) == "confirmed"  # two sources
    box = timeline_box(custom, LATE_DAY, "en")
    teams = {t["id"]: t["status"] for t in box["teams"]}
    assert teams == {
        "lg": "active", "skt": "active", "upstage": "active",
        "naver": "eliminated", "ncai": "eliminated", "motif": "eliminated",
    }  # fmt: skip
    assert box["phase"]["status"] == "confirmed" and box["sources_end"] == "2026-08-07"
    entry = next(x for x in box["milestones"] if x["id"] == "stage2-result")
    assert entry["outcome"] == "PLACEHOLDER — write the real outcome"
    assert entry["readings"] == [] and not entry["conflicting"]


@pytest.mark.parametrize(
    "text",
    [
        '[[records]]\nmilestone = "nope"\ndate = "2026-08-07"\noutcome_ko = "x"\n'
        'sources = ["https://e.com"]\n',
        '[[records]]\nmilestone = "stage2-result"\ndate = "2026-08"\noutcome_ko = "x"\n'
        'sources = ["https://e.com"]\n',
        '[[records]]\nmilestone = "stage2-result"\ndate = "2026-08-07"\noutcome_ko = "x"\n'
        "sources = []\n",
        '[[records]]\nmilestone = "stage2-result"\ndate = "2026-08-07"\noutcome_ko = "x"\n'
        'teams = { lg = "won" }\nsources = ["https://e.com"]\n',
    ],
    ids=["unknown-milestone", "month-only-date", "no-source", "bad-result"],
)
def test_bad_records_are_refused(tmp_path: Path, text: str) -> None:
    from monitor.kai.timeline import TimelineError

    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TimelineError) as info:
        load_timeline(path)
    assert info.value.errors and all(e.startswith("records[0]") for e in info.value.errors)


# --- golden files for 2026-11-30 -------------------------------------------------------


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1)"


def _late_alert() -> object:
    filing = _filing(
        "00159023", "017670", "SK텔레콤", "타법인주식및출자증권취득결정(AI 데이터센터)", "20261130"
    )
    return alert_from_match(filing, match_filing(filing, TL), None)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_golden_alert_on_2026_11_30(lang: str) -> None:
    alert = _late_alert()
    text = alert_text(alert, lang)  # type: ignore[arg-type]
    _golden(f"alert/2026-11-30.{lang}.txt", text + "\n")
    _golden(f"alert/2026-11-30.{lang}.md", alert_markdown(alert, lang) + "\n")  # type: ignore[arg-type]
    _golden(f"alert/2026-11-30.{lang}.html", alert_html(alert, lang) + "\n")  # type: ignore[arg-type]
    folded, _ = format_alert_html(alert, lang)  # type: ignore[arg-type]
    html, _ = format_alert_html(alert, lang, expanded=True)  # type: ignore[arg-type]
    assert html.startswith(folded + "\n")  # "왜?" only adds lines
    _golden(f"alert/2026-11-30.{lang}.telegram.html", f"{folded}\n\n— ❓ —\n\n{html}\n")
    overdue = "결과 미기록 (예정일 경과)" if lang == "ko" else "overdue — no result recorded"
    for rendered in (text, html):
        assert overdue in rendered and rendered.count("2026-04") == 1
    assert ("미확인 (2차 평가 결과 미기록)" if lang == "ko" else "unverified") in text
    assert telegram_text(lang, "status_overdue") == overdue
    assert ("예정)" not in text) and ("planned]" not in text.split("Next")[0])


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("fmt", ["text", "md", "html", "json"])
def test_golden_digest_on_2026_11_30(fmt: str, lang: str) -> None:
    digest = golden_digest(LATE_DAY, lang)
    out = render(digest, fmt)
    ext = {"text": "txt", "md": "md", "html": "html", "json": "json"}[fmt]
    _golden(f"digest/2026-11-30.{lang}.{ext}", out)
    overdue = "결과 미기록 (예정일 경과)" if lang == "ko" else "overdue — no result recorded"
    assert overdue in out
    if fmt == "json":
        box = json.loads(out)["timeline"]
        assert box["phase"]["unknown"] and box["stale"] and box["sources_end"] == "2026-04"
    else:
        assert out.count("2026-04") == 1


def test_suggestions_need_the_project_and_an_evaluation_word_together() -> None:
    from monitor.kai.suggestions import suggest, suggestion_text

    title = "기타경영사항(자율공시)(독자 AI 파운데이션 모델 2차 평가 통과)"
    found = suggest(title)
    assert (
        found is not None
        and found.in_title
        and (found.project, found.word)
        == (
            "독자 AI 파운데이션 모델",
            "평가",
        )
    )
    body = "당사는 독자AI 파운데이션 모델 프로젝트에서 최종 2개 팀으로 선정되었습니다."
    in_body = suggest("주요사항보고서", body)
    assert in_body is not None and not in_body.in_title
    assert suggest("독자 AI 파운데이션 모델 컨소시엄 참여") is None  # no evaluation word
    far = "독자 AI 파운데이션 모델" + " 가" * 200 + " 선정"
    assert suggest("공시", far) is None  # too far apart
    assert suggest("MAIN 평가 선정") is None
    filing = _filing("00159023", "017670", "SK텔레콤", title, "20261130")
    text = suggestion_text(filing, found, TL, LATE_DAY)
    assert "possible K-AI milestone" in text
    assert "/record stage2-result | <outcome> |" in text  # the overdue one first
    assert text.endswith("rcpNo=20261130000777")
