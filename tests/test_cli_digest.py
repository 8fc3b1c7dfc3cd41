"""``dartwatch digest`` as a user runs it: formats, files, bad dates, --send once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.commands.digest import resolve_day
from monitor.core.errors import UsageError
from monitor.digest import render
from storage.db import Database
from tests.helpers.digest import GOLDEN_DAY, golden_digest, store_dataset


def _store(url: str, *, matched: bool = True) -> None:
    async def go() -> None:
        db = Database(url)
        try:
            await store_dataset(db, matched=matched)
        finally:
            await db.dispose()

    asyncio.run(go())


@pytest.fixture
def stored(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    _store(db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


@pytest.mark.parametrize("fmt", ["html", "md", "text", "json", "csv"])
def test_every_format_to_a_file_equals_the_golden_digest(
    stored: str, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"digest.{fmt}"
    code = main(
        ["digest", "--date", "2026-01-15", "--format", fmt, "--lang", "en", "--out", str(out)]
    )
    assert code == 0
    assert out.read_bytes().decode("utf-8") == render(golden_digest(GOLDEN_DAY, "en"), fmt)


def test_stdout_and_default_language(
    stored: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_LANG", "en")
    assert main(["digest", "--date", "2026-01-15", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lang"] == "en" and len(data["filings"]) == 6


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2026-02-17",
            "not a Korean business day (public holiday: Korean New Year); "
            "its filings are in the digest for 2026-02-19",
        ),
        ("2026-01-17", "(Saturday); its filings are in the digest for 2026-01-19"),
        ("2026-13-01", "--date: expected YYYY-MM-DD, got '2026-13-01'"),
        ("yesterday", "--date: expected YYYY-MM-DD"),
    ],
)
def test_bad_dates_are_one_clear_line(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["digest", "--date", value]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_default_day_is_today_or_the_last_business_day() -> None:
    assert resolve_day(None, date(2026, 1, 15)) == (date(2026, 1, 15), None)
    day, note = resolve_day(None, date(2026, 9, 26))  # Chuseok, a Saturday
    assert day == date(2026, 9, 23)
    assert note and "2026-09-23" in note
    with pytest.raises(UsageError):
        resolve_day("2026-09-25", date(2026, 9, 26))


def test_send_queues_once_across_runs(
    stored: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFIERS", "console")
    assert main(["digest", "--date", "2026-01-15", "--send"]) == 0
    first = capsys.readouterr().out
    assert "queued 1 deliveries, 0 already queued earlier (console:default)" in first
    assert "K-AI" not in first  # --send without --out prints only the summary
    assert main(["digest", "--date", "2026-01-15", "--send"]) == 0
    assert "queued 0 deliveries, 1 already queued earlier" in capsys.readouterr().out


def test_unknown_notifier_is_a_configuration_error(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("NOTIFIERS", "nosuchthing")
    assert main(["digest", "--date", "2026-01-15", "--send"]) == 2
    assert "nosuchthing" in capsys.readouterr().err


def test_as_a_subprocess_on_a_fresh_database(tmp_path: Path) -> None:
    """A user's first run: migrations applied at start, an empty day still renders."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "NOTIFIERS": "console",
    }
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "digest", "--date", "2026-01-15", "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "No filings were received in this period." in result.stdout
    assert "Current phase: Stage 1 evaluation" in result.stdout
