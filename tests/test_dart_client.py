"""The real client against the local OpenDART over 127.0.0.1: paging, 013, every status
and fault kind -> the right typed error or a retry, the budget gate, and the key never
leaking into logs, exception texts, database rows or files."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.fakedart import DocumentSpec
from monitor.opendart import errors
from monitor.opendart.client import DocumentTooLarge
from storage.db import Database
from tests.conftest import TEST_KEY
from tests.helpers.ingest import budgeted_client, plain_client, running_fake, settings_for

DAY = date(2026, 1, 15)
NAVER = "00266961"


def _publish(fake, n: int, corp_code: str = NAVER) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        fake.publish(
            {
                "corp_code": corp_code,
                "report_nm": f"기타경영사항(자율공시) {i}",
                "rcept_dt": "20260115",
            }
        ).rcept_no
        for i in range(n)
    ]


async def test_full_paging_returns_every_row_once() -> None:
    with running_fake(dataset=False) as (fake, url):
        published = _publish(fake, 250)
        async with plain_client(settings_for(url)) as client:
            result = await client.list_filings(bgn_de=DAY, end_de=DAY, corp_code=NAVER)
        assert sorted(r.rcept_no for r in result.rows) == sorted(published)
        assert result.pages == 3 and result.total_count == 250
        assert fake.count("list.json") == 3
        assert all(r.params["page_count"] == "100" for r in fake.records("list.json"))
        assert all(r.params["last_reprt_at"] == "N" for r in fake.records("list.json"))


async def test_no_data_013_is_an_empty_result() -> None:
    with running_fake(dataset=False) as (fake, url):
        async with plain_client(settings_for(url)) as client:
            result = await client.list_filings(bgn_de=DAY, end_de=DAY, corp_code=NAVER)
        assert result.rows == [] and result.pages == 1
        assert fake.statuses["013"] == 1


@pytest.mark.parametrize(
    "fault",
    ["800", "900", "html502", "html200", "truncated", "malformed", "wrongtypes", "reset", "slow"],
)
async def test_transient_faults_are_retried(fault: str) -> None:
    with running_fake(dataset=False, slow_seconds=5) as (fake, url):
        _publish(fake, 3)
        fake.inject(fault, endpoint="list.json")
        async with plain_client(settings_for(url, DART_TIMEOUT_SECONDS=0.5)) as client:
            result = await client.list_filings(bgn_de=DAY, end_de=DAY, corp_code=NAVER)
        assert len(result.rows) == 3
        assert fake.count("list.json") == 2  # the fault, then the healthy retry


async def test_persistent_transient_failure_gives_up_after_bounded_retries() -> None:
    with running_fake(dataset=False) as (fake, url):
        fake.inject("900", count=20)
        async with plain_client(settings_for(url, DART_MAX_RETRIES=2)) as client:
            with pytest.raises(errors.TransientDartError) as caught:
                await client.list_filings(bgn_de=DAY, end_de=DAY, corp_code=NAVER)
        assert caught.value.status == "900"  # type: ignore[attr-defined]
        assert fake.count() == 3


@pytest.mark.parametrize("status", ["010", "011", "012", "901"])
async def test_fatal_key_statuses_are_not_retried(status: str) -> None:
    with running_fake(dataset=False) as (fake, url):
        fake.inject(status)
        async with plain_client(settings_for(url)) as client:
            with pytest.raises(errors.InvalidKey) as caught:
                await client.list_filings(bgn_de=DAY, end_de=DAY, corp_code=NAVER)
        assert fake.count() == 1
        assert "DART_API_KEY" in str(caught.value) and status in str(caught.value)


async def test_unknown_key_is_010() -> None:
    with running_fake(dataset=False, keys=["z" * 40]) as (fake, url):
        async with plain_client(settings_for(url)) as client:
            with pytest.raises(errors.InvalidKey):
                await client.company(NAVER)
        assert fake.count() == 1


async def test_bad_request_100_is_not_retried() -> None:
    with running_fake(dataset=False) as (fake, url):
        async with plain_client(settings_for(url)) as client:
            with pytest.raises(errors.InvalidRequest) as caught:
                await client.list_filings(bgn_de=date(2025, 1, 1), end_de=DAY)  # > 3 months
        assert caught.value.status == "100"  # type: ignore[attr-defined]
        assert "3개월" in str(caught.value)
        assert fake.count() == 1


async def test_quota_020_stops_every_later_call(sqlite_db: Database) -> None:
    with running_fake(dataset=False) as (fake, url):
        fake.inject("020")
        settings = settings_for(url)
        async with budgeted_client(settings, sqlite_db) as client:
            with pytest.raises(errors.QuotaExceeded) as caught:
                await client.list_filings(bgn_de=DAY, end_de=DAY, corp_code=NAVER)
            assert caught.value.resume_at.hour == 0
            served = fake.count()
            assert served == 1
            for call in (client.corp_codes(), client.company(NAVER)):
                with pytest.raises(errors.QuotaPaused):
                    await call
        # A restarted process (new client, same database) makes no call either.
        async with budgeted_client(settings, sqlite_db) as client:
            with pytest.raises(errors.QuotaPaused):
                await client.list_filings(bgn_de=DAY, end_de=DAY)
        assert fake.count() == served


async def test_fatal_status_is_persisted_and_blocks_calls(sqlite_db: Database) -> None:
    with running_fake(dataset=False) as (fake, url):
        fake.set_key_status(TEST_KEY, "011")
        settings = settings_for(url)
        async with budgeted_client(settings, sqlite_db) as client:
            with pytest.raises(errors.InvalidKey):
                await client.company(NAVER)
        async with budgeted_client(settings, sqlite_db) as client:
            with pytest.raises(errors.KeyRejected):
                await client.company(NAVER)
        assert fake.count() == 1


async def test_requests_are_counted_including_retries(sqlite_db: Database) -> None:
    from monitor.opendart.budget import used_today

    with running_fake(dataset=False) as (fake, url):
        fake.inject("800")
        async with budgeted_client(settings_for(url), sqlite_db) as client:
            await client.company(NAVER)
            await client.company(NAVER)
        assert await used_today(sqlite_db) == fake.count() == 3


@pytest.mark.parametrize("english", [True, False])
async def test_corp_codes_both_shapes(english: bool) -> None:
    with running_fake(dataset=True, corp_eng_name=english) as (_fake, url):
        async with plain_client(settings_for(url)) as client:
            entries = await client.corp_codes()
    by_code = {e.corp_code: e for e in entries}
    assert by_code["00181712"].corp_name == "SK" and by_code["00144155"].corp_name == "SK"
    assert by_code["00777272"].stock_code is None  # " " in the XML: unlisted
    assert (by_code["00181712"].corp_eng_name is not None) is english


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("020", errors.QuotaExceeded), ("notzip", errors.BadPayload), ("badzip", errors.BadPayload)],
)
async def test_corp_codes_faults(fault: str, kind: type[Exception]) -> None:
    with running_fake(dataset=True) as (fake, url):
        fake.inject(fault, count=10, endpoint="corpCode.xml")
        async with plain_client(settings_for(url, DART_MAX_RETRIES=1)) as client:
            with pytest.raises(kind):
                await client.corp_codes()
        assert fake.count() == (1 if fault == "020" else 2)


async def test_company_json() -> None:
    with running_fake(dataset=True) as (_fake, url):
        async with plain_client(settings_for(url)) as client:
            info = await client.company("00159023")
            missing = await client.company("99999999")
    assert info is not None and info.corp_name == "SK텔레콤" and info.stock_code == "017670"
    assert missing is None


async def test_document_text_euc_kr_cap_and_missing() -> None:
    with running_fake(dataset=False) as (fake, url):
        plain = fake.publish(
            {"corp_code": NAVER, "report_nm": "기타경영사항(자율공시)"},
            document=DocumentSpec(text="제목\n하이퍼클로바X 인공지능 투자"),
        )
        euc = fake.publish(
            {"corp_code": NAVER, "report_nm": "투자판단관련주요경영사항"},
            document=DocumentSpec(text="제목\nGPU 클러스터 구축", euc_kr=True),
        )
        large = fake.publish(
            {"corp_code": NAVER, "report_nm": "사업보고서"}, document=DocumentSpec(large=True)
        )
        async with plain_client(settings_for(url)) as client:
            first = await client.document(plain.rcept_no, 1_000_000)
            second = await client.document(euc.rcept_no, 1_000_000)
            with pytest.raises(DocumentTooLarge):
                await client.document(large.rcept_no, 20_000)
            with pytest.raises(errors.FileMissing):
                await client.document("20260115009999", 1_000_000)
    assert "하이퍼클로바X 인공지능 투자" in first.text
    assert "GPU 클러스터 구축" in second.text


async def test_key_never_leaks(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "tenacity", "dartwatch"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    texts: list[str] = []
    with running_fake(dataset=False, slow_seconds=3) as (fake, url):
        _publish(fake, 2)
        settings = settings_for(url, DART_TIMEOUT_SECONDS=0.3, DART_MAX_RETRIES=1)
        async with budgeted_client(settings, sqlite_db) as client:
            for fault in ("html502", "truncated", "reset", "slow", "malformed", "wrongtypes"):
                fake.inject(fault, count=2, endpoint="list.json")
                try:
                    await client.list_filings(bgn_de=DAY, end_de=DAY, corp_code=NAVER)
                except errors.DartError as exc:
                    texts.extend([str(exc), repr(exc), str(exc.__cause__), str(exc.__context__)])
            for fault in ("notzip", "020"):
                fake.inject(fault, count=2, endpoint="document.xml")
                try:
                    await client.document("20260115000001", 100_000)
                except errors.DartError as exc:
                    texts.extend([str(exc), repr(exc)])
            fake.set_key_status(TEST_KEY, "010")
            try:
                await client.corp_codes()
            except errors.DartError as exc:
                texts.append(str(exc))
    assert any("crtfc_key" in r.getMessage() for r in caplog.records), "httpx logged no URL"
    assert len(texts) >= 8
    logged = "\n".join(r.getMessage() for r in caplog.records) + "\n" + caplog.text
    assert TEST_KEY not in logged
    assert TEST_KEY not in "\n".join(texts)
    async with sqlite_db.session() as session:
        for table in ("request_days", "meta", "poll_runs", "filings"):
            rows = (await session.exec(text(f"SELECT * FROM {table}"))).all()  # type: ignore[call-overload]
            assert TEST_KEY not in repr(rows)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes(), path
