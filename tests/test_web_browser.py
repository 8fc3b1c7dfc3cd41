"""The web desk in headless Chromium (Playwright driving Debian's chromium): every page
loads with no console error, failed request or CSP violation; the search narrows as
the typed filters say; pagination walks; the token gate works; the language toggles.
``UPDATE_SCREENSHOTS=1`` also writes each page's screenshot to docs/web-*.png.

Run: .venv/bin/pytest -q -m browser tests/test_web_browser.py
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from storage.db import Database
from storage.migrate import upgrade_sync
from tests.helpers.web import TOKEN, desk_settings, run_async, seed, served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'desk.db'}"
    upgrade_sync(url)

    async def fill() -> dict[str, Any]:
        db = Database(url)
        try:
            return await seed(db)
        finally:
            await db.dispose()

    return url, run_async(fill())


@pytest.fixture(scope="module")
def desk(history: tuple[str, dict[str, Any]]) -> Iterator[str]:
    with served(desk_settings(history[0])) as url:
        yield url


class Watched:
    """A page whose console errors, uncaught exceptions and failed loads are kept."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"exception: {exc}"))
        page.on("requestfailed", lambda req: self.errors.append(f"failed: {req.url}"))
        page.on(
            "response",
            lambda res: (
                self.errors.append(f"HTTP {res.status}: {res.url}") if res.status >= 400 else None
            ),
        )

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console.{message.type}: {message.text}")


@pytest.fixture
def page(chromium: Browser) -> Iterator[Watched]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def test_the_error_check_catches_errors(page: Watched, desk: str) -> None:
    """Control: a missing page and a script error are caught, so a clean run means
    something (the desk's own pages carry no script at all)."""
    page.page.goto(desk + "/filings/00000000000000")
    page.page.evaluate("console.error('boom')")
    text = "\n".join(page.errors)
    assert "HTTP 404" in text and "console.error: boom" in text


def _pages(history: dict[str, Any]) -> list[tuple[str, str]]:
    row = history["rows"][0]
    return [
        ("today", "/"),
        ("search", "/search?q=%EA%B3%84%EC%95%BD&lang=ko"),
        ("filing", f"/filings/{max(history['ai'], key=lambda m: m.relevance).rcept_no}"),
        ("company", f"/companies/{row.corp_code}"),
        ("companies", "/companies"),
        ("timeline", "/timeline"),
        ("digests", "/digests"),
        ("digest", "/digests/2026-11-27"),
    ]


def test_every_page_loads_clean_and_is_screenshot(
    page: Watched, desk: str, history: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    for name, path in _pages(history[1]):
        page.page.goto(desk + path + ("&" if "?" in path else "?") + "lang=ko")
        page.page.wait_for_load_state("load")
        assert page.errors == [], (name, page.errors)
        assert page.page.evaluate("document.scripts.length") == 0
        if name == "company":
            assert page.page.locator("svg.chart rect").count() > 10
        shot = tmp_path / f"web-{name}.png"
        page.page.screenshot(path=str(shot), full_page=name not in ("timeline", "digest"))
        assert shot.stat().st_size > 10_000, name
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(shot, DOCS / shot.name)


def _rows(page: Page) -> list[str]:
    return page.locator("table.filings tbody a.title").all_inner_texts()


def _links(page: Page) -> list[str]:
    found: list[str] = page.locator("table.filings tbody a.title").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return found


def test_search_narrows_as_typed(page: Watched, desk: str) -> None:
    p = page.page
    p.goto(desk + "/search?lang=en")
    p.fill("input[name=q]", "계약")
    p.click("#search-form button[type=submit]")
    contract = _rows(p)
    assert contract and all("계약" in title for title in contract)
    p.fill("input[name=q]", "공급계약")
    p.click("#search-form button[type=submit]")
    supply = _rows(p)
    assert supply and len(supply) <= len(contract)
    assert all("공급계약" in title for title in supply)
    p.fill("input[name=from]", "2026-01-01")
    p.fill("input[name=to]", "2026-06-30")
    p.click("#search-form button[type=submit]")
    dates = p.locator("table.filings tbody td.nowrap:first-child").all_inner_texts()
    assert all("2026-01-01" <= d <= "2026-06-30" for d in dates)
    p.check("input[name=ai]")
    p.fill("input[name=q]", "")
    p.fill("input[name=from]", "")
    p.fill("input[name=to]", "")
    p.click("#search-form button[type=submit]")
    assert p.locator("table.filings tbody tr").count() == p.locator("tr.ai").count() > 0
    assert page.errors == []


def test_pagination_walks_forward_and_back(page: Watched, desk: str) -> None:
    p = page.page
    p.goto(desk + "/search?per_page=20&lang=en")
    first = _rows(p)
    assert len(first) == 20
    first_links = _links(p)
    p.click("a[rel=next]")
    second = _links(p)
    assert len(second) == 20 and set(first_links).isdisjoint(second)
    assert "21–40" in p.inner_text("#result-range")
    p.click("a[rel=prev]")
    assert _rows(p) == first
    assert page.errors == []


def test_language_toggle(page: Watched, desk: str) -> None:
    p = page.page
    p.goto(desk + "/search?lang=en")
    assert p.inner_text("h1") == "Search filings"
    p.click("#lang-toggle")
    assert p.inner_text("h1") == "공시 검색"
    p.goto(desk + "/timeline")
    assert p.inner_text("h1").startswith("K-AI 일정")
    assert page.errors == []


def test_token_gate(chromium: Browser, history: tuple[str, dict[str, Any]]) -> None:
    with served(desk_settings(history[0], WEB_TOKEN=TOKEN)) as url:
        context = chromium.new_context()
        try:
            p = context.new_page()
            p.goto(url + "/search?lang=en")
            assert p.url.startswith(url + "/login")
            p.fill("input[name=token]", "not-the-token")
            p.click("form.login button")
            assert "not right" in p.inner_text("main")
            p.fill("input[name=token]", TOKEN)
            p.click("form.login button")
            assert p.url.startswith(url + "/search")
            assert p.inner_text("h1") == "Search filings"
            cookies = context.cookies()
            assert cookies and all(TOKEN not in c["value"] for c in cookies)
            assert all(c["httpOnly"] for c in cookies if c["name"] == "dartwatch_web")
            p.click("nav button[type=submit]")  # log out
            p.goto(url + "/timeline")
            assert p.url.startswith(url + "/login")
        finally:
            context.close()
