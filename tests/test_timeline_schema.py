"""Timeline file checks beyond the common cases: nested tables, records, labels, meta,
spans and sources. Each problem is one line naming section, index and field, listed
in the order the fields are declared, unknown fields of a table first."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.kai.timeline import TimelineError, validate_file
from monitor.kai.timeline.schema import MilestoneEntry, check

_MILESTONE = """
[[milestones]]
id = "m-extra"
date = "2026-09-01"
kind = "eval_result"
title_ko = "가"
title_en = "a"
teams = ["lg"]
status = "planned"
sources = ["https://example.com/a"]
"""

_RECORD = """
[[records]]
milestone = "stage2-result"
date = "2026-08-07"
outcome_ko = "x"
sources = ["https://e.com"]
"""

_TEAM = """
[[teams]]
id = "kt"
name_ko = "KT"
name_en = "KT"
lead_ko = "KT"
lead_en = "KT"
"""


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        pytest.param(
            _MILESTONE + 'readings = [{ ko = "가", en = "a", seen = 1 }, 3, { ko = "나" }]\n',
            [
                "milestones[0].readings[0].seen: unknown field (allowed: en, ko, sources)",
                "milestones[0].readings[1]: expected a table, got int",
                "milestones[0].readings[2].en: missing (required)",
            ],
            id="readings",
        ),
        pytest.param(
            # The first entry is used despite its unknown field: the second is a duplicate.
            _MILESTONE + "zz = 1\n" + _MILESTONE,
            [
                "milestones[0].zz: unknown field (allowed: date, eliminates, end, id, key, kind, "
                "note_en, note_ko, readings, short_en, short_ko, sources, status, teams, "
                "title_en, title_ko)",
                "milestones[1].id: duplicate id 'm-extra' (also milestones[0])",
            ],
            id="unknown-field-keeps-the-entry",
        ),
        pytest.param(
            _MILESTONE.replace('date = "2026-09-01"', 'date = "2026-09-01"\nend = "2026-08"'),
            ["milestones[0].end: 2026-08 is before date 2026-09-01"],
            id="milestone-span-backwards",
        ),
        pytest.param(
            _MILESTONE.replace('["https://example.com/a"]', "[]")
            + _MILESTONE.replace("m-extra", "m2").replace(
                '["https://example.com/a"]', '["https://e.com", "ftp://e.com", " x "]'
            ),
            [
                "milestones[0].sources: needs at least one source URL",
                "milestones[1].sources[1]: expected an http(s) URL, got 'ftp://e.com'",
                "milestones[1].sources[2]: expected an http(s) URL, got 'x'",
            ],
            id="sources",
        ),
        pytest.param(
            '[[phases]]\nid = "p"\ntitle_ko = "가"\ntitle_en = "a"\nstart = "2027-03-01"\n'
            'end = "2027-02-01"\nstatus = "planned"\nsources = ["https://e.com"]\n',
            ["phases[0].end: 2027-02-01 is before start 2027-03-01"],
            id="phase-span-backwards",
        ),
        pytest.param(
            _TEAM + 'companies = [{ role = "lead", name_ko = "KT", name_en = "KT", '
            'verify = "yes" }]\nmodels = [{ name = "Mi:dm", keywords = "midm" }]\n',
            [
                "teams[0].companies[0].corp_code: a company needs a corp_code or a stock_code",
                "teams[0].companies[0].verify: expected true or false, got 'yes'",
                "teams[0].models[0].keywords: expected a list of non-empty strings, got 'midm'",
            ],
            id="company-without-a-code",
        ),
        pytest.param(
            '[labels.moods]\nhappy = { ko = "좋음", en = "happy" }\n'
            '[labels.status]\noverdue = { ko = "지연" }\n[kinds]\nrumour = "a rumour"\n',
            [
                "labels.moods: unknown group (allowed: roles, team_status, status)",
                "labels.status.overdue.en: missing (required)",
                "kinds.rumour: expected a table, got a string",
            ],
            id="labels-and-kinds",
        ),
        pytest.param(
            _RECORD + 'teams = { lg = "advanced", skt = "won", upstage = ["advanced"] }\n',
            [
                "records[0].teams.skt: expected one of advanced, eliminated, got 'won'",
                "records[0].teams.upstage: expected one of advanced, eliminated, got a list",
            ],
            id="record-team-results",
        ),
        pytest.param(
            _RECORD + 'teams = ["lg"]\n',
            ['records[0].teams: expected a table like { lg = "advanced" }, got a list'],
            id="record-teams-not-a-table",
        ),
        pytest.param(
            'schema = 2\n[meta]\nsources_end = "spring"\ntitle = "x"\n',
            [
                "schema: unsupported schema 2 (this dartwatch reads 1)",
                "meta.title: unknown field (allowed: sources_end, title_en, title_ko)",
                "meta.sources_end: expected a date as YYYY-MM-DD or YYYY-MM, got 'spring'",
            ],
            id="schema-and-meta",
        ),
        pytest.param(
            '[[status_changes]]\nid = "Bad Id"\nteam = "lg"\ndate = 2026-08-07\n'
            'status = "active"\nreason_ko = "가"\nreason_en = "a"\nmilestone = "nope"\n'
            'sources = "https://e.com"\n',
            [
                "status_changes[0].id: expected lower-case letters, digits, '-' or '_', "
                "got 'Bad Id'",
                "status_changes[0].sources: expected a list of non-empty strings, "
                "got 'https://e.com'",
                "status_changes[0].milestone: unknown milestone 'nope'",
            ],
            id="status-change",
        ),
    ],
)
def test_every_problem_is_one_line(tmp_path: Path, text: str, errors: list[str]) -> None:
    path = tmp_path / "timeline.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TimelineError) as info:
        validate_file(path)
    assert info.value.errors == errors


def test_check_orders_unknown_fields_first_and_keeps_an_entry_they_alone_spoil() -> None:
    data = {
        "id": "x",
        "date": "2026-08",
        "kind": "eval_result",
        "title_ko": "가",
        "title_en": "a",
        "teams": [],
        "status": "planned",
        "sources": ["https://e.com"],
        "typo": 1,
    }
    checked = check(MilestoneEntry, "milestones[2]", data)
    assert checked.entry is not None and checked.entry.build().date.text == "2026-08"
    assert [p.split(":")[0] for p in checked.problems] == ["milestones[2].typo"]
    broken = check(MilestoneEntry, "milestones[2]", {**data, "status": "soon"})
    assert broken.entry is None and broken.failed == {"status", "typo"}
    assert broken.problems[0].startswith("milestones[2].typo: unknown field")
    assert broken.problems[1] == (
        "milestones[2].status: expected one of confirmed, reported, planned, cancelled, got 'soon'"
    )
