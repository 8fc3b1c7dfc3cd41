"""Document bodies for the matcher: cached, size-capped, time-boxed, never fatal."""

from __future__ import annotations

import asyncio
import time

from monitor.ingest.documents import BodyResult, fetch_body
from monitor.opendart.errors import FileMissing, QuotaExceeded
from storage.db import Database
from storage.documents import get_document


class FakeSource:
    """Implements the DocumentSource protocol with a scripted answer."""

    def __init__(self, answer: object = "본문 인공지능", delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.calls: list[tuple[str, int]] = []

    async def document(self, rcept_no: str, max_bytes: int) -> object:
        self.calls.append((rcept_no, max_bytes))
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


async def _fetch(db: Database, source: FakeSource | None, **kw: object) -> BodyResult:
    opts: dict[str, object] = {"max_bytes": 100_000, "timeout": 2.0, "enabled": True} | kw
    return await fetch_body(db, source, "20260115000001", **opts)  # type: ignore[arg-type]


async def test_ok_body_is_cached_and_fetched_once(sqlite_db: Database) -> None:
    source = FakeSource("가" * 50)
    first = await _fetch(sqlite_db, source, max_bytes=20_000)
    second = await _fetch(sqlite_db, source)
    assert first == BodyResult("가" * 50, "ok", cached=False)
    assert second == BodyResult("가" * 50, "ok", cached=True)
    assert source.calls == [("20260115000001", 20_000)]


async def test_slow_body_times_out_quickly_and_is_not_cached(sqlite_db: Database) -> None:
    source = FakeSource(delay=5.0)
    started = time.monotonic()
    result = await _fetch(sqlite_db, source, timeout=0.1)
    assert result == BodyResult(None, "timeout")
    assert time.monotonic() - started < 2.0
    async with sqlite_db.session() as s:
        assert await get_document(s, "20260115000001") is None


async def test_missing_file_is_cached_transient_errors_are_not(sqlite_db: Database) -> None:
    quota = FakeSource(QuotaExceeded())
    assert await _fetch(sqlite_db, quota) == BodyResult(None, "error")
    async with sqlite_db.session() as s:
        assert await get_document(s, "20260115000001") is None
    missing = FakeSource(FileMissing("014", "파일이 존재하지 않습니다."))
    assert await _fetch(sqlite_db, missing) == BodyResult(None, "missing")
    assert await _fetch(sqlite_db, missing) == BodyResult(None, "missing", cached=True)
    assert len(missing.calls) == 1


async def test_too_large_and_disabled(sqlite_db: Database) -> None:
    class DocumentTooLarge(Exception):
        pass

    assert await _fetch(sqlite_db, FakeSource(DocumentTooLarge("5 MB"))) == BodyResult(
        None, "too_large"
    )
    source = FakeSource()
    assert await _fetch(sqlite_db, source, enabled=False) == BodyResult(None, "disabled")
    assert await _fetch(sqlite_db, None) == BodyResult(None, "disabled")
    assert source.calls == []


async def test_body_is_capped_and_bytes_are_decoded(sqlite_db: Database) -> None:
    result = await _fetch(sqlite_db, FakeSource("인공지능".encode("cp949") * 10), max_bytes=12)
    assert result.text == "인공지능인공지능인공지능"[:12]


async def test_parsed_document_objects_are_accepted(sqlite_db: Database) -> None:
    from monitor.opendart.parsing import DocumentText

    doc = DocumentText("20260115000001", "인공지능 본문", 4096, ("20260115000001.xml",), True)
    assert await _fetch(sqlite_db, FakeSource(doc)) == BodyResult("인공지능 본문", "ok")
    async with sqlite_db.session() as s:
        row = await get_document(s, "20260115000001")
    assert row is not None and (row.size_bytes, row.detail) == (4096, "truncated")


async def test_malformed_answer_is_cached_then_retried_after_a_while(sqlite_db: Database) -> None:
    """A not-a-ZIP answer is remembered (no refetch on every rematch) but not forever:
    it may have been a passing fault on OpenDART's side."""
    from datetime import timedelta

    from monitor.ingest.documents import ERROR_RETRY_AFTER, cached_body
    from monitor.opendart.errors import BadPayload

    broken = FakeSource(BadPayload("document.xml: not a ZIP file (starts with b'<html')"))
    assert await _fetch(sqlite_db, broken) == BodyResult(None, "error")
    assert await _fetch(sqlite_db, broken) == BodyResult(None, "error", cached=True)
    assert len(broken.calls) == 1
    async with sqlite_db.session() as s:
        row = await get_document(s, "20260115000001")
    assert row is not None and "not a ZIP" in row.detail
    later = row.fetched_at + ERROR_RETRY_AFTER + timedelta(minutes=1)
    assert await cached_body(sqlite_db, "20260115000001", now=later) is None
    soon = row.fetched_at + ERROR_RETRY_AFTER - timedelta(minutes=1)
    assert await cached_body(sqlite_db, "20260115000001", now=soon) == BodyResult(
        None, "error", cached=True
    )
