"""The HTML digest in headless Chromium: no console errors, the chart is drawn, a
screenshot is produced. ``UPDATE_SCREENSHOT=1`` also copies it to docs/digest.png.

Run: .venv/bin/pytest -q -m browser tests/test_digest_browser.py
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.digest import render
from tests.helpers.browser import Browser, png_size
from tests.helpers.digest import GOLDEN_DAY, golden_digest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "digest.png"


@pytest.fixture
def browser(chromium: Any) -> Iterator[Browser]:
    chrome = Browser(chromium)
    try:
        yield chrome
    finally:
        chrome.stop()


def test_the_error_check_catches_errors(browser: Browser, tmp_path: Path) -> None:
    """Control: a page with a console error, an exception and a broken image is caught,
    so the clean result below means something."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><script>console.error('boom'); undefinedFunction();</script>"
        '<img src="missing.png"></body></html>',
        encoding="utf-8",
    )
    report = browser.open(bad.as_uri())
    text = "\n".join(report.errors)
    assert "console.error: boom" in text
    assert "exception:" in text
    assert "missing.png" in text


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_html_digest_renders_without_errors_with_its_chart(
    browser: Browser, tmp_path: Path, lang: str
) -> None:
    digest = golden_digest(GOLDEN_DAY, lang)
    page = tmp_path / f"digest-{lang}.html"
    page.write_text(render(digest, "html"), encoding="utf-8")
    report = browser.open(page.as_uri())
    assert report.errors == []

    bars = sum(1 for s in digest.trend.series for n in s.counts if n)
    assert browser.evaluate("document.querySelectorAll('#trend-chart rect title').length") == bars
    box = browser.evaluate(
        "(() => { const r = document.getElementById('trend-chart').getBoundingClientRect();"
        " return [r.width, r.height]; })()"
    )
    assert box[0] > 500 and box[1] > 150  # drawn, not collapsed
    assert browser.evaluate("document.scripts.length") == 0
    links = browser.evaluate("Array.from(document.links, a => a.href)")
    assert len(links) >= digest.total
    assert all(h.startswith("https://dart.fss.or.kr/dsaf001/main.do?rcpNo=") for h in links)
    # Nothing overflows the 680 px mail column (mail clients clip, they do not scroll).
    assert browser.evaluate("document.documentElement.scrollWidth") <= 760

    shot = tmp_path / f"digest-{lang}.png"
    png = browser.screenshot(shot)
    width, height = png_size(png)
    assert width == 760 and height > 1500
    assert shot.stat().st_size > 50_000  # text and chart, not a blank page
    if lang == "ko" and os.environ.get("UPDATE_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)
