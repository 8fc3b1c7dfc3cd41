"""Facts through the local OpenDART with the real client: DS005, DS004 and bodies agree;
one extra request per covered filing; bounded retries while DS005 has no row yet; a
correction's alert says what changed; webhook payloads and explain carry the facts."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest

from monitor.delivery.pipeline import Pipeline, alert_for_ref
from monitor.facts.service import FactsPolicy, FactsService, stored_facts
from monitor.fakedart import FakeDart
from monitor.kai.timeline import load_timeline
from notifiers.base import Alert, Notifier
from notifiers.webhook import alert_payload
from storage import facts as store
from storage.db import Database
from storage.filings import FilingRecord, upsert_filings
from storage.models import utcnow
from tests.helpers.ingest import NOON, plain_client, running_fake, settings_for

NAVER = "00266961"


class Quiet(Notifier):
    name = "quiet"

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        raise AssertionError("not sent here")


async def _store_listed(db: Database, fake: FakeDart, client: object) -> list[str]:
    """Store what list.json shows (the fake runs without its dataset: only the filings
    this test published), as a poll would."""
    listed = await client.list_filings(  # type: ignore[attr-defined]
        bgn_de=NOON.date() - timedelta(days=400), end_de=NOON.date(), corp_code=NAVER
    )
    records = [
        FilingRecord(
            rcept_no=r.rcept_no,
            corp_code=r.corp_code,
            corp_name=r.corp_name,
            report_nm=r.report_nm,
            rcept_dt=r.rcept_dt,
            rm=r.rm,
            stock_code=r.stock_code,
            corp_cls=r.corp_cls,
            flr_nm=r.flr_nm,
        )
        for r in listed.rows
    ]
    async with db.session() as session:
        result = await upsert_filings(session, records)
    return result.new


@pytest.fixture
def fake_and_url():  # type: ignore[no-untyped-def]
    with running_fake(dataset=False) as pair:
        yield pair


async def test_client_reads_ds005_and_ds004_rows_that_match_the_body(
    fake_and_url: tuple[FakeDart, str],
) -> None:
    fake, url = fake_and_url
    buyback = fake.publish({"corp_code": NAVER, "report_nm": "주요사항보고서(자기주식취득결정)"})
    holding = fake.publish(
        {
            "corp_code": NAVER,
            "report_nm": "주식등의대량보유상황보고서(일반)",
            "flr_nm": "국민연금공단",
        }
    )
    async with plain_client(settings_for(url)) as client:
        rows = await client.major_events(
            "tsstkAqDecsn", corp_code=NAVER, bgn_de=NOON.date(), end_de=NOON.date()
        )
        assert [r["rcept_no"] for r in rows] == [buyback.rcept_no]
        assert rows[0]["aqexpd_bgd"].endswith("일")  # Korean dates, as OpenDART sends them
        before = await client.major_events(
            "tsstkAqDecsn",
            corp_code=NAVER,
            bgn_de=date(2020, 1, 1),
            end_de=NOON.date() - timedelta(days=1),
        )
        assert before == []  # 013 is an empty list
        owners = await client.ownership("majorstock", corp_code=NAVER)
        assert holding.rcept_no in {r["rcept_no"] for r in owners}
        assert all(len(r["rcept_dt"]) == 10 for r in owners)  # YYYY-MM-DD
        document = await client.document(buyback.rcept_no, 5_000_000)
    from monitor.facts import bodies
    from monitor.facts.structured import ds005_facts

    structured = ds005_facts("tsstkAqDecsn", "buyback", rows[0])
    from_body = bodies.extract("buyback", document.markup)
    for key in ("shares", "amount_krw", "period_start", "period_end", "method", "purpose"):
        assert structured.get(key) == from_body.get(key), key


async def test_pipeline_stores_facts_once_and_alerts_carry_them(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    fake, url = fake_and_url
    titles = [
        "주요사항보고서(자기주식취득결정)",
        "단일판매ㆍ공급계약체결",
        "연결재무제표기준영업(잠정)실적(공정공시)",
        "현금ㆍ현물배당결정",
        "타법인주식및출자증권취득결정",
        "임원ㆍ주요주주특정증권등소유상황보고서",
        "기업지배구조보고서공시",
    ]
    rows = {t: fake.publish({"corp_code": NAVER, "report_nm": t}) for t in titles}
    timeline = load_timeline()
    async with plain_client(settings_for(url)) as client:
        await _store_listed(sqlite_db, fake, client)
        fake.reset_stats()
        service = FactsService(sqlite_db, client)
        pipeline = Pipeline(
            sqlite_db, timeline, {"quiet": Quiet()}, documents=client, facts=service
        )
        await pipeline.run()
        counts = {e: fake.count(e) for e in ("tsstkAqDecsn.json", "elestock.json", "document.xml")}
        second = await service.for_filing(await _filing(sqlite_db, rows[titles[0]].rcept_no))
    # One structured request per structured filing; bodies come with the matcher's fetch.
    assert counts == {"tsstkAqDecsn.json": 1, "elestock.json": 1, "document.xml": len(titles)}
    assert second.ok  # read back from storage, no new request
    assert fake.count("tsstkAqDecsn.json") == 1

    expected_keys = {
        titles[0]: {"shares", "amount_krw", "period_start", "period_end", "method", "purpose"},
        titles[1]: {
            "counterparty",
            "amount_krw",
            "revenue_ratio_pct",
            "period_start",
            "period_end",
        },
        titles[2]: {
            "revenue_krw",
            "operating_profit_krw",
            "net_income_krw",
            "revenue_yoy_pct",
            "operating_profit_yoy_pct",
        },
        titles[3]: {"dps_krw", "yield_pct", "total_krw", "record_date"},
        titles[4]: {"target", "amount_krw", "equity_ratio_pct", "stake_after_pct"},
    }
    for title, keys in expected_keys.items():
        alert = await alert_for_ref(sqlite_db, rows[title].rcept_no)
        assert keys <= set(alert.facts), title
        assert alert.summary, title
        payload = alert_payload(alert, "generic", "ko")
        assert payload["summary"] == alert.summary
        assert json.loads(json.dumps(payload["facts"])) == alert.facts
        for key in keys:
            assert isinstance(alert.facts[key], int | float | str)
    contract = await alert_for_ref(sqlite_db, rows[titles[1]].rcept_no)
    assert isinstance(contract.facts["amount_krw"], int)
    assert contract.summary is not None and "억원" in contract.summary
    plain = await alert_for_ref(sqlite_db, rows[titles[-1]].rcept_no)
    assert plain.summary is None and plain.facts == {}
    async with sqlite_db.session() as session:
        record = await store.get_facts(session, rows[titles[-1]].rcept_no)
    assert record is not None and record.status == "none"
    assert record.reason == "no extractor for this kind of filing"


async def _filing(db: Database, rcept_no: str):  # type: ignore[no-untyped-def]
    from storage.models import Filing

    async with db.session() as session:
        found = await session.get(Filing, rcept_no)
    assert found is not None
    return found


async def test_missing_ds005_row_is_retried_a_bounded_number_of_times(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    fake, url = fake_and_url
    fake.structured_lag = timedelta(hours=1)
    row = fake.publish({"corp_code": NAVER, "report_nm": "주요사항보고서(자기주식취득결정)"})
    async with plain_client(settings_for(url)) as client:
        await _store_listed(sqlite_db, fake, client)
        service = FactsService(sqlite_db, client, FactsPolicy(max_attempts=3))
        filing = await _filing(sqlite_db, row.rcept_no)
        first = await service.for_filing(filing)
        assert first.status == "retry" and "no row" in first.reason
        later = utcnow() + timedelta(minutes=3)
        assert await service.retry_due(later) == 0  # still no row: attempt 2
        fake.clock.advance(3600)  # type: ignore[attr-defined]
        assert await service.retry_due(later + timedelta(minutes=3)) == 1
        done = await service.stored(row.rcept_no)
        assert done is not None and done.ok and done.get("shares")
        # Without the row ever appearing, the tries stop at the limit with the reason.
        fake.structured_lag = timedelta(days=30)
        other = fake.publish({"corp_code": NAVER, "report_nm": "주요사항보고서(자기주식처분결정)"})
        await _store_listed(sqlite_db, fake, client)
        other_filing = await _filing(sqlite_db, other.rcept_no)
        for _ in range(3):
            result = await service.for_filing(other_filing)
        assert result.status == "none" and "after 3 tries" in result.reason
        assert fake.count("tsstkDpDecsn.json") == 3


async def test_quota_stops_structured_requests_and_is_retried(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    fake, url = fake_and_url
    row = fake.publish({"corp_code": NAVER, "report_nm": "주요사항보고서(자기주식취득결정)"})
    async with plain_client(settings_for(url)) as client:
        await _store_listed(sqlite_db, fake, client)
        fake.inject("020", endpoint="tsstkAqDecsn.json")
        service = FactsService(sqlite_db, client)
        result = await service.for_filing(await _filing(sqlite_db, row.rcept_no))
    assert result.status == "retry"
    assert "020" in result.reason


async def test_correction_alert_says_what_changed(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    fake, url = fake_and_url
    original = fake.publish({"corp_code": NAVER, "report_nm": "단일판매ㆍ공급계약체결"})
    fake.clock.advance(600)  # type: ignore[attr-defined]
    correction = fake.amend(original.rcept_no)
    timeline = load_timeline()
    async with plain_client(settings_for(url)) as client:
        await _store_listed(sqlite_db, fake, client)
        pipeline = Pipeline(
            sqlite_db,
            timeline,
            {"quiet": Quiet()},
            documents=client,
            facts=FactsService(sqlite_db, client),
        )
        await pipeline.run()
    alert = await alert_for_ref(sqlite_db, correction.rcept_no)
    assert alert.corrects == original.rcept_no
    changed = {c.key: (c.old, c.new) for c in alert.changes}
    assert "amount_krw" in changed
    old, new = changed["amount_krw"]
    assert old != new and old.endswith("원") and new.endswith("원")
    from notifiers.formatting import alert_text
    from notifiers.telegram_format import format_alert_html
    from notifiers.telegram_texts import t  # noqa: F401  (import order: see telegram_format)

    text = alert_text(alert, "ko")
    assert f"{old} → {new}" in text
    assert text.splitlines().index(alert.summary) < text.splitlines().index(alert.report_nm)
    html, _ = format_alert_html(alert, "ko")
    first, changes = html.split("\n")[:2]
    assert alert.summary in first and f"{old} → {new}" in changes  # what happened, what changed
    facts = await stored_facts(sqlite_db, [correction.rcept_no])
    assert facts[correction.rcept_no][1]  # the digest sees the same changes


async def test_one_ds004_answer_serves_a_companys_ownership_filings(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    fake, url = fake_and_url
    first = fake.publish(
        {"corp_code": NAVER, "report_nm": "임원ㆍ주요주주특정증권등소유상황보고서"}
    )
    second = fake.publish(
        {"corp_code": NAVER, "report_nm": "임원ㆍ주요주주특정증권등소유상황보고서"}
    )
    async with plain_client(settings_for(url)) as client:
        await _store_listed(sqlite_db, fake, client)
        service = FactsService(sqlite_db, client)
        a = await service.for_filing(await _filing(sqlite_db, first.rcept_no))
        b = await service.for_filing(await _filing(sqlite_db, second.rcept_no))
        assert fake.count("elestock.json") == 1
        later = fake.publish(
            {"corp_code": NAVER, "report_nm": "임원ㆍ주요주주특정증권등소유상황보고서"}
        )
        await _store_listed(sqlite_db, fake, client)
        c = await service.for_filing(await _filing(sqlite_db, later.rcept_no))
    assert a.ok and b.ok and c.ok
    assert a.get("holder") and {f.source for f in a.facts} == {"ds004"}
    assert fake.count("elestock.json") == 2  # a filing not in the cached answer asks again


async def test_a_slow_structured_answer_does_not_hold_the_alert(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    fake, url = fake_and_url
    row = fake.publish({"corp_code": NAVER, "report_nm": "주요사항보고서(자기주식취득결정)"})
    async with plain_client(settings_for(url)) as client:
        await _store_listed(sqlite_db, fake, client)
        fake.inject("slow", endpoint="tsstkAqDecsn.json", seconds=1.5)
        service = FactsService(sqlite_db, client, FactsPolicy(timeout=0.3))
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await service.for_filing(await _filing(sqlite_db, row.rcept_no))
        assert loop.time() - started < 1.2
    assert result.status == "retry"
    assert "within 0.3 s" in result.reason


async def test_a_body_that_timed_out_is_read_on_a_later_try(
    fake_and_url: tuple[FakeDart, str], sqlite_db: Database
) -> None:
    from monitor.ingest.documents import BodyResult

    fake, url = fake_and_url
    row = fake.publish({"corp_code": NAVER, "report_nm": "현금ㆍ현물배당결정"})
    async with plain_client(settings_for(url)) as client:
        await _store_listed(sqlite_db, fake, client)
        service = FactsService(sqlite_db, client)
        filing = await _filing(sqlite_db, row.rcept_no)
        first = await service.for_filing(filing, BodyResult(None, "timeout"))
        assert first.status == "retry" and "timeout" in first.reason
        assert fake.count("document.xml") == 0
        assert await service.retry_due(utcnow() + timedelta(minutes=3)) == 1
    assert fake.count("document.xml") == 1
    done = await service.stored(row.rcept_no)
    assert done is not None and done.get("dps_krw") is not None
    missing = await FactsService(sqlite_db, None).for_filing(
        filing, BodyResult(None, "too_large"), force=True
    )
    assert missing.status == "none" and "too_large" in missing.reason
