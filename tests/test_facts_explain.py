"""``dartwatch explain RCEPT_NO`` prints what the filing says (run as a user runs it):
the same ``summary`` and ``facts`` as digest items and webhook alerts, the status with
its reason when there are none, and a correction's changes."""

from __future__ import annotations

import json
from pathlib import Path

from storage import facts as store
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Filing
from tests.test_cli_timeline import dartwatch

ORIGINAL, CORRECTION, PLAIN = "20260115800001", "20260115800002", "20260115000003"


def _fact(key: str, value: object, display: str, unit: str) -> dict[str, object]:
    return {
        "key": key,
        "value": value,
        "label": key,
        "unit": unit,
        "display": display,
        "source": "body",
    }


async def _store(url: str) -> None:
    await upgrade(url)
    db = Database(url)
    try:
        async with db.session() as s:
            for rcept_no, title in (
                (ORIGINAL, "단일판매ㆍ공급계약체결"),
                (CORRECTION, "[기재정정]단일판매ㆍ공급계약체결"),
                (PLAIN, "기업지배구조보고서공시"),
            ):
                s.add(
                    Filing(
                        rcept_no=rcept_no,
                        corp_code="00159023",
                        corp_name="SK텔레콤",
                        report_nm=title,
                        rcept_dt="20260115",
                    )
                )
            for rcept_no, amount, corrects in (
                (ORIGINAL, 44_200_000_000, None),
                (CORRECTION, 45_100_000_000, ORIGINAL),
            ):
                await store.save_facts(
                    s,
                    rcept_no,
                    family="supply_contract",
                    status="extracted",
                    source="body",
                    facts=[
                        _fact("amount_krw", amount, f"{amount // 10**8:,}억원", "KRW"),
                        _fact("counterparty", "SK하이닉스", "SK하이닉스", "text"),
                        _fact("period_end", "2026-09-02", "2026-09-02", "date"),
                    ],
                    corrects=corrects,
                )
            await store.save_facts(
                s, PLAIN, family=None, status="none", reason="no extractor for this kind of filing"
            )
    finally:
        await db.dispose()


async def test_explain_shows_facts_summary_and_changes(sqlite_url: str, tmp_path: Path) -> None:
    await _store(sqlite_url)
    env = {"DATABASE_URL": sqlite_url}
    data = json.loads(
        dartwatch("explain", CORRECTION, "--format", "json", env=env, cwd=tmp_path).stdout
    )
    assert data["summary"] == "451억원 공급계약 · SK하이닉스"
    assert data["facts"] == {
        "amount_krw": 45_100_000_000,
        "counterparty": "SK하이닉스",
        "period_end": "2026-09-02",
    }
    assert data["corrects"] == ORIGINAL
    assert data["changes"] == [
        {"key": "amount_krw", "label": "amount_krw", "old": "442억원", "new": "451억원"}
    ]
    text = dartwatch("explain", CORRECTION, env=env, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "Facts (extracted)" in text.stdout
    assert "summary:   451억원 공급계약 · SK하이닉스" in text.stdout
    assert "changed:   amount_krw: 442억원 → 451억원" in text.stdout


async def test_explain_says_why_there_are_no_facts(sqlite_url: str, tmp_path: Path) -> None:
    await _store(sqlite_url)
    env = {"DATABASE_URL": sqlite_url}
    data = json.loads(dartwatch("explain", PLAIN, "--format", "json", env=env, cwd=tmp_path).stdout)
    assert data["summary"] is None and data["facts"] == {}
    assert data["facts_status"]["status"] == "none"
    assert data["facts_status"]["reason"] == "no extractor for this kind of filing"
    text = dartwatch("explain", PLAIN, env=env, cwd=tmp_path).stdout
    assert "Facts (none: no extractor for this kind of filing)" in text
