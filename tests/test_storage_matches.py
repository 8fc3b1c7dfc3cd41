"""Stored matches and cached document bodies, on SQLite and PostgreSQL."""

from __future__ import annotations

from storage import documents
from storage.db import Database
from storage.matches import (
    count_matches,
    filing_and_match,
    get_match,
    list_matches,
    matched_filings,
    save_match,
    save_matches,
)
from storage.models import Filing, Match


def _match(rcept_no: str, relevance: int, *, ai: bool = False, version: str = "bundled-1") -> Match:
    return Match(
        rcept_no=rcept_no,
        timeline_version=version,
        team="lg",
        role="lead_parent",
        phase="stage2",
        category="autonomous",
        relevance=relevance,
        ai_related=ai,
        reasons=[{"points": relevance, "ko": "가", "en": "a"}],
        detail={"category_ko": "자율공시", "milestone_before": None},
        body_used=False,
    )


async def test_save_is_an_upsert_and_get_list_work(db: Database) -> None:
    async with db.session() as s:
        await save_match(s, _match("20260115000001", 10))
        await save_matches(s, [_match("20260115000002", 70, ai=True), _match("20260115000003", 5)])
    async with db.session() as s:
        await save_match(s, _match("20260115000001", 55, ai=True, version="custom-2"))
    async with db.session() as s:
        row = await get_match(s, "20260115000001")
        assert row is not None
        assert (row.relevance, row.ai_related, row.timeline_version) == (55, True, "custom-2")
        assert row.reasons == [{"points": 55, "ko": "가", "en": "a"}]
        assert row.detail["category_ko"] == "자율공시"
        assert await count_matches(s) == 3
        assert [m.rcept_no for m in await list_matches(s)] == [
            "20260115000003", "20260115000002", "20260115000001"
        ]  # fmt: skip
        assert [m.rcept_no for m in await list_matches(s, ai_only=True, limit=1)] == [
            "20260115000002"
        ]
        assert await get_match(s, "20260115999999") is None


async def test_matched_filings_pages_in_rcept_no_order(db: Database) -> None:
    async with db.session() as s:
        for i in range(5):
            s.add(
                Filing(
                    rcept_no=f"2026011500000{i}",
                    corp_code="00120021",
                    corp_name="LG",
                    report_nm="공시",
                    rcept_dt="20260115",
                )
            )
        await s.flush()
        await save_matches(s, [_match(f"2026011500000{i}", i) for i in (0, 1, 3, 4)])
    async with db.session() as s:
        first = await matched_filings(s, limit=2)
        rest = await matched_filings(s, after=first[-1][0].rcept_no, limit=10)
        filing, match = await filing_and_match(s, "20260115000002")
    assert [f.rcept_no for f, _ in first] == ["20260115000000", "20260115000001"]
    assert [m.rcept_no for _, m in rest] == ["20260115000003", "20260115000004"]
    assert filing is not None and match is None


async def test_document_cache(db: Database) -> None:
    async with db.session() as s:
        await documents.save_document(s, "20260115000001", "error", detail="x" * 900)
        await documents.save_document(
            s, "20260115000001", "ok", text="인공지능 " * 10, size_bytes=130
        )
        await documents.save_document(s, "20260115000002", "missing")
    async with db.session() as s:
        row = await documents.get_document(s, "20260115000001")
        many = await documents.get_documents(s, ["20260115000001", "20260115000002", "x"])
    assert row is not None and (row.status, row.size_bytes, row.detail) == ("ok", 130, "")
    assert row.text.startswith("인공지능")
    assert sorted(many) == ["20260115000001", "20260115000002"]
    assert many["20260115000002"].status == "missing"
