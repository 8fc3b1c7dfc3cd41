"""Facts for stored history (``dartwatch facts``) through the local OpenDART: newest
first, resumable, within a request cap and the daily budget."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlmodel import select

from monitor.facts.history import fill_history
from monitor.fakedart import FakeDart
from storage import documents
from storage.db import Database
from storage.filings import FilingRecord, upsert_filings
from storage.models import FilingFacts
from tests.helpers.ingest import NOON, budgeted_client, plain_client, running_fake, settings_for

NAVER = "00266961"
TITLES = [
    "단일판매ㆍ공급계약체결",
    "주요사항보고서(자기주식취득결정)",
    "현금ㆍ현물배당결정",
    "기업지배구조보고서공시",
    "임원ㆍ주요주주특정증권등소유상황보고서",
]


@pytest.fixture
def fake_and_url():  # type: ignore[no-untyped-def]
    with running_fake(dataset=False) as pair:
        yield pair


async def _backfilled(db: Database, fake: FakeDart) -> list[str]:
    rows = [fake.publish({"corp_code": NAVER, "report_nm": t}) for t in TITLES]
    async with db.session() as session:
        await upsert_filings(
            session,
            [
                FilingRecord(
                    rcept_no=r.rcept_no,
                    corp_code=r.corp_code,
                    corp_name=r.corp_name,
                    report_nm=r.report_nm,
                    rcept_dt=r.rcept_dt,
                )
                for r in rows
            ],
            alert_state="suppressed",
            source="backfill",
            now=NOON.astimezone(UTC),
        )
    return [r.rcept_no for r in rows]


async def _records(db: Database) -> dict[str, FilingFacts]:
    async with db.session() as session:
        return {r.rcept_no: r for r in (await session.exec(select(FilingFacts))).all()}


async def test_history_gets_facts_and_bodies_and_resumes(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    fake, url = fake_and_url
    numbers = await _backfilled(sqlite_db, fake)
    lines: list[str] = []
    async with plain_client(settings_for(url)) as client:
        first = await fill_history(
            sqlite_db,
            client,
            limit=2,
            max_requests=100,
            max_bytes=5_000_000,
            timeout=5,
            progress=lines.append,
        )
        assert first.examined == 2 and "--limit 2" in first.stopped
        rest = await fill_history(
            sqlite_db, client, limit=100, max_requests=100, max_bytes=5_000_000, timeout=5
        )
    assert rest.examined == 3 and rest.stopped == ""
    records = await _records(sqlite_db)
    assert set(records) == set(numbers)  # each filing examined exactly once over two runs
    assert records[numbers[0]].status == "extracted"  # supply contract, from the body
    assert records[numbers[1]].status == "extracted"  # buyback, from DS005
    assert records[numbers[3]].status == "none"  # no extractor: no request spent
    assert fake.count("document.xml") == 3  # contract, buyback (body fallback), dividend
    async with sqlite_db.session() as session:
        body = await documents.get_document(session, numbers[0])
    assert body is not None and body.status == "ok" and body.text  # kept for the matcher
    assert "every stored filing has a facts record" in rest.summary()


async def test_history_stops_at_the_request_cap_and_the_budget(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database, sqlite_url: str
) -> None:
    fake, url = fake_and_url
    await _backfilled(sqlite_db, fake)
    async with plain_client(settings_for(url)) as client:
        capped = await fill_history(
            sqlite_db, client, limit=100, max_requests=3, max_bytes=5_000_000, timeout=5
        )
    assert "request cap reached (3)" in capped.stopped
    assert capped.requests <= 3
    settings = settings_for(url, sqlite_url, DART_DAILY_BUDGET=1)
    async with budgeted_client(settings, sqlite_db) as client:
        spent = await fill_history(
            sqlite_db, client, limit=100, max_requests=100, max_bytes=5_000_000, timeout=5
        )
    assert "budget" in spent.stopped
    assert "run again to continue" in spent.summary()


def test_cli_rejects_bad_limits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli_timeline import dartwatch

    bad = dartwatch("facts", "--limit", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "--limit must be at least 1" in bad.stderr
    assert "Traceback" not in bad.stderr
    cap = dartwatch("facts", "--max-requests", "1", cwd=tmp_path)
    assert cap.returncode == 2 and "--max-requests must be at least 2" in cap.stderr
