"""Filings stored once by rcept_no; rm changes (정/철) and title changes become events;
the corpCode cache, watched companies and poll runs. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from storage import companies, corpcodes, meta, pollruns
from storage import filings as repo
from storage.db import Database
from storage.filings import FilingRecord


def _rec(rcept_no: str = "20260115800001", **over: str) -> FilingRecord:
    values = {
        "corp_code": "00266961",
        "corp_name": "NAVER",
        "report_nm": "기타경영사항(자율공시)",
        "rcept_dt": rcept_no[:8],
        "rm": "유",
        "stock_code": "035420",
        "corp_cls": "Y",
        "flr_nm": "NAVER",
    }
    values.update(over)
    return FilingRecord(rcept_no=rcept_no, **values)  # type: ignore[arg-type]


async def _upsert(db: Database, records: list[FilingRecord], **kw: str) -> repo.UpsertResult:
    async with db.session() as session:
        return await repo.upsert_filings(session, records, **kw)  # type: ignore[arg-type]


async def test_upsert_is_idempotent(db: Database) -> None:
    records = [_rec("20260115800001"), _rec("20260115000002", rm=""), _rec("20260114900003")]
    first = await _upsert(db, records)
    assert sorted(first.new) == sorted(r.rcept_no for r in records)
    again = await _upsert(db, records + records)  # duplicates within one call too
    assert again.new == [] and again.events == [] and again.unchanged == 3
    assert await repo.count(db) == 3
    stored = await repo.get(db, "20260115000002")
    assert stored is not None and stored.alert_state == "pending" and stored.source == "poll"


async def test_amendment_withdrawal_and_title_change_events(db: Database) -> None:
    await _upsert(db, [_rec("20260115800001"), _rec("20260115800002"), _rec("20260115800003")])
    result = await _upsert(
        db,
        [
            _rec("20260115800001", rm="유정"),
            _rec("20260115800002", rm="유철"),
            _rec("20260115800003", report_nm="[기재정정]기타경영사항(자율공시)"),
        ],
    )
    assert sorted(result.events) == [
        ("20260115800001", "amended"),
        ("20260115800002", "withdrawn"),
        ("20260115800003", "changed"),
    ]
    amended = await repo.get(db, "20260115800001")
    withdrawn = await repo.get(db, "20260115800002")
    assert amended is not None and amended.amended and amended.rm == "유정"
    assert withdrawn is not None and withdrawn.withdrawn
    events = await repo.unprocessed_events(db)
    assert next((e.rcept_no, e.kind, e.old_rm, e.new_rm) for e in events) == (
        "20260115800001",
        "amended",
        "유",
        "유정",
    )
    # Seeing the same state again, or a stale copy without 정, adds nothing.
    again = await _upsert(db, [_rec("20260115800001", rm="유정"), _rec("20260115800002", rm="유")])
    assert again.events == []
    still = await repo.get(db, "20260115800002")
    assert still is not None and still.withdrawn and still.rm == "유철"


async def test_backfill_rows_are_suppressed_and_their_events_processed(db: Database) -> None:
    await _upsert(db, [_rec("20250701000001", rm="")], alert_state="suppressed", source="backfill")
    await _upsert(db, [_rec("20250701000001", rm="정")], alert_state="suppressed")
    stored = await repo.get(db, "20250701000001")
    assert stored is not None and stored.alert_state == "suppressed" and stored.amended
    assert await repo.unprocessed_events(db) == []
    assert await repo.pending(db) == []
    # A later poll seeing the row does not turn history into an alert.
    assert (await _upsert(db, [_rec("20250701000001", rm="정")])).new == []


async def test_concurrent_writers_store_once_and_record_one_event(db: Database) -> None:
    await _upsert(db, [_rec("20260115800001")])
    batch = [_rec(f"2026011500{i:04d}", rm="") for i in range(50)]
    changed = [_rec("20260115800001", rm="유정")]
    results = await asyncio.gather(*(_upsert(db, batch + changed) for _ in range(4)))
    assert sum(len(r.new) for r in results) == 50
    assert sum(len(r.events) for r in results) == 1
    assert await repo.count(db) == 51
    assert len(await repo.events_for(db, "20260115800001")) == 1


async def test_queries_by_company_and_date(db: Database) -> None:
    await _upsert(
        db,
        [
            _rec("20260110000001"),
            _rec("20260112000002", corp_code="00159023", corp_name="SK텔레콤"),
            _rec("20260115000003"),
        ],
    )
    naver = await repo.list_filings(db, corp_codes=["00266961"])
    assert [f.rcept_no for f in naver] == ["20260115000003", "20260110000001"]
    since = await repo.list_filings(db, since="20260111")
    assert {f.rcept_no for f in since} == {"20260112000002", "20260115000003"}
    window = await repo.list_filings(db, since="20260111", until="20260114", newest_first=False)
    assert [f.rcept_no for f in window] == ["20260112000002"]
    assert await repo.counts_by_state(db) == {"pending": 3}


async def test_corpcode_cache_bulk_replace_and_lookup(db: Database) -> None:
    rows = [
        {"corp_code": f"9{i:07d}", "corp_name": f"회사{i}", "stock_code": None}
        for i in range(12_000)
    ]
    rows += [
        {
            "corp_code": "00181712",
            "corp_name": "SK",
            "corp_eng_name": "SK Inc.",
            "stock_code": "034730",
        },
        {"corp_code": "00144155", "corp_name": "SK", "stock_code": "003600"},
    ]
    assert await corpcodes.replace_all(db, rows) == 12_002
    assert await corpcodes.replace_all(db, rows[-2:]) == 2  # replaced, not appended
    assert await corpcodes.count(db) == 2
    assert [c.corp_code for c in await corpcodes.by_name(db, "SK")] == ["00144155", "00181712"]
    assert [c.corp_code for c in await corpcodes.by_name(db, "sk inc.")] == ["00181712"]
    assert [c.corp_code for c in await corpcodes.by_stock(db, "003600")] == ["00144155"]
    found = await corpcodes.by_code(db, "00181712")
    assert found is not None and found.corp_eng_name == "SK Inc."


async def test_companies_sync_unwatches_removed_entries(db: Database) -> None:
    await companies.sync(
        db,
        [
            {"corp_code": "00266961", "corp_name": "NAVER", "aliases": ["네이버"]},
            {"corp_code": "00159023", "corp_name": "SK텔레콤"},
        ],
    )
    await companies.sync(db, [{"corp_code": "00266961", "corp_name": "NAVER"}])
    assert await companies.watched_codes(db) == ["00266961"]
    everything = await companies.list_companies(db, watched_only=False)
    assert {c.corp_code: c.watched for c in everything} == {"00266961": True, "00159023": False}


async def test_poll_runs_and_meta(db: Database) -> None:
    run_id = await pollruns.start(db, "poll")
    assert (await pollruns.last(db)).status == "running"  # type: ignore[union-attr]
    await pollruns.finish(db, run_id, status="ok", requests=5, new_filings=2)
    last = await pollruns.last_ok(db)
    assert last is not None and last.requests == 5 and last.finished_at is not None
    await meta.set_value(db, "k", "1")
    await meta.set_value(db, "k", "2")
    assert await meta.get_value(db, "k") == "2"
    await meta.delete_value(db, "k")
    assert await meta.get_value(db, "k") is None
