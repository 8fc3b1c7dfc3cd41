"""Serving the desk: alone (``dartwatch web``) or inside the daemon, on the daemon's
event loop and database, like the Telegram webhook receiver."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn

from monitor.core import early_signals
from monitor.core.loopback import serve_on_loop
from monitor.core.settings import ConfigError, Settings
from monitor.kai.timeline import Timeline, TimelineError, timeline_for
from monitor.web.app import create_app
from storage.db import Database
from storage.migrate import prepare_database

log = logging.getLogger("dartwatch.web")


def _timeline_error(exc: TimelineError) -> Exception:
    first = exc.errors[0] if exc.errors else str(exc)
    return ConfigError(f"TIMELINE_FILE: {first}")


@contextlib.asynccontextmanager
async def beside_daemon(
    settings: Settings, db: Database, timeline: Timeline
) -> AsyncIterator[str | None]:
    """Serve the desk on the running loop while the block runs, when WEB_LISTEN is set;
    yields its base URL (None: off)."""
    if settings.web_listen is None:
        yield None
        return
    host, port = settings.web_bind()
    try:
        serving = serve_on_loop(create_app(settings, db, timeline), port, host=host)
        url = await serving.__aenter__()
    except RuntimeError:
        raise ConfigError(f"WEB_LISTEN: cannot listen on {host}:{port} (in use?)") from None
    log.info("web desk on %s%s", url, "" if settings.web_token else " (no token: loopback only)")
    try:
        yield url
    finally:
        await serving.__aexit__(None, None, None)


async def serve_alone(settings: Settings, listen: str | None = None) -> int:
    """``dartwatch web``: the desk until SIGINT/SIGTERM, over its own database handle."""
    host, port = settings.web_bind(listen)
    timeline = timeline_for(settings, on_error=_timeline_error)
    db = await prepare_database(settings.database_url)
    config = uvicorn.Config(
        create_app(settings, db, timeline),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    if early_signals.received():  # stopped while starting: a clean stop, not a crash
        await db.dispose()
        return 0
    shown = f"[{host}]" if ":" in host else host
    print(f"dartwatch web desk on http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        await server.serve()
    finally:
        await db.dispose()
    return 0 if server.started else 1
