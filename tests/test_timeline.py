"""The K-AI timeline: bundled data, questions about a day, validation and overrides."""

from __future__ import annotations

import json
import shlex
from datetime import date
from pathlib import Path

import pytest

from monitor.kai.timeline import TimelineError, load_timeline, validate_file
from monitor.kai.timeline.model import PartialDate
from monitor.kai.timeline.queries import (
    milestones_around,
    nearest_key_milestone,
    phase_at,
    team_of,
    team_status_at,
)
from monitor.kai.timeline.views import render_text, timeline_box

TL = load_timeline()


def test_bundled_timeline_loads_with_stable_version() -> None:
    assert TL.version.startswith("bundled-") and len(TL.version) == len("bundled-") + 8
    assert load_timeline().version == TL.version
    assert {t.id for t in TL.teams} == {"lg", "skt", "upstage", "naver", "ncai", "motif"}
    assert len(TL.milestones) == 35
    keys = [m.id for m in TL.milestones if m.key]
    assert keys == ["selection-5", "stage1-result", "motif-selected", "stage2-result", "final-two"]
    assert all(p.sources for p in TL.phases)
    assert "stage3" not in {p.id for p in TL.phases} and "final-support" not in TL.milestone_by_id
    planned_after_sources = [m for m in TL.milestones if m.first_day > date(2026, 4, 30)]
    assert planned_after_sources and all(m.status == "planned" for m in planned_after_sources)
    assert all(m.sources for m in TL.milestones)


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (date(2025, 6, 19), None),
        (date(2025, 6, 20), "call"),
        (date(2025, 8, 4), "call"),
        (date(2025, 8, 5), "stage1"),
        (date(2026, 1, 10), "stage1_eval"),
        (date(2026, 1, 15), "stage1_eval"),
        (date(2026, 1, 16), "stage2"),
        (date(2026, 8, 5), "stage2_eval"),
        (date(2026, 9, 1), "after_stage2_eval"),
        (date(2026, 11, 28), "after_stage2_eval"),
        (date(2027, 7, 1), "after_stage2_eval"),
    ],
)
def test_phase_at(day: date, phase: str | None) -> None:
    found = phase_at(TL, day)
    assert (found.id if found else None) == phase


def test_milestones_around_prefers_key_milestone_on_a_shared_day() -> None:
    before, after = milestones_around(TL, date(2026, 1, 16))
    assert before is not None and after is not None
    assert (before.milestone.id, before.offset_days) == ("stage1-result", -1)
    assert (after.milestone.id, after.offset_days) == ("extra-call-open", 7)
    assert not before.approximate


def test_month_only_milestones_count_from_the_first_and_are_flagged() -> None:
    _, after = milestones_around(TL, date(2026, 7, 31), team="lg")
    assert after is not None
    assert (after.milestone.id, after.offset_days, after.approximate) == ("stage2-result", 1, True)
    before, _ = milestones_around(TL, date(2026, 8, 10))
    assert before is not None
    assert (before.milestone.id, before.offset_days) == ("stage2-result", -9)
    assert before.approximate and before.during and before.distance == 0
    assert PartialDate.parse("2026-02").last == date(2026, 2, 28)


def test_team_filter_skips_other_teams_milestones() -> None:
    before, _ = milestones_around(TL, date(2026, 1, 8), team="lg")
    assert before is not None and before.milestone.id == "stage1-eval-start"
    before, _ = milestones_around(TL, date(2026, 1, 8), team="skt")
    assert before is not None and before.milestone.id == "ax-k1-release"


def test_nearest_key_milestone_in_either_direction() -> None:
    near = nearest_key_milestone(TL, date(2026, 1, 10), "naver")
    assert near is not None and near.milestone.id == "stage1-result" and near.distance == 5
    near = nearest_key_milestone(TL, date(2026, 7, 28), "skt")
    assert near is not None and near.milestone.id == "stage2-result" and near.distance == 4


@pytest.mark.parametrize(
    ("corp_code", "stock_code", "team", "role"),
    [
        ("00266961", None, "naver", "lead_parent"),
        ("00159023", None, "skt", "lead"),
        ("00181712", None, "skt", "holding_company"),
        ("00120021", None, "lg", "lead_parent"),
        ("00261443", None, "ncai", "lead_parent"),
        ("00777272", None, "naver", "lead"),
        ("99999999", "259960", "skt", "consortium_partner"),
        ("99999999", "032640", "lg", "consortium_partner"),
        ("99999999", "181710", "ncai", "consortium_partner"),
        ("99999999", "300080", "upstage", "consortium_partner"),
        ("99999999", "440110", "motif", "consortium_partner"),
        (None, "035420", "naver", "lead_parent"),
    ],
)
def test_team_of(corp_code: str | None, stock_code: str | None, team: str, role: str) -> None:
    link = team_of(TL, corp_code, stock_code)
    assert link is not None
    assert (link.team.id, link.role) == (team, role)


def test_team_of_unknown_company() -> None:
    assert team_of(TL, "00126380", "005930") is None


@pytest.mark.parametrize(
    ("team", "day", "status"),
    [
        ("naver", date(2025, 7, 1), None),
        ("naver", date(2026, 1, 14), "active"),
        ("naver", date(2026, 1, 15), "eliminated"),
        ("ncai", date(2026, 11, 28), "eliminated"),
        ("lg", date(2026, 11, 28), "active"),
        ("motif", date(2025, 12, 1), "eliminated"),
        ("motif", date(2026, 3, 1), "active"),
    ],
)
def test_team_status_at(team: str, day: date, status: str | None) -> None:
    change = team_status_at(TL, team, day)
    assert (change.status if change else None) == status


def test_timeline_box_on_2026_11_28() -> None:
    box = timeline_box(TL, date(2026, 11, 28), "en")
    json.dumps(box)  # JSON-able
    assert set(box) == {
        "as_of", "sources_end", "phase", "milestones", "teams", "stale",
        "date", "lang", "timeline_version", "title", "last_milestone",
        "next_milestone", "next_key_milestone", "beyond_sources", "note",
    }  # fmt: skip
    assert box["phase"]["id"] == "after_stage2_eval" and box["phase"]["status"] == "overdue"
    assert box["phase"]["days_left"] is None and box["phase"]["end"] is None
    last, nxt = box["last_milestone"], box["next_milestone"]
    assert (last["id"], last["days"], last["approximate"]) == ("stage2-result", 119, True)
    assert last["status"] == "overdue" and last["outcome"] is None
    assert (nxt["id"], nxt["offset_days"], nxt["status"]) == ("final-two", 3, "planned")
    assert nxt["conflicting"] and len(nxt["readings"]) == 2
    assert box["next_key_milestone"]["id"] == "final-two"
    statuses = {t["id"]: t["status"] for t in box["teams"]}
    assert statuses == {
        "lg": "unverified", "skt": "unverified", "upstage": "unverified",
        "naver": "eliminated", "ncai": "eliminated", "motif": "unverified",
    }  # fmt: skip
    assert box["stale"] and box["sources_end"] == "2026-04" and "2026-04" in box["note"]
    ko = timeline_box(TL, date(2026, 11, 28), "ko")
    assert ko["phase"]["title"] == "2차 평가 이후 — 일정 미확인"
    assert timeline_box(TL, date(2026, 1, 16), "en")["stale"] is False


def test_render_text_marks_today() -> None:
    text = render_text(TL, date(2026, 1, 16), "en")
    assert "Current phase: Stage 2 development" in text
    assert "(1 day ago)" in text and "(in 7 days)" in text
    lines = text.splitlines()
    marker = next(i for i, line in enumerate(lines) if "▶ 2026-01-16" in line)
    assert "2026-01-15" in "".join(lines[marker - 3 : marker])
    assert "2026-01-23" in lines[marker + 1]
    assert "현재 단계: 2단계 개발" in render_text(TL, date(2026, 1, 16), "ko", full=False)


# --- validation ----------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "timeline.toml"
    path.write_text(text, encoding="utf-8")
    return path


_GOOD_MILESTONE = """
[[milestones]]
id = "stage2-result"
date = "2026-08-07"
kind = "eval_result"
key = true
title_ko = "2차 평가 결과: LG AI연구원·SK텔레콤·업스테이지 통과, 모티프 탈락"
title_en = "Stage-2 result: LG AI Research, SK Telecom, Upstage advance; Motif eliminated"
teams = ["all"]
status = "confirmed"
sources = ["https://www.msit.go.kr/example"]
"""


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        (
            _GOOD_MILESTONE.replace('"2026-08-07"', '"2026-13-01"'),
            ["milestones[0].date: expected a date as YYYY-MM-DD or YYYY-MM, got '2026-13-01'"],
        ),
        (
            _GOOD_MILESTONE.replace('"2026-08-07"', '"2026-02-30"'),
            ["milestones[0].date: expected a date as YYYY-MM-DD or YYYY-MM, got '2026-02-30'"],
        ),
        (
            _GOOD_MILESTONE.replace('["all"]', '["lg", "kakao"]'),
            [
                "milestones[0].teams[1]: unknown team 'kakao' "
                "(known: all, lg, motif, naver, ncai, skt, upstage)"
            ],
        ),
        (
            _GOOD_MILESTONE.replace('title_en = "Stage-2 result', 'titel_en = "Stage-2 result'),
            [
                "milestones[0].titel_en: unknown field (allowed: date, eliminates, end, id, "
                "key, kind, note_en, note_ko, readings, short_en, short_ko, sources, status, "
                "teams, title_en, title_ko)",
                "milestones[0].title_en: missing (required)",
            ],
        ),
        (
            _GOOD_MILESTONE.replace('status = "confirmed"', 'status = "rumoured"'),
            [
                "milestones[0].status: expected one of confirmed, reported, planned, "
                "cancelled, got 'rumoured'"
            ],
        ),
        (
            _GOOD_MILESTONE + _GOOD_MILESTONE,
            ["milestones[1].id: duplicate id 'stage2-result' (also milestones[0])"],
        ),
        (
            '[[status_changes]]\nid = "x"\nteam = "kakao"\ndate = "2026-08"\nstatus = "out"\n'
            'reason_ko = "가"\nreason_en = "a"\n',
            [
                "status_changes[0].date: expected a date as YYYY-MM-DD, got '2026-08'",
                "status_changes[0].status: expected one of active, eliminated, got 'out'",
                "status_changes[0].team: unknown team 'kakao' "
                "(known: lg, motif, naver, ncai, skt, upstage)",
            ],
        ),
        (
            '[[phases]]\nid = "extra"\ntitle_ko = "가"\ntitle_en = "a"\nstart = "2026-07-01"\n'
            'end = "2026-07-10"\nstatus = "planned"\nsources = ["https://example.com/a"]\n',
            [
                "phases[0].start: phase 'extra' (2026-07-01..2026-07-10) overlaps phase "
                "'stage2' (2026-01-16..2026-07-31)"
            ],
        ),
        (
            '[[teams]]\nid = "kt"\nname_ko = "KT"\nname_en = "KT"\nlead_ko = "KT"\n'
            'lead_en = "KT"\ncompanies = [{ role = "boss", name_ko = "KT", name_en = "KT", '
            'stock_code = "30200" }]\n',
            [
                "teams[0].companies[0].role: expected one of lead, lead_parent, holding_company, "
                "consortium_partner, related, got 'boss'",
                "teams[0].companies[0].stock_code: expected 6 digits, got '30200'",
            ],
        ),
        (
            "[milestone]\nid = 1\n",
            [
                "milestone: unknown section (allowed: schema, meta, labels, "
                "kinds, phases, teams, status_changes, milestones, records)"
            ],
        ),
    ],
)
def test_validation_errors_are_exact(tmp_path: Path, text: str, errors: list[str]) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TimelineError) as info:
        validate_file(path)
    assert info.value.errors == errors
    assert str(info.value).startswith(f"{path}: {errors[0]}")


def test_toml_syntax_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TimelineError) as info:
        validate_file(_write(tmp_path, "[[milestones]\n"))
    assert info.value.errors[0].startswith("TOML syntax error:")
    with pytest.raises(TimelineError, match="file not found"):
        validate_file(tmp_path / "nope.toml")


def test_user_file_records_the_stage2_result(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _GOOD_MILESTONE
        + """
[[status_changes]]
id = "motif-stage2"
team = "motif"
date = "2026-08-07"
status = "eliminated"
reason_ko = "2차 평가 탈락"
reason_en = "eliminated at the stage-2 evaluation"
milestone = "stage2-result"

[[milestones]]
id = "stage2-announcement"
date = "2026-08-07"
kind = "announcement"
title_ko = "과기정통부 2차 평가 결과 발표"
title_en = "MSIT announces the stage-2 result"
teams = ["all"]
status = "confirmed"
sources = ["https://www.msit.go.kr/example2"]
""",
    )
    custom = load_timeline(path)
    assert custom.version.startswith("custom-") and custom.version[7:] != TL.version[8:]
    assert len(custom.milestones) == len(TL.milestones) + 1  # one replaced, one added
    replaced = custom.milestone_by_id["stage2-result"]
    assert (replaced.date.text, replaced.status) == ("2026-08-07", "confirmed")
    change = team_status_at(custom, "motif", date(2026, 11, 28))
    assert change is not None and change.status == "eliminated"
    assert team_status_at(custom, "lg", date(2026, 11, 28)).status == "active"  # type: ignore[union-attr]
    before, _ = milestones_around(custom, date(2026, 8, 10))
    assert before is not None and before.milestone.id == "stage2-result"
    assert (before.offset_days, before.approximate) == (-3, False)
    assert load_timeline(path).version == custom.version


def _docs() -> str:
    return (Path(__file__).resolve().parent.parent / "docs" / "timeline.md").read_text(
        encoding="utf-8"
    )


def _matcher_section() -> str:
    """The part of docs/timeline.md on the matcher: roles, categories, the score, explain."""
    docs = _docs()
    start = docs.index("## The matcher")
    return docs[start : docs.index("\n## ", start + 1)]


def test_docs_record_example_is_valid_and_a_placeholder(tmp_path: Path) -> None:
    example = _docs().split("```toml\n", 1)[1].split("```", 1)[0]
    assert "PLACEHOLDER" in example and "example.com" in example
    custom = validate_file(_write(tmp_path, example))
    change = team_status_at(custom, "motif", date(2026, 8, 7))
    assert change is not None and change.status == "eliminated"
    assert "msit.go.kr" not in _matcher_section() + example


def _commands(text: str) -> list[list[str]]:
    joined = text.replace("\\\n", " ")
    return [
        shlex.split(line.split(" #")[0])[1:]
        for line in joined.splitlines()
        if line.startswith("dartwatch ")
    ]


@pytest.mark.parametrize("source", ["docs", "matcher"])
def test_timeline_commands_in_the_docs_parse(source: str) -> None:
    from monitor.cli import build_parser

    parser = build_parser()
    commands = _commands(_docs() if source == "docs" else _matcher_section())
    assert len(commands) >= (10 if source == "docs" else 4)
    for argv in commands:
        args = parser.parse_args(argv)
        assert args.handler.startswith("monitor.commands.")
