"""``dartwatch db copy`` both ways between SQLite and PostgreSQL on a database with
rows in every table: counts and checksums verified, a non-empty target refused
without --force, an interrupted copy resumed, and no daemon on a half-copied target."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, pool, text

from monitor.cli import main
from monitor.core.settings import ConfigError, load_settings
from monitor.runtime.checks import CheckContext, check_database
from monitor.runtime.container import App
from storage.copy import CopyError, canonical, copy_database, row_digest
from storage.db import sync_url
from testkit.dbcopy import fill
from tests.conftest import TEST_KEY, fresh_postgres_database

pytestmark = pytest.mark.postgres


class Interrupted(Exception):
    """Stands for a kill in the middle of a table."""


def interrupt_in(table: str, after: int) -> Callable[[str, int, int], None]:
    def progress(name: str, done: int, total: int) -> None:
        if name == table and done >= after:
            raise Interrupted(f"{name} at {done}/{total}")

    return progress


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_path(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'copy.db'}"


def _count(url: str, table: str) -> int:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _refuses_to_start(url: str) -> str:
    app = App(load_settings(DATABASE_URL=url, DART_API_KEY=TEST_KEY), notifiers={})
    with pytest.raises(ConfigError) as info:
        asyncio.run(app.start())
    return str(info.value)


def _check_database_line(url: str) -> str:
    async def run() -> str:
        ctx = CheckContext(load_settings(DATABASE_URL=url))
        try:
            (line,) = await check_database(ctx)
        finally:
            if ctx.db is not None:
                await ctx.db.dispose()
        assert line.verdict == "FAIL"
        return line.detail

    return asyncio.run(run())


@pytest.mark.parametrize("direction", ["sqlite->postgres", "postgres->sqlite"])
def test_copy_interrupted_then_resumed_verifies(
    direction: str, pg_url: str, sqlite_path: str
) -> None:
    source, target = (
        (sqlite_path, pg_url) if direction == "sqlite->postgres" else (pg_url, sqlite_path)
    )
    counts = fill(source, big=1200, small=30)

    with pytest.raises(Interrupted):
        copy_database(source, target, batch=250, progress=interrupt_in("filings", 500))
    # Half a copy: some filings are in, the daemon refuses the target, `check` FAILs.
    assert 0 < _count(target, "filings") < counts["filings"]
    assert "unfinished `dartwatch db copy`" in _refuses_to_start(target)
    assert "unfinished `dartwatch db copy`" in _check_database_line(target)

    report = copy_database(source, target, batch=250)
    assert report.ok, [(t.name, t.rows, t.target_rows) for t in report.tables if not t.ok]
    assert "filings" not in report.resumed and "companies" in report.resumed
    assert {t.name: t.rows for t in report.tables} == counts
    assert all(t.source_checksum == t.target_checksum for t in report.tables)
    # Finished: the marker is gone and new rows get fresh ids (sequences moved on).
    engine = create_engine(sync_url(target), poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO poll_runs (started_at, kind, status, requests, listed, "
                "new_filings, updated_filings, error) VALUES "
                "(CURRENT_TIMESTAMP, 'poll', 'ok', 0, 0, 0, 0, '')"
            )
        )
        assert conn.execute(text("SELECT max(id) FROM poll_runs")).scalar_one() == 31
    engine.dispose()
    app = App(load_settings(DATABASE_URL=target, DART_API_KEY=TEST_KEY), notifiers={})

    async def start_and_close() -> None:
        await app.start()
        await app.db.dispose()

    asyncio.run(start_and_close())


def test_non_empty_target_needs_force(pg_url: str, sqlite_path: str) -> None:
    fill(sqlite_path, big=50, small=5)
    fill(pg_url, big=10, small=2)
    with pytest.raises(CopyError, match=r"not empty .*--force"):
        copy_database(sqlite_path, pg_url)
    assert _count(pg_url, "filings") == 10  # untouched
    report = copy_database(sqlite_path, pg_url, force=True)
    assert report.ok and _count(pg_url, "filings") == 50


def test_a_changed_value_is_a_checksum_mismatch() -> None:
    names = ["a", "b"]
    same = row_digest(names, {"a": 1, "b": {"x": [1, 2], "y": "값"}})
    assert same == row_digest(names, {"b": {"y": "값", "x": [1, 2]}, "a": 1})
    assert same != row_digest(names, {"a": 1, "b": {"x": [1, 2], "y": "갑"}})
    # Booleans as 0/1 and timestamps as naive UTC, whichever way a driver returns them.
    assert (canonical(True), canonical(False)) == ("1", "0")
    aware = datetime(2026, 3, 10, 18, 30, 0, 5, tzinfo=timezone(timedelta(hours=9)))
    assert canonical(aware) == canonical(datetime(2026, 3, 10, 9, 30, 0, 5))


def test_cli_copy_prints_progress_and_refuses_bad_targets(
    sqlite_path: str,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fill(sqlite_path, big=300, small=5)
    monkeypatch.setenv("DATABASE_URL", sqlite_path)
    assert main(["db", "copy", "--to", pg_url, "--batch-size", "100"]) == 0
    out, err = capsys.readouterr()
    assert "filings" in err and "300 / 300" in err  # progress
    assert "counts and checksums match" in out
    assert main(["db", "copy", "--to", pg_url]) == 2  # now non-empty
    assert "--force" in capsys.readouterr().err
    assert main(["db", "copy", "--to", "mysql://x/y"]) == 2
    assert main(["db", "copy", "--to", sqlite_path]) == 2  # itself
