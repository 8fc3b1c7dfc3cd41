"""Apply Alembic migrations programmatically (at start-up and by ``dartwatch db upgrade``).

The whole upgrade is one transaction, so a process killed half-way leaves the schema
as it was, never half-created tables without a version stamp (which would make every
later start fail with "table already exists"). PostgreSQL has transactional DDL;
Python's sqlite3 driver does not begin a transaction before DDL by itself, so on SQLite
the engine takes over transaction control and begins one explicitly (``BEGIN
IMMEDIATE``, which also makes a second process starting at the same moment wait).

PostgreSQL replicas may start together: a transaction-scoped advisory lock makes the
upgrade run once while the others wait, instead of racing on ``CREATE TABLE``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, pool, text
from sqlalchemy.exc import DBAPIError

from storage.db import Database, sync_url

_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x64617274  # "dart"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option(
        "sqlalchemy.url", sync_url(url).render_as_string(hide_password=False).replace("%", "%%")
    )
    return cfg


def _transactional_sqlite(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, open and close transactions (the recipe
    from SQLAlchemy's SQLite dialect documentation), so DDL runs inside one."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade_sync(url: str, revision: str = "head") -> None:
    cfg = alembic_config(url)
    target = sync_url(url)
    sqlite = target.get_backend_name() == "sqlite"
    engine = create_engine(
        target, poolclass=pool.NullPool, connect_args={"timeout": 30} if sqlite else {}
    )
    if sqlite:
        _transactional_sqlite(engine)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


async def upgrade(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade_sync, url, revision)


def current_revision_sync(url: str) -> str | None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


async def schema_revision(db: Database) -> str | None:
    """The applied revision, read over *db*'s own pool (cheap enough for a probe)."""
    async with db.session() as session:
        try:
            found = await session.exec(text("SELECT version_num FROM alembic_version"))  # type: ignore[call-overload]
            row = found.first()
        except DBAPIError as exc:
            if "alembic_version" in str(exc):
                return None  # no schema yet
            raise
    return str(row[0]) if row is not None else None


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def prepare_database(url: str) -> Database:
    """The database at *url*, migrated to the newest schema first: every command that
    touches the database opens it this way, so none runs against an old schema."""
    await upgrade(url)
    return Database(url)
