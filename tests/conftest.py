"""Shared fixtures: a fresh database per test on SQLite and (where configured) on
PostgreSQL, and the environment every test starts from.

PostgreSQL: set TEST_DATABASE_URL (CI: postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each test gets its own database, created and dropped here, so a run never depends on
what an earlier run left. With REQUIRE_POSTGRES=1 a missing server fails the test
instead of skipping it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.db import Database, sync_url
from storage.migrate import upgrade_sync

# Settings must come from the test, never from a developer's .env or shell.
_SETTING_NAMES = [
    "DART_API_KEY",
    "DART_BASE_URL",
    "DATABASE_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "NOTIFIERS",
    "POLL_INTERVAL_SECONDS",
    "POLL_IDLE_INTERVAL_SECONDS",
    "TIMELINE_FILE",
    "WATCHLIST_FILE",
    "ADMIN_CHAT_IDS",
    "ADMIN_USER_IDS",
    "LOG_FORMAT",
    "METRICS_PORT",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_PORT",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_TIMEOUT_SECONDS",
    "TELEGRAM_CONNECTION_POOL",
]

TEST_KEY = "0123456789abcdef0123456789abcdef01234567"  # 40 chars: the shape OpenDART issues


def _all_setting_names() -> list[str]:
    """Every environment name the settings object reads, so a developer's shell (say,
    ``LOG_LEVEL=DEBUG`` or ``SMTP_HOST``) never leaks into a test."""
    from monitor.core.settings import Settings

    names = {f.alias for f in Settings.model_fields.values() if f.alias}
    return sorted(names | set(_SETTING_NAMES))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _all_setting_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env is picked up; the default SQLite file lands here
    # No test reads the real DART feed: the fast path is on only where a test points
    # DART_RSS_URL at the local OpenDART.
    monkeypatch.setenv("DART_RSS_URL", "")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """A CLI test runs ``setup_logging``, which replaces the root handlers (pytest's
    capture included) with one bound to that test's stderr; restore them so later tests
    neither lose their log capture nor write to a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in _QUIETED}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


_QUIETED = ("httpx", "httpcore", "apscheduler", "alembic", "aiosqlite")


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def postgres_required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "") not in ("", "0", "false")


def skip_or_fail_postgres(reason: str) -> None:
    if postgres_required():
        pytest.fail(f"PostgreSQL required (REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL tests SKIPPED: {reason} (set TEST_DATABASE_URL to run them)")


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create a uniquely named database on the test server; drop it afterwards."""
    admin = postgres_admin_url()
    if admin is None:
        skip_or_fail_postgres("TEST_DATABASE_URL is not set")
        raise AssertionError("unreachable")
    name = f"dartwatch_t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server down, no rights...
        engine.dispose()
        skip_or_fail_postgres(f"cannot create a database ({exc.__class__.__name__}: {exc})")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextlib.contextmanager
def fresh_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    with fresh_database_url(request.param, tmp_path) as url:
        upgrade_sync(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database only (for tests whose subject is not storage)."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade_sync(url)
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium (Playwright on Debian's chromium) per test module, not per
    session: while Playwright's sync API lives it keeps an event loop running in the main
    thread, and every later test calling ``asyncio.run`` would fail."""
    from tests.helpers.browser import launch_chromium

    yield from launch_chromium()
