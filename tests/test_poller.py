"""Polling against the local OpenDART: no high-water mark, idempotent, late rows and
amendments, the cheaper query plan, quota/fatal as typed outcomes, backfill without
alerts -- and the "must show" run: 200 filings over time under random faults."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.core.kcalendar import KST
from monitor.core.settings import Settings
from monitor.fakedart import TRANSIENT_FAULTS, FakeDart, ManualClock
from monitor.ingest.poller import (
    MARKET_WIDE,
    PER_COMPANY,
    Poller,
    backfill_windows,
    choose_strategy,
    estimate_market_rows,
    poll_window,
)
from monitor.opendart.budget import clear_fatal, fatal_state, quota_paused_until
from storage import filings, pollruns
from storage.db import Database
from tests.conftest import TEST_KEY
from tests.helpers.ingest import NOON, WATCHED, budgeted_client, running_fake, settings_for

NAVER = "00266961"


# ------------------------------------------------------------------------- planning (pure)
def test_strategy_is_the_cheaper_plan() -> None:
    five = choose_strategy([0, 3, 0, 1, 0], market_rows=1200)
    assert (five.strategy, five.per_company_cost, five.market_cost) == (PER_COMPANY, 5, 12)
    many = choose_strategy([0] * 500, market_rows=1200)
    assert (many.strategy, many.market_cost) == (MARKET_WIDE, 12)
    busy = choose_strategy([250, 0], market_rows=150)  # 3 + 1 pages vs 2
    assert busy.strategy == MARKET_WIDE
    assert choose_strategy([0] * 500, 1200, prefer=PER_COMPANY).strategy == PER_COMPANY


def test_market_estimate_uses_the_measured_rate() -> None:
    window = (date(2026, 1, 14), date(2026, 1, 15))  # Wed, Thu
    assert estimate_market_rows(window, None) == 1200
    assert estimate_market_rows(window, {"per_business_day": 300}) == 600
    weekend = (date(2026, 1, 17), date(2026, 1, 18))
    assert estimate_market_rows(weekend, None) == 40


def test_windows() -> None:
    assert poll_window(date(2026, 1, 15), 1) == (date(2026, 1, 14), date(2026, 1, 15))
    windows = backfill_windows(date(2025, 6, 1), date(2026, 1, 15))
    assert windows[0][0] == date(2025, 6, 1) and windows[-1][1] == date(2026, 1, 15)
    for (start, end), following in zip(windows, [*windows[1:], None], strict=True):
        assert start <= end and (end - start).days <= 92
        if following is not None:
            assert following[0] == end + timedelta(days=1)
    with pytest.raises(ValueError):
        backfill_windows(date(2026, 1, 2), date(2026, 1, 1))


# ------------------------------------------------------------------------- against the fake
def _poller(settings: Settings, db: Database, client, clock, **kw) -> Poller:  # type: ignore[no-untyped-def]
    return Poller(settings, db, client, clock=clock, **kw)


async def _stored(db: Database) -> dict[str, object]:
    return {f.rcept_no: f for f in await filings.list_filings(db)}


async def test_poll_is_idempotent_and_recorded(db: Database) -> None:
    clock = ManualClock(NOON)
    with running_fake(clock=clock) as (fake, url):
        settings = settings_for(url, db.url)
        async with budgeted_client(settings, db) as client:
            poller = _poller(settings, db, client, clock)
            first = await poller.poll()
            second = await poller.poll()
        expected = {r["rcept_no"] for r in fake.visible_rows(WATCHED, bgn_de=date(2026, 1, 14))}
    assert first.ok and first.strategy == PER_COMPANY and first.requests == 5
    assert set(first.new) == expected and expected
    assert second.ok and second.new == [] and second.events == []
    assert set(await _stored(db)) == expected
    pending = await filings.pending(db)
    assert {f.rcept_no for f in pending} == expected  # the pipeline's input
    runs = await pollruns.recent(db)
    assert [r.status for r in runs] == ["ok", "ok"] and runs[1].new_filings == len(expected)


async def test_late_rows_amendments_withdrawals_and_krx_numbers(db: Database) -> None:
    clock = ManualClock(NOON)
    with running_fake(clock=clock, dataset=False) as (fake, url):
        settings = settings_for(url, db.url)
        krx = fake.publish({"corp_code": NAVER, "report_nm": "기타경영사항(자율공시)"})
        late = fake.publish(
            {
                "corp_code": NAVER,
                "report_nm": "임원ㆍ주요주주특정증권등소유상황보고서",
                "rcept_dt": "20260114",
            },
            NOON + timedelta(seconds=30),
            krx=False,
        )
        async with budgeted_client(settings, db) as client:
            poller = _poller(settings, db, client, clock)
            assert (await poller.poll()).new == [krx.rcept_no]
            clock.advance(60)
            amendment = fake.amend(krx.rcept_no)
            fake.withdraw(late.rcept_no, NOON + timedelta(seconds=90))
            second = await poller.poll()
            clock.advance(60)
            third = await poller.poll()
    # The late row has a LOWER receipt number (00 vs 80) and an earlier date: a
    # high-water mark would have skipped it.
    assert late.rcept_no < krx.rcept_no
    assert sorted(second.new) == sorted([late.rcept_no, amendment.rcept_no])
    assert second.events == [(krx.rcept_no, "amended")]
    assert third.events == [(late.rcept_no, "withdrawn")] and third.new == []
    stored = await _stored(db)
    assert stored[krx.rcept_no].amended and stored[krx.rcept_no].rm == "유정"  # type: ignore[attr-defined]
    assert stored[late.rcept_no].withdrawn  # type: ignore[attr-defined]
    assert stored[amendment.rcept_no].report_nm.startswith("[기재정정]")  # type: ignore[attr-defined]


def market_rows(fake: FakeDart, bgn_de: str, end_de: str) -> list[dict[str, str]]:
    """Every visible row of a window, market-wide, asked of the fake itself (oracle)."""
    import json

    rows: list[dict[str, str]] = []
    page = 1
    while True:
        params = {"crtfc_key": TEST_KEY, "bgn_de": bgn_de, "end_de": end_de}
        response = fake.handle("list.json", params | {"page_no": str(page), "page_count": "100"})
        body = json.loads(response.body)
        if body["status"] == "013":
            return rows
        rows.extend(body["list"])
        if page >= body["total_page"]:
            return rows
        page += 1


def _big_watchlist(tmp_path: Path, fake: FakeDart, n: int) -> Path:
    lines = ["replace = true"]
    codes = list(WATCHED) + [c.corp_code for c in fake.noise.companies][: n - len(WATCHED)]
    for code in codes:
        lines += ["[[company]]", f'corp_code = "{code}"', f'name = "회사{code}"']
    path = tmp_path / "big.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_large_watchlist_uses_one_market_wide_query(
    sqlite_db: Database, tmp_path: Path
) -> None:
    clock = ManualClock(NOON)
    with running_fake(clock=clock, noise_per_day=500, noise_companies=3000) as (fake, url):
        path = _big_watchlist(tmp_path, fake, 500)
        settings = settings_for(url, sqlite_db.url, WATCHLIST_FILE=str(path))
        async with budgeted_client(settings, sqlite_db) as client:
            poller = _poller(settings, sqlite_db, client, clock)
            result = await poller.poll()
            again = await poller.poll()
        codes = {c.corp_code for c in fake.noise.companies[:495]} | set(WATCHED)
        market = market_rows(fake, "20260114", "20260115")
        expected = {r["rcept_no"] for r in market if r["corp_code"] in codes}
    assert result.ok and result.strategy == MARKET_WIDE
    assert result.requests <= result.estimate["market_wide"] <= 15  # not 500
    assert again.requests == again.estimate["market_wide"]  # measured, not assumed
    assert set(result.new) == expected and len(expected) > 50
    assert again.requests == result.requests and again.new == []


async def test_quota_mid_poll_is_a_typed_result_and_stops_all_calls(db: Database) -> None:
    clock = ManualClock(NOON)
    with running_fake(clock=clock) as (fake, url):
        settings = settings_for(url, db.url)
        async with budgeted_client(settings, db) as client:
            poller = _poller(settings, db, client, clock)
            fake.inject("900")
            fake.inject("020", endpoint="list.json")
            result = await poller.poll()
            served = fake.count()
            later = await poller.poll()
    assert result.status == "quota" and not result.ok
    assert result.resume_at is not None and result.resume_at.hour == 0
    assert "quota" in result.summary() and "resume" in result.summary()
    assert served == 2  # the 900, then the 020; nothing after it
    assert later.status == "quota" and later.requests == 0 and fake.count() == served
    assert await quota_paused_until(db) is not None
    assert (await pollruns.last(db)).status == "quota"  # type: ignore[union-attr]


async def test_fatal_key_stops_polling_with_a_clear_message(sqlite_db: Database) -> None:
    clock = ManualClock(NOON)
    with running_fake(clock=clock) as (fake, url):
        fake.set_key_status(TEST_KEY, "010")
        settings = settings_for(url, sqlite_db.url)
        async with budgeted_client(settings, sqlite_db) as client:
            poller = _poller(settings, sqlite_db, client, clock)
            result = await poller.poll()
            again = await poller.poll()
            assert fake.count() == 1
            fake.set_key_status(TEST_KEY, "000")
            await clear_fatal(sqlite_db)  # what `dartwatch poll --force` does
            fixed = await poller.poll()
    assert result.status == "fatal" and "DART_API_KEY" in result.errors[0]
    assert again.status == "fatal" and again.requests == 0
    assert fixed.ok and await fatal_state(sqlite_db, TEST_KEY) is None


async def test_failed_query_is_repaired_by_the_next_poll(db: Database) -> None:
    clock = ManualClock(NOON)
    with running_fake(clock=clock) as (fake, url):
        settings = settings_for(url, db.url, DART_MAX_RETRIES=0)
        async with budgeted_client(settings, db) as client:
            poller = _poller(settings, db, client, clock)
            fake.inject("html502", count=1, endpoint="list.json")
            broken = await poller.poll()
            repaired = await poller.poll()
        expected = {r["rcept_no"] for r in fake.visible_rows(WATCHED, bgn_de=date(2026, 1, 14))}
    assert broken.status == "failed" and "HTTP 502" in broken.errors[0]
    assert set(broken.new) | set(repaired.new) == expected
    assert repaired.ok


async def test_backfill_stores_history_without_alerts(db: Database) -> None:
    clock = ManualClock(NOON)
    lines: list[str] = []
    with running_fake(clock=clock) as (fake, url):
        settings = settings_for(url, db.url)
        async with budgeted_client(settings, db) as client:
            result = await _poller(settings, db, client, clock).backfill(
                date(2025, 6, 1), date(2025, 12, 31), progress=lines.append
            )
            again = await _poller(settings, db, client, clock).backfill(
                date(2025, 6, 1), date(2025, 12, 31)
            )
        expected = fake.visible_rows(WATCHED, bgn_de=date(2025, 6, 1), end_de=date(2025, 12, 31))
    assert result.ok and len(result.new) == len(expected) > 100
    assert again.new == []
    assert len(lines) == 3 and lines[0].startswith("[1/3] 2025-06-01..")
    assert await filings.pending(db) == []
    assert await filings.unprocessed_events(db) == []
    assert (await filings.counts_by_state(db)) == {"suppressed": len(expected)}


# ------------------------------------------------------------------------- must show
@pytest.mark.slow
@pytest.mark.parametrize("prefer", [None, MARKET_WIDE])
async def test_200_filings_over_time_with_random_faults(
    sqlite_db: Database, prefer: str | None
) -> None:
    """200 filings (plus amendments) become visible over a minute that crosses midnight
    KST; polls every 2 s of fake time under 25% random faults. Every filing ends up
    stored exactly once, amendments and withdrawals reflected; no poll ever raises."""
    start = datetime(2026, 1, 15, 23, 59, 30, tzinfo=KST)
    clock = ManualClock(start)
    with running_fake(clock=clock, noise_per_day=300 if prefer else 0, slow_seconds=1) as (
        fake,
        url,
    ):
        published = fake.publish_stream(200, start=start, span_seconds=60, seed=7)
        fake.set_random_faults(0.25, [*TRANSIENT_FAULTS, "slow"], seed=3)
        settings = settings_for(url, sqlite_db.url, DART_TIMEOUT_SECONDS=0.3, DART_MAX_RETRIES=2)
        statuses: list[str] = []
        async with budgeted_client(settings, sqlite_db) as client:
            poller = _poller(settings, sqlite_db, client, clock, prefer=prefer)
            for _ in range(35):
                statuses.append((await poller.poll()).status)
                clock.advance(2)
            # Keep polling (faults still on) until one full poll succeeds.
            for _ in range(20):
                result = await poller.poll()
                statuses.append(result.status)
                if result.ok:
                    break
        visible = fake.visible_rows(WATCHED, bgn_de=start.date() - timedelta(days=1))
    assert statuses[-1] == "ok"
    assert set(statuses) <= {"ok", "failed"}
    assert sum(1 for r in fake.records() if r.fault) >= 20  # faults were really served
    stored = await filings.list_filings(sqlite_db)
    stored_nos = [f.rcept_no for f in stored]
    assert len(stored_nos) == len(set(stored_nos))
    assert set(stored_nos) == {r["rcept_no"] for r in visible}
    assert len(published) >= 200 and {r.rcept_no for r in published} <= set(stored_nos)
    by_no = {f.rcept_no: f for f in stored}
    for row in visible:
        f = by_no[row["rcept_no"]]
        assert f.amended == ("정" in row["rm"]), row
        assert f.withdrawn == ("철" in row["rm"]), row
    # Change events: one per change, never spurious. (A row first seen already amended
    # is stored with amended=True and needs no event: its alert says so.)
    events = [
        (e.rcept_no, e.kind) for e in await filings.unprocessed_events(sqlite_db, limit=10_000)
    ]
    assert len(events) == len(set(events))
    final_rm = {r["rcept_no"]: r["rm"] for r in visible}
    for rcept_no, kind in events:
        assert kind in ("amended", "withdrawn")
        assert ("정" if kind == "amended" else "철") in final_rm[rcept_no]
    assert any(kind == "amended" for _, kind in events)


async def test_partner_named_by_stock_code_is_resolved_through_corpcode(
    sqlite_db: Database, tmp_path: Path
) -> None:
    clock = ManualClock(NOON)
    path = tmp_path / "partners.toml"
    path.write_text('[[partner]]\nstock_code = "259960"\nname = "크래프톤"\nwatch = true\n')
    with running_fake(clock=clock, dataset=True) as (fake, url):
        krafton = fake.publish({"corp_code": "99000004", "report_nm": "단일판매ㆍ공급계약체결"})
        settings = settings_for(url, sqlite_db.url, WATCHLIST_FILE=str(path))
        async with budgeted_client(settings, sqlite_db) as client:
            poller = _poller(settings, sqlite_db, client, clock)
            first = await poller.poll()
            second = await poller.poll()
        corpcode_calls = fake.count("corpCode.xml")
    assert first.ok, first.errors
    assert krafton.rcept_no in first.new
    assert corpcode_calls == 1  # cached, refreshed at most every CORPCODE_REFRESH_HOURS
    assert second.requests == 6  # five companies and the partner, per company
    from storage import companies

    assert "99000004" in await companies.watched_codes(sqlite_db)


async def test_spent_daily_budget_ends_the_poll_without_calls(sqlite_db: Database) -> None:
    clock = ManualClock(NOON)
    with running_fake(clock=clock) as (fake, url):
        settings = settings_for(url, sqlite_db.url, DART_DAILY_BUDGET=3)
        async with budgeted_client(settings, sqlite_db) as client:
            result = await _poller(settings, sqlite_db, client, clock).poll()
        assert fake.count() == 3
    assert result.status == "budget" and result.requests == 3
    assert "DART_DAILY_BUDGET" in result.errors[0] and result.resume_at is not None
