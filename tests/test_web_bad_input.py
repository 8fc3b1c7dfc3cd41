"""Bad input to the web desk, as one table: every parameter and path segment gets SQL
and HTML metacharacters, LIKE/FTS wildcards, control characters and 10 KB values. The
answer is a clear 4xx page (or, for free text, an honest search for that text):
never a 5xx, nothing executed, nothing reflected unescaped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.db import Database
from storage.filings import SUPPRESSED, FilingRecord, upsert_filings
from storage.migrate import upgrade_sync
from storage.models import Filing
from tests.conftest import fresh_database_url
from tests.helpers.web import desk_settings, seed, served

SQL = "' OR 1=1; DROP TABLE filings; --"
HTML = '"><script>alert("x")</script><img src=x onerror=alert(1)>'
FTS = '"a" OR b* NEAR(c d) ^e'
WILD = "%_%"
CONTROL = "a\x00b\x1bc"
HUGE = "가" * 3500  # over 10 KB once percent-encoded
PAYLOADS = {"sql": SQL, "html": HTML, "fts": FTS, "wild": WILD, "control": CONTROL, "huge": HUGE}

FREE_TEXT = ("q", "company")
TYPED = (
    "from",
    "to",
    "category",
    "team",
    "min_relevance",
    "ai",
    "amended",
    "withdrawn",
    "page",
    "per_page",
    "lang",
    "format",
)
PATHS = (
    "/filings/{}",
    "/companies/{}",
    "/digests/{}",
    "/digests/2026-11-27.{}",
    "/feeds/{}.atom",
    "/feeds/companies/{}.atom",
)
# A stored filing whose own text is hostile: pages must show it as text.
HOSTILE = FilingRecord(
    rcept_no="20261127999999",
    corp_code="00999999",
    corp_name="<b>Evil</b> Corp",
    report_nm='=HYPERLINK("http://x")<script>alert(2)</script>',
    rcept_dt="20261127",
    flr_nm="'; DROP TABLE filings; --",
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    with fresh_database_url(request.param, tmp_path_factory.mktemp("bad")) as url:
        upgrade_sync(url)

        async def fill() -> None:
            db = Database(url)
            try:
                await seed(db)
                async with db.session() as session:
                    await upsert_filings(session, [HOSTILE], alert_state=SUPPRESSED)
            finally:
                await db.dispose()

        asyncio.run(fill())
        with served(desk_settings(url)) as base:
            yield base, url


def _count(url: str) -> int:
    async def count() -> int:
        db = Database(url)
        try:
            async with db.session() as session:
                return int((await session.exec(select(func.count()).select_from(Filing))).one())
        finally:
            await db.dispose()

    return asyncio.run(count())


def _unreflected(body: str) -> None:
    for raw in ("<script>alert", "<img src=x", "<b>Evil</b>", "\x00"):
        assert raw not in body


CASES: list[tuple[str, str, str]] = [
    *((name, kind, "param") for name in FREE_TEXT + TYPED for kind in PAYLOADS),
    *((path, kind, "path") for path in PATHS for kind in PAYLOADS),
]


@pytest.mark.parametrize(("where", "kind", "how"), CASES)
def test_bad_input_is_a_clear_4xx_and_never_reflected(
    desk: tuple[str, str], where: str, kind: str, how: str
) -> None:
    base, _ = desk
    value = PAYLOADS[kind]
    if how == "param":
        url = f"{base}/search?{quote(where)}={quote(value)}"
    else:
        url = base + where.format(quote(value, safe=""))
    r = httpx.get(url, timeout=30)
    assert r.status_code < 500, (where, kind, r.text[:300])
    _unreflected(r.text)
    if kind == "huge":
        assert r.status_code in (400, 404, 414)
    elif how == "param" and where in FREE_TEXT and kind != "control":
        assert r.status_code == 200
    else:
        assert 400 <= r.status_code < 500, (where, kind, r.status_code)
    if 400 <= r.status_code < 500 and "text/html" in r.headers["content-type"]:
        assert "error-message" in r.text  # the desk's own error page, not a stack trace


@pytest.mark.parametrize("kind", ["sql", "html", "fts", "wild"])
def test_free_text_is_searched_for_literally(desk: tuple[str, str], kind: str) -> None:
    base, url = desk
    before = _count(url)
    for name in FREE_TEXT:
        r = httpx.get(f"{base}/search", params={name: PAYLOADS[kind], "format": "json"})
        assert r.status_code == 200
        rows: list[dict[str, Any]] = r.json()["results"]
        for row in rows:
            text = f"{row['report_nm']} {row['flr_nm']} {row['corp_name']}".casefold()
            assert all(term.casefold() in text for term in PAYLOADS[kind].split())
    assert _count(url) == before  # nothing executed


def test_hostile_stored_text_is_escaped_everywhere(desk: tuple[str, str]) -> None:
    base, _ = desk
    for path in (
        f"/filings/{HOSTILE.rcept_no}",
        f"/companies/{HOSTILE.corp_code}",
        "/search?q=HYPERLINK",
        "/feeds/search.atom?q=HYPERLINK",
    ):
        r = httpx.get(base + path, timeout=30)
        assert r.status_code == 200, path
        _unreflected(r.text)
        assert "&lt;script&gt;" in r.text or "&amp;lt;script&amp;gt;" in r.text, path
    found = httpx.get(f"{base}/search", params={"q": "DROP TABLE", "format": "json"}).json()
    assert [row["rcept_no"] for row in found["results"]] == [HOSTILE.rcept_no]


def test_a_database_failure_is_a_plain_500_page(tmp_path: Any) -> None:
    """No tables (a database never migrated): the desk answers 500 with its own page,
    no traceback, no SQL."""
    with served(desk_settings(f"sqlite:///{tmp_path / 'empty.db'}")) as base:
        for path in ("/search?q=x", "/search?format=json"):
            r = httpx.get(base + path, timeout=30)
            assert r.status_code == 500
            assert "Traceback" not in r.text and "SELECT" not in r.text.upper()
            assert "internal error" in r.text
