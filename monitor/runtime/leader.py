"""Leader election: exactly one replica polls, schedules and reads Telegram updates.

PostgreSQL: a session-level advisory lock held on a dedicated connection. If that
connection dies (server restart, ``pg_terminate_backend``) the lock is gone, so the
holder checks it every ``check_interval`` and steps down when the check fails; the
others try to take it at the same pace, so a dead leader is replaced within about one
interval.

SQLite: one process per database file; an exclusive ``flock`` on ``<db>.lock``
keeps a second daemon on the same file from polling too.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import psycopg
from sqlalchemy.engine import make_url

from monitor.core.logs import redact
from storage.db import is_sqlite

log = logging.getLogger("dartwatch.leader")

LOCK_KEY = 0x64617277  # "darw"
Hook = Callable[[], Awaitable[None]]


class Leadership:
    """Runs ``on_elected`` when this replica becomes leader and ``on_deposed`` when it
    stops being one. ``is_leader`` is always current."""

    def __init__(
        self,
        database_url: str,
        *,
        check_interval: float = 2.0,
        on_elected: Hook | None = None,
        on_deposed: Hook | None = None,
    ) -> None:
        self.database_url = database_url
        self.check_interval = check_interval
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.is_leader = False
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._file: IO[str] | None = None

    # -- backends -------------------------------------------------------------------------
    def _sqlite_try(self) -> bool:
        if self._file is not None:
            return True
        db_path = make_url(self.database_url).database or "dartwatch.db"
        lock_path = Path(f"{db_path}.lock") if db_path != ":memory:" else None
        if lock_path is None:
            return True
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def _pg_dsn(self) -> str:
        url = make_url(self.database_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    async def _pg_try(self) -> bool:
        if self._conn is not None:
            try:
                cur = await self._conn.execute("SELECT 1")
                await cur.fetchone()
                return True
            except Exception as exc:
                log.warning("leader connection lost (%s): stepping down", redact(str(exc)))
                await self._pg_close()
                return False
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._pg_dsn(),
                autocommit=True,
                connect_timeout=5,
                application_name="dartwatch-leader",
            )
        except Exception as exc:
            log.warning("cannot reach PostgreSQL for leader election: %s", redact(str(exc)))
            return False
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
        row = await cur.fetchone()
        if row and row[0]:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def _pg_close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    # -- the loop -----------------------------------------------------------------------
    async def check(self) -> bool:
        """One election round; returns whether this replica leads now."""
        leads = self._sqlite_try() if is_sqlite(self.database_url) else await self._pg_try()
        if leads and not self.is_leader:
            self.is_leader = True
            log.info("this replica is now the leader (pid %d)", os.getpid())
            if self.on_elected is not None:
                await self.on_elected()
        elif not leads and self.is_leader:
            self.is_leader = False
            log.warning("this replica is no longer the leader")
            if self.on_deposed is not None:
                await self.on_deposed()
        return leads

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except Exception as exc:  # never let election kill the daemon
                log.error("leader election round failed: %s", redact(str(exc)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.check_interval)

    async def release(self) -> None:
        was = self.is_leader
        self.is_leader = False
        await self._pg_close()
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if was and self.on_deposed is not None:
            await self.on_deposed()
