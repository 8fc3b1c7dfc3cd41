"""``/healthz`` and ``/readyz`` on the metrics listener of a real daemon polling the
local OpenDART: ready once it has polled, not ready (503, with the reason in the JSON
body) when the schema is not the one it needs or the last poll is old; the Prometheus
exposition still answers beside them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from monitor.core.loopback import free_port, serve_in_thread, serve_on_loop
from monitor.core.settings import load_settings
from monitor.fakedart import FakeDart
from monitor.runtime.container import App
from monitor.runtime.daemon import Daemon
from monitor.runtime.health import HealthApp, Readiness, poll_is_recent
from notifiers.console import ConsoleNotifier, ConsoleSettings
from storage.db import Database
from storage.migrate import head_revision
from tests.conftest import TEST_KEY


async def _until(url: str, predicate: Any, timeout: float = 30.0) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            try:
                response = await http.get(url)
                if predicate(response):
                    return response
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{url} never satisfied the condition")
            await asyncio.sleep(0.2)


async def test_probes_on_a_running_daemon(tmp_path: Path) -> None:
    fake = FakeDart(keys={TEST_KEY}, noise_per_day=0, noise_companies=5)
    port = free_port()
    with serve_in_thread(fake) as dart_url:
        settings = load_settings(
            DART_API_KEY=TEST_KEY,
            DART_BASE_URL=f"{dart_url}/api",
            DATABASE_URL=f"sqlite:///{tmp_path / 'd.db'}",
            NOTIFIERS="console",
            METRICS_PORT=port,
            POLL_INTERVAL_SECONDS=2,
            POLL_IDLE_INTERVAL_SECONDS=2,
        )
        app = App(settings, notifiers={"console": ConsoleNotifier(ConsoleSettings())})
        stop = asyncio.Event()
        daemon = Daemon(settings, app, stop=stop)
        runner = asyncio.create_task(daemon.run())
        base = f"http://127.0.0.1:{port}"
        try:
            live = await _until(f"{base}/healthz", lambda r: r.status_code == 200)
            assert live.json()["status"] == "ok"
            assert live.headers["content-type"].startswith("application/json")
            ready = await _until(f"{base}/readyz", lambda r: r.status_code == 200)
            body = ready.json()
            assert body["status"] == "ready"
            assert set(body["checks"]) == {"database", "migrations", "scheduler", "last_poll"}
            assert body["checks"]["last_poll"]["status"] in ("running", "ok")
            metrics = await _until(f"{base}/metrics", lambda r: r.status_code == 200)
            assert "dartwatch_polls_total" in metrics.text

            # A schema this version does not know: not ready, and the body says why.
            db = Database(settings.database_url)
            async with db.session() as session:
                await session.exec(text("UPDATE alembic_version SET version_num = 'old'"))
            await db.dispose()
            stale = await _until(f"{base}/readyz", lambda r: r.status_code == 503)
            checks = stale.json()["checks"]
            assert checks["migrations"] == {"ok": False, "current": "old", "head": head_revision()}
            assert checks["database"] == {"ok": True}
        finally:
            stop.set()
            assert await asyncio.wait_for(runner, 30) == 0
    with pytest.raises(httpx.TransportError):  # the listener is closed with the daemon
        async with httpx.AsyncClient(timeout=2) as http:
            await http.get(f"{base}/healthz")


def test_poll_is_recent_allows_two_idle_intervals() -> None:
    now = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    assert poll_is_recent(now - timedelta(seconds=1259), now, 600)
    assert not poll_is_recent(now - timedelta(seconds=1261), now, 600)
    assert not poll_is_recent(None, now, 600)


async def test_a_failing_readiness_reads_as_not_ready() -> None:
    async def broken() -> Readiness:
        raise RuntimeError("boom")

    async def metrics(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("probes never reach the metrics app")

    async with serve_on_loop(HealthApp(metrics, broken)) as url, httpx.AsyncClient() as http:
        response = await http.get(f"{url}/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"readiness": {"ok": False, "error": "RuntimeError"}},
    }
