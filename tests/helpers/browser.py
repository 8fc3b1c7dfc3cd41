"""Headless Chromium for the browser tests, driven by Playwright: Debian's chromium
(Playwright downloads no browser of its own here), one browser per test session
(the ``chromium`` fixture in conftest), a fresh page per test. A :class:`Browser`
loads a page and collects console errors, uncaught exceptions and failed loads,
evaluates expressions and takes a full-page screenshot. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium_or_skip() -> str:
    """The Chromium binary; skip loudly without one, fail under CI=true."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    reason = (
        "headless Chromium not found: the browser tests did NOT run "
        "(install it with `bash scripts/setup.sh --browser` or `apt-get install chromium`)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)
    raise AssertionError("unreachable")


def launch_chromium() -> Iterator[Any]:
    """Playwright's Browser over Debian's chromium, closed when the generator ends."""
    from playwright.sync_api import sync_playwright

    binary = chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)


class Browser:
    """One page of the session's browser, with what went wrong on it."""

    def __init__(self, chromium: Any, *, width: int = 760, timeout: float = 30.0) -> None:
        self.context = chromium.new_context(
            viewport={"width": width, "height": 1200}, device_scale_factor=1
        )
        self.context.set_default_timeout(timeout * 1000)
        self.page = self.context.new_page()
        self.report = PageReport()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.report.errors.append(f"exception: {exc}"))
        self.page.on(
            "requestfailed",
            lambda req: self.report.errors.append(f"failed: {req.url} {req.failure or ''}"),
        )

    def _console(self, message: Any) -> None:
        if message.type in ("error", "assert"):
            where = message.location.get("url", "") if message.location else ""
            self.report.errors.append(f"console.{message.type}: {message.text} {where}")

    def open(self, url: str, width: int = 760) -> PageReport:
        self.report = PageReport()
        self.page.set_viewport_size({"width": width, "height": 1200})
        self.page.goto(url, wait_until="load")
        self.page.wait_for_timeout(300)  # late console messages and failed loads
        return self.report

    def evaluate(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def screenshot(self, path: Path) -> bytes:
        png: bytes = self.page.screenshot(path=str(path), full_page=True)
        return png

    def stop(self) -> None:
        self.context.close()


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack("!II", png[16:24])
    return width, height
