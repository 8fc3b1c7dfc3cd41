"""The timeline, explain and rematch verbs, run as a user runs them (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.kai.matcher import match_filing
from monitor.kai.timeline import load_timeline
from storage import subscribers as subs
from storage.db import Database
from storage.matches import get_match, save_matches
from storage.models import Filing

RECORD_STAGE2 = """
[[milestones]]
id = "stage2-result"
date = "2026-08-07"
kind = "eval_result"
key = true
title_ko = "2차 평가 결과: 모티프 탈락"
title_en = "Stage-2 result: Motif eliminated"
teams = ["all"]
status = "confirmed"
sources = ["https://www.msit.go.kr/example"]

[[status_changes]]
id = "motif-stage2"
team = "motif"
date = "2026-08-07"
status = "eliminated"
reason_ko = "2차 평가 탈락"
reason_en = "eliminated at the stage-2 evaluation"
"""


def dartwatch(
    *args: str, env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def test_timeline_prints_position(tmp_path: Path) -> None:
    out = dartwatch("timeline", "--date", "2026-11-28", "--lang", "en", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Current phase: After the stage-2 evaluation — schedule not confirmed" in out.stdout
    assert "Last milestone: ★ 2026-08 Stage-2 evaluation" in out.stdout
    assert "[overdue — no result recorded]" in out.stdout
    assert "(~119 days ago)" in out.stdout
    assert "Naver Cloud: eliminated since 2026-01-15" in out.stdout
    assert "▶ 2026-11-28 today" in out.stdout
    ko = dartwatch("timeline", "--date", "2026-11-28", "--short", cwd=tmp_path)
    assert "현재 단계: 2차 평가 이후 — 일정 미확인" in ko.stdout and "전체 일정" not in ko.stdout
    box = json.loads(
        dartwatch("timeline", "--format", "json", "--date", "2026-01-16", cwd=tmp_path).stdout
    )
    assert box["phase"]["id"] == "stage2" and box["last_milestone"]["id"] == "stage1-result"
    bad = dartwatch("timeline", "--date", "28/11/2026", cwd=tmp_path)
    assert bad.returncode == 2 and "--date: expected YYYY-MM-DD" in bad.stderr


def test_timeline_validate_good_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(RECORD_STAGE2, encoding="utf-8")
    out = dartwatch("timeline", "validate", str(good), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "OK — 35 milestones, 5 phases, 6 teams, 19 status changes; version custom-" in out.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(RECORD_STAGE2.replace("2026-08-07", "2026-8-7").replace('"motif"', '"moti"'))
    out = dartwatch("timeline", "validate", str(bad), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        f"{bad}: 3 error(s)",
        "  status_changes[0].date: expected a date as YYYY-MM-DD, got '2026-8-7'",
        "  milestones[0].date: expected a date as YYYY-MM-DD or YYYY-MM, got '2026-8-7'",
        "  status_changes[0].team: unknown team 'moti' "
        "(known: lg, motif, naver, ncai, skt, upstage)",
    ]
    broken = dartwatch("timeline", env={"TIMELINE_FILE": str(bad)}, cwd=tmp_path)
    assert broken.returncode == 2
    assert broken.stderr.startswith("dartwatch: configuration error: TIMELINE_FILE: ")
    assert "Traceback" not in broken.stderr


FILINGS = [
    Filing(
        rcept_no="20260810000123",
        corp_code="00999999",
        corp_name="HDC랩스",
        stock_code="039570",
        report_nm="단일판매ㆍ공급계약체결(AI 데이터센터)",
        flr_nm="HDC랩스",
        rcept_dt="20260810",
        rm="유",
    ),
    Filing(
        rcept_no="20251231800456",
        corp_code="00120021",
        corp_name="LG",
        stock_code="003550",
        report_nm="기타경영사항(자율공시)(K-EXAONE 공개)",
        flr_nm="LG",
        rcept_dt="20251231",
        rm="유",
    ),
]


@pytest.fixture
async def stored(sqlite_url: str) -> str:
    timeline = load_timeline()
    db = Database(sqlite_url)
    try:
        async with db.session() as s:
            for f in FILINGS:
                s.add(Filing(**f.model_dump()))
            await s.flush()
            await save_matches(s, [match_filing(f, timeline).to_row() for f in FILINGS])
    finally:
        await db.dispose()
    return sqlite_url


async def test_explain_prints_every_reason_in_both_languages(stored: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": stored}
    out = dartwatch("explain", "20251231800456", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "title:    기타경영사항(자율공시)(K-EXAONE 공개)" in text
    assert "category:  자율공시 / Autonomous disclosure" in text
    assert (
        "team:      LG AI연구원 / LG AI Research — 주관기관의 상장 모회사 / listed parent" in text
    )
    assert "+45  제목의 AI 관련어: K-EXAONE" in text and "AI terms in the title: K-EXAONE" in text
    assert "relevance: 75/100   AI-related: yes" in text
    assert "75  = relevance" in text
    data = json.loads(
        dartwatch("explain", "20251231800456", "--format", "json", env=env, cwd=tmp_path).stdout
    )
    assert data["stored"] and data["match"]["relevance"] == 75
    assert sum(r["points"] for r in data["match"]["reasons"]) == 75
    missing = dartwatch("explain", "20251231800999", env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "no stored filing 20251231800999" in missing.stderr
    bad = dartwatch("explain", "12345", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "RCEPT_NO must be 14 digits" in bad.stderr


async def test_explain_says_why_a_chat_got_or_missed_the_filing(
    stored: str, tmp_path: Path
) -> None:
    db = Database(stored)
    try:
        async with db.session() as s:
            for chat, words in ((301, ["exaone"]), (302, ["배당"]), (303, [])):
                sub = await subs.get_or_create(s, chat)
                assert sub.id is not None
                await subs.subscribe(s, sub.id, ["00120021"])
                if words:
                    await subs.add_words(s, sub, "keywords", words)
            await subs.set_silent(s, sub.id, 80)
            await subs.get_or_create(s, 304)  # follows nothing
    finally:
        await db.dispose()
    env = {"DATABASE_URL": stored}

    def explain(chat: int, *extra: str) -> subprocess.CompletedProcess[str]:
        return dartwatch(
            "explain", "20251231800456", "--chat", str(chat), *extra, env=env, cwd=tmp_path
        )

    hit = explain(301)
    assert hit.returncode == 0, hit.stderr
    assert "Chat 301: sent / 보냄\n  why:      키워드 ‘exaone’ / keyword 'exaone'" in hit.stdout
    miss = explain(302).stdout
    assert "Chat 302: not sent / 보내지 않음" in miss and "none of the keywords" in miss
    quiet = json.loads(explain(303, "--format", "json").stdout)["chat"]
    assert quiet == {
        "chat_id": 303,
        "sent": True,
        "reason": "subscribed",
        "word": None,
        "silent": True,
    }
    assert "does not follow the company" in explain(304).stdout
    unknown = explain(305)
    assert unknown.returncode == 1 and "no chat 305" in unknown.stderr


async def test_rematch_after_recording_the_stage2_result(stored: str, tmp_path: Path) -> None:
    override = tmp_path / "mine.toml"
    override.write_text(RECORD_STAGE2, encoding="utf-8")
    env = {"DATABASE_URL": stored, "TIMELINE_FILE": str(override)}
    dry = dartwatch("rematch", "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert ": 1 would change (1 relevance, 0 AI flag), 1 only the timeline version" in dry.stdout
    out = dartwatch("rematch", env=env, cwd=tmp_path)
    version = load_timeline(override).version
    assert out.stdout.strip() == (
        f"rematched 2 filings with timeline {version}: 1 changed (1 relevance, 0 AI flag), "
        "1 only the timeline version"
    )
    db = Database(stored)
    try:
        async with db.session() as s:
            row = await get_match(s, "20260810000123")
    finally:
        await db.dispose()
    assert row is not None and row.timeline_version == version
    assert row.detail["team_status"] == "eliminated"
    again = dartwatch("rematch", env=env, cwd=tmp_path)
    assert ": 0 changed (0 relevance, 0 AI flag), 0 only the timeline version" in again.stdout
    explained = dartwatch("explain", "20260810000123", env=env, cwd=tmp_path)
    assert f"Match (timeline {version}" in explained.stdout
    assert (
        "Motif Technologies team — consortium partner (eliminated on the filing date)"
        in explained.stdout
    )


LATE_FILING = Filing(
    rcept_no="20261120000321",
    corp_code="00159023",
    corp_name="SK텔레콤",
    stock_code="017670",
    report_nm="타법인주식및출자증권취득결정(AI 데이터센터)",
    flr_nm="SK텔레콤",
    rcept_dt="20261120",
    rm="유",
)


async def _stored_match(url: str, rcept_no: str) -> tuple[int, str | None, str]:
    db = Database(url)
    try:
        async with db.session() as s:
            row = await get_match(s, rcept_no)
    finally:
        await db.dispose()
    assert row is not None
    return row.relevance, row.detail["team_status"], row.timeline_version


async def test_record_rematches_affected_filings_and_undo_restores(
    stored: str, tmp_path: Path
) -> None:
    db = Database(stored)
    try:
        async with db.session() as s:
            s.add(Filing(**LATE_FILING.model_dump()))
            await s.flush()
            await save_matches(s, [match_filing(LATE_FILING, load_timeline()).to_row()])
    finally:
        await db.dispose()
    before = await _stored_match(stored, LATE_FILING.rcept_no)
    assert before[1] == "unverified"
    early_before = await _stored_match(stored, "20251231800456")
    explained = dartwatch(
        "explain", LATE_FILING.rcept_no, env={"DATABASE_URL": stored}, cwd=tmp_path
    )
    assert "미확인 (2차 평가 결과 미기록) / unverified (no stage-2 evaluation result recorded)" in (
        explained.stdout
    )
    assert "overdue: 결과 미기록 (예정일 경과) / overdue — no result recorded" in explained.stdout
    assert "the timeline's sources end in 2026-04" in explained.stdout
    mine = tmp_path / "records" / "mine.toml"  # does not exist yet
    env = {"DATABASE_URL": stored, "TIMELINE_FILE": str(mine)}
    out = dartwatch(
        "timeline", "record", "stage2-result",
        "--outcome", "PLACEHOLDER outcome", "--outcome-en", "PLACEHOLDER outcome (en)",
        "--team", "lg=advanced", "--team", "skt=advanced", "--team", "upstage=advanced",
        "--team", "motif=eliminated", "--source", "https://example.com/placeholder",
        "--date", "2026-08-07", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert mine.exists() and "re-matched 2 filings from 2026-07-01: 2 changed" in out.stdout
    after = await _stored_match(stored, LATE_FILING.rcept_no)
    assert after[1] == "active" and after[0] == before[0] + 10  # neutral 0 → active +10
    assert after[2] == load_timeline(mine).version
    assert await _stored_match(stored, "20251231800456") == early_before  # not affected
    box = json.loads(
        dartwatch(
            "timeline", "--format", "json", "--date", "2026-11-30", "--lang", "en",
            env=env, cwd=tmp_path,
        ).stdout
    )  # fmt: skip
    assert set(box) >= {"as_of", "sources_end", "phase", "milestones", "teams"}
    entry = next(m for m in box["milestones"] if m["id"] == "stage2-result")
    assert (entry["status"], entry["outcome"]) == ("reported", "PLACEHOLDER outcome (en)")
    assert set(entry) >= {"id", "date", "title", "status", "outcome", "sources"}
    teams = {t["id"]: t["status"] for t in box["teams"]}
    assert (teams["skt"], teams["motif"], teams["naver"]) == ("active", "eliminated", "eliminated")
    bad = dartwatch(
        "timeline", "record", "stage2-result", "--outcome", "x", "--team", "kt=advanced",
        "--source", "https://example.com/x", "--date", "2026-08-07", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 2 and "unknown team 'kt'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert load_timeline(mine).milestone_by_id["stage2-result"].outcome is not None  # unchanged
    undo = dartwatch("timeline", "unrecord", "stage2-result", env=env, cwd=tmp_path)
    assert undo.returncode == 0, undo.stderr
    restored = await _stored_match(stored, LATE_FILING.rcept_no)
    assert restored[:2] == before[:2]
    again = dartwatch("timeline", "record", "--undo", "stage2-result", env=env, cwd=tmp_path)
    assert again.returncode == 2 and "no record of 'stage2-result' to undo" in again.stderr


def test_record_needs_a_timeline_file_an_outcome_and_a_source(tmp_path: Path) -> None:
    no_file = dartwatch(
        "timeline", "record", "stage2-result", "--outcome", "x", "--source", "https://e.com",
        env={"TIMELINE_FILE": ""}, cwd=tmp_path,
    )  # fmt: skip
    assert no_file.returncode == 2 and "TIMELINE_FILE is not set" in no_file.stderr
    env = {"TIMELINE_FILE": str(tmp_path / "t.toml")}
    for args, message in (
        (["--source", "https://e.com"], "--outcome"),
        (["--outcome", "x"], "--source"),
        (["--outcome", "x", "--source", "https://e.com", "--date", "2099-01-01"], "future"),
        (["--outcome", "x", "--source", "https://e.com", "--team", "lg"], "--team"),
        (["--outcome", "x", "--source", "not-a-url"], "http(s) URL"),
    ):
        out = dartwatch("timeline", "record", "stage2-result", *args, env=env, cwd=tmp_path)
        assert out.returncode == 2 and message in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "t.toml").exists()


async def test_suggestions_list_possible_milestones(stored: str, tmp_path: Path) -> None:
    hit = Filing(
        rcept_no="20260807000555",
        corp_code="00159023",
        corp_name="SK텔레콤",
        stock_code="017670",
        report_nm="기타경영사항(자율공시)(독자 AI 파운데이션 모델 2차 평가 결과)",
        flr_nm="SK텔레콤",
        rcept_dt="20260807",
        rm="유",
    )
    db = Database(stored)
    try:
        async with db.session() as s:
            s.add(Filing(**hit.model_dump()))
    finally:
        await db.dispose()
    env = {"DATABASE_URL": stored}
    out = dartwatch("timeline", "suggestions", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.strip().splitlines()
    assert line.startswith("2026-08-07 20260807000555 SK텔레콤: 기타경영사항")
    assert "rcpNo=20260807000555" in line
    none = dartwatch("timeline", "suggestions", "--since", "2026-09-01", env=env, cwd=tmp_path)
    assert none.stdout.strip() == "no suggested milestones"
    bad = dartwatch("timeline", "suggestions", "--since", "soon", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "--since" in bad.stderr
