"""Engines and sessions for SQLite (default) and PostgreSQL.

Users write ordinary URLs (``sqlite:///dartwatch.db``, ``postgresql://...``); the
async drivers (aiosqlite, psycopg 3) are an implementation detail chosen here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


class DatabaseURLError(ValueError):
    """The database URL cannot be used (unknown scheme, unparsable)."""


_SQLITE = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}
_POSTGRES = {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg_async"}


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url.strip())
    except ArgumentError as exc:
        raise DatabaseURLError(f"cannot parse database URL ({exc.__class__.__name__})") from None
    if parsed.drivername not in _SQLITE | _POSTGRES:
        raise DatabaseURLError(
            f"unsupported database scheme {parsed.drivername!r}; "
            "use sqlite:///path/to/file.db or postgresql://user@host:port/dbname"
        )
    return parsed


def is_sqlite(url: str) -> bool:
    return _parse(url).drivername in _SQLITE


def async_url(url: str) -> URL:
    """The URL with the async driver dartwatch uses for it."""
    parsed = _parse(url)
    driver = "sqlite+aiosqlite" if parsed.drivername in _SQLITE else "postgresql+psycopg"
    return parsed.set(drivername=driver)


def sync_url(url: str) -> URL:
    """The URL with a blocking driver, for Alembic and one-off administration."""
    parsed = _parse(url)
    driver = "sqlite+pysqlite" if parsed.drivername in _SQLITE else "postgresql+psycopg"
    return parsed.set(drivername=driver)


def validate_url(url: str) -> None:
    """Raise :class:`DatabaseURLError` when *url* cannot be used."""
    _parse(url)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (CLI, digest) run while the daemon writes; busy_timeout turns
    # short lock contention into a wait instead of "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    """Create the async engine for *url* with dialect-specific tuning."""
    target = async_url(url)
    if target.drivername.startswith("sqlite"):
        engine = create_async_engine(target, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        target,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,  # survive a restarted server or killed backends
        pool_recycle=1800,
    )


class Database:
    """An engine plus a session factory; the one handle repositories receive."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
