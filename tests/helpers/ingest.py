"""Shared pieces for the ingestion tests: a fake OpenDART on loopback, settings that
point at it, and a client with millisecond backoff."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from monitor.core.kcalendar import KST
from monitor.core.loopback import serve_in_thread
from monitor.core.settings import Settings, load_settings
from monitor.fakedart import FakeDart, ManualClock
from monitor.ingest.poller import make_client
from monitor.opendart.client import Backoff, DartClient
from storage.db import Database
from tests.conftest import TEST_KEY

FAST = Backoff(initial=0.001, maximum=0.01, jitter=0.001)
WATCHED = ("00266961", "00159023", "00181712", "00120021", "00261443")
# A Thursday inside the bundled dataset (2025-06-01 .. 2026-11-27).
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=KST)


@contextlib.contextmanager
def running_fake(**options: Any) -> Iterator[tuple[FakeDart, str]]:
    """A FakeDart on 127.0.0.1; yields (fake, DART_BASE_URL)."""
    options.setdefault("clock", ManualClock(NOON))
    options.setdefault("noise_per_day", 0)
    options.setdefault("noise_companies", 50)
    fake = FakeDart(**options)
    with serve_in_thread(fake) as url:
        yield fake, f"{url}/api"


def settings_for(base_url: str, db_url: str = "sqlite://", **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "DART_API_KEY": TEST_KEY,
        "DART_BASE_URL": base_url,
        "DATABASE_URL": db_url,
        "DART_TIMEOUT_SECONDS": 2,
        "DART_MAX_RETRIES": 4,
    }
    values.update(extra)
    return load_settings(**values)


@contextlib.asynccontextmanager
async def budgeted_client(settings: Settings, db: Database) -> AsyncIterator[DartClient]:
    client = make_client(settings, db, backoff=FAST)
    try:
        yield client
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def plain_client(settings: Settings, **options: Any) -> AsyncIterator[DartClient]:
    options.setdefault("backoff", FAST)
    client = DartClient(settings, **options)
    try:
        yield client
    finally:
        await client.aclose()
