"""OpenDART faults through the real poller, pipeline and dispatcher against the local
OpenDART on 127.0.0.1: each fault is served, the cycle survives it with a clear log
line, and in the end every visible filing is stored once and alerted exactly once.

(The client's single-fault retries are in tests/test_dart_client.py; the 200-filing
poll loop under random faults in tests/test_poller.py. Here the whole path runs, up to
the alerts, and each case also checks what the operator reads in the log.)"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from monitor.core.kcalendar import KST
from monitor.fakedart import TRANSIENT_FAULTS
from storage import filings, outbox
from storage.db import Database
from tests.faults.support import WATCHED, assert_logged, dart_rig, publish

pytestmark = pytest.mark.faults

# fault kind, endpoint, what the log must say
LIST_FAULTS = [
    ("800", "OpenDART status 800"),
    ("900", "OpenDART status 900"),
    ("html502", "HTTP 502"),
    ("html200", "an HTML page instead of JSON"),
    ("truncated", "malformed JSON"),
    ("malformed", "malformed JSON"),
    ("slow", "timed out"),
    ("reset", "connection closed mid-response|network error|cannot connect"),
]


@pytest.mark.parametrize(("fault", "said"), LIST_FAULTS, ids=[f for f, _ in LIST_FAULTS])
async def test_list_fault_is_survived_logged_and_repaired(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture, fault: str, said: str
) -> None:
    caplog.set_level(logging.INFO)
    async with dart_rig(sqlite_db) as rig:
        first = publish(rig.fake, 6)
        # Two in a row: the first attempt and its one retry both fail, so the query
        # of the first company fails and the poll says so.
        rig.fake.inject(fault, count=2, endpoint="list.json")
        broken = await rig.cycle()
        assert broken.status == "failed", broken.summary()
        assert sum(1 for r in rig.fake.records("list.json") if r.fault == fault) == 2
        rig.clock.advance(30)
        later = publish(rig.fake, 4)
        repaired = await rig.cycle()
        assert repaired.ok, repaired.summary()
        ledger = await rig.check_ledger()
    assert ledger["filings"] == len(first) + len(later)
    assert_logged(caplog, rf"dartwatch\.dart: OpenDART: .*({said}).*retry 1/1", logging.WARNING)
    assert_logged(
        caplog, rf"poll query {WATCHED[0]} failed \(the next poll repairs it\): .*({said})"
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_wrong_types_in_fields(sqlite_db: Database, caplog: pytest.LogCaptureFixture) -> None:
    """Every variant of a careless upstream (paging numbers as strings, ``list`` not a
    list, a row without ``rcept_no``, nulls): a row is rejected with a reason or the page
    is refused naming the field; the next poll picks up what was skipped."""
    caplog.set_level(logging.INFO)
    async with dart_rig(sqlite_db, retries=0) as rig:
        publish(rig.fake, 10)
        statuses = []
        for _ in range(8):  # the variant is the fake's random choice: serve several
            rig.fake.inject("wrongtypes", count=1, endpoint="list.json")
            statuses.append((await rig.cycle()).status)
            rig.clock.advance(10)
        assert set(statuses) <= {"ok", "failed"}
        served = [r for r in rig.fake.records("list.json") if r.fault == "wrongtypes"]
        assert len(served) == 8
        assert (await rig.cycle()).ok
        await rig.check_ledger()
    # Either a row was rejected with its field named, or the page frame was refused.
    assert_logged(
        caplog,
        r"rejected: .*(rcept_no|rcept_dt)|bad paging fields \(.*(page_no|total_page)"
        r"|field 'list' missing or not a list",
        logging.WARNING,
    )


@pytest.mark.parametrize("fault", ["notzip", "badzip", "malformed", "slow"])
async def test_document_fault_never_stops_an_alert(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    """document.xml that is not a ZIP, a ZIP that does not open, a broken XML error body,
    or no answer in time: the filing is matched on its title and alerted anyway."""
    caplog.set_level(logging.INFO)
    async with dart_rig(sqlite_db, timeout=0.5) as rig:
        publish(rig.fake, 3)
        rig.fake.inject(fault, count=6, endpoint="document.xml")
        result = await rig.cycle()
        assert result.ok
        await rig.check_ledger()
        served = [r for r in rig.fake.records("document.xml") if r.fault == fault]
    assert served, "the fault was never served"
    line = assert_logged(
        caplog,
        r"document \d{14}: (error|timeout).*matching on the title|"
        r"document \d{14}: no answer within",
    )
    assert (
        fault != "notzip"
        or "not a ZIP" in line
        or "not a ZIP" in "\n".join(r.getMessage() for r in caplog.records)
    )


async def test_quota_020_pauses_until_midnight_then_catches_up(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """020 mid-poll: no OpenDART call until 00:00 KST (request counts prove it), never
    read as "no filings"; after midnight the next poll stores and alerts everything
    published meanwhile, including the previous day's late rows."""
    caplog.set_level(logging.INFO)
    async with dart_rig(sqlite_db) as rig:
        rig.clock.set(datetime(2026, 1, 15, 23, 0, tzinfo=KST))
        before = publish(rig.fake, 5)
        rig.fake.inject("020", endpoint="list.json")
        stopped = await rig.cycle()
        assert stopped.status == "quota" and stopped.resume_at is not None
        assert stopped.resume_at == datetime(2026, 1, 16, 0, 0, tzinfo=KST)
        served = rig.fake.count()
        during = publish(rig.fake, 4)  # filed while we may not look
        for _ in range(5):
            rig.clock.advance(600)  # 23:10 .. 23:50
            paused = await rig.cycle()
            assert paused.status == "quota" and paused.requests == 0
        assert rig.fake.count() == served, "a request was sent during the quota pause"
        stored_during = {f.rcept_no for f in await filings.list_filings(sqlite_db)}
        rig.clock.set(datetime(2026, 1, 16, 0, 1, tzinfo=KST))
        rig.fake.reset_quota()  # OpenDART's new day
        after = publish(rig.fake, 2)
        resumed = await rig.cycle()
        assert resumed.ok, resumed.summary()
        await rig.check_ledger(since=datetime(2026, 1, 15).date())
    assert not stored_during & set(during)
    assert set(before + during + after) <= set(rig.recorder.new_alerts())
    assert_logged(
        caplog,
        r"poll stopped: OpenDART quota exceeded \(status 020\); no requests "
        r"until \d{4}-\d\d-\d\d 00:00 KST",
        logging.WARNING,
    )


async def test_rows_that_vanish_and_reappear(sqlite_db: Database) -> None:
    """A row seen, then gone from list.json, then back: stored once, alerted once, no
    spurious change event. A row hidden before anyone saw it is alerted when it shows."""
    async with dart_rig(sqlite_db) as rig:
        seen = publish(rig.fake, 4)
        assert set((await rig.cycle()).new) == set(seen)
        rig.clock.advance(5)
        rig.fake.hide(seen[0])
        late = publish(rig.fake, 1)[0]
        rig.fake.hide(late)
        gone = await rig.cycle()
        assert gone.ok and gone.new == [] and gone.events == []
        assert await filings.get(sqlite_db, seen[0]) is not None  # not forgotten
        rig.clock.advance(5)
        rig.fake.unhide(seen[0])
        rig.fake.unhide(late)
        back = await rig.cycle()
        assert back.new == [late] and back.events == []
        rig.clock.advance(5)
        rig.fake.amend(seen[1])
        amended = await rig.cycle()
        assert [k for _, k in amended.events] == ["amended"]
        rig.fake.hide(seen[1])
        rig.clock.advance(5)
        rig.fake.unhide(seen[1])
        rig.clock.advance(5)
        again = await rig.cycle()
        assert again.new == [] and again.events == []
        await rig.check_ledger()
        assert len(await filings.events_for(sqlite_db, seen[1])) == 1


@pytest.mark.slow
async def test_random_fault_storm_over_time_with_amendments_and_withdrawals(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Every transient fault kind at random on every endpoint (30 %), 80 filings over
    time with amendments and withdrawals: every filing stored once and alerted once,
    every withdrawal alerted once, no cycle raises."""
    caplog.set_level(logging.WARNING)
    async with dart_rig(
        sqlite_db, retries=2, timeout=0.3, fake_options={"slow_seconds": 1.0}
    ) as rig:
        start = rig.clock()
        rows = rig.fake.publish_stream(80, start=start, span_seconds=60, seed=11)
        rig.fake.set_random_faults(0.3, [*TRANSIENT_FAULTS, "slow", "notzip", "badzip"], seed=5)
        statuses = []
        for _ in range(32):
            statuses.append((await rig.cycle()).status)
            rig.clock.advance(2)
        rig.fake.clear_faults()
        statuses.append((await rig.cycle()).status)
        assert statuses[-1] == "ok" and set(statuses) <= {"ok", "failed"}
        assert sum(1 for r in rig.fake.records() if r.fault) >= 20
        await rig.check_ledger(since=start.date() - timedelta(days=1))
        withdrawn = {
            r["rcept_no"] for r in rig.visible(start.date() - timedelta(days=1)) if "철" in r["rm"]
        }
        got = rig.recorder.got
        assert {k.split(":")[0] for k in got if k.endswith(":withdrawn")} == withdrawn
        assert all(n == 1 for n in got.values())
        assert (await outbox.counts(sqlite_db)) == {"sent": sum(got.values())}
    assert len(rows) >= 80
    print(
        f"\nfault storm: {statuses.count('failed')} failed polls of {len(statuses)}, "
        f"{sum(1 for r in rig.fake.records() if r.fault)} faults served, "
        f"{sum(got.values())} alerts, duplicates 0"
    )
