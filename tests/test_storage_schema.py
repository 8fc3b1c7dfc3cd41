"""The schema: migrations create exactly what the models declare, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import storage.models
from storage.db import Database, sync_url
from storage.history import include_object
from storage.migrate import current_revision_sync, head_revision, upgrade_sync
from storage.models import Filing


def test_migrations_match_models(db_url: str) -> None:
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_is_idempotent_and_keeps_data(db_url: str) -> None:
    assert current_revision_sync(db_url) == head_revision()
    engine = create_engine(sync_url(db_url))
    with engine.begin() as conn:
        conn.execute(
            Filing.__table__.insert().values(  # type: ignore[attr-defined]
                rcept_no="20260115000123",
                corp_code="00266961",
                corp_name="NAVER",
                report_nm="test",
                rcept_dt="20260115",
                rm="",
                amended=False,
                withdrawn=False,
                source="poll",
                first_seen_at=storage.models.utcnow(),
                updated_at=storage.models.utcnow(),
            )
        )
    engine.dispose()
    upgrade_sync(db_url)  # a second start must not touch existing rows
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        count = conn.execute(Filing.__table__.select()).fetchall()  # type: ignore[attr-defined]
    engine.dispose()
    assert len(count) == 1


async def test_session_rolls_back_on_error(db: Database) -> None:
    class Boom(Exception):
        pass

    try:
        async with db.session() as session:
            session.add(
                Filing(
                    rcept_no="20260101000001",
                    corp_code="00266961",
                    corp_name="NAVER",
                    report_nm="x",
                    rcept_dt="20260101",
                )
            )
            await session.flush()
            raise Boom
    except Boom:
        pass
    async with db.session() as session:
        assert await session.get(Filing, "20260101000001") is None


@pytest.mark.slow
def test_sqlite_upgrade_killed_half_way_leaves_no_half_schema(tmp_path: Path) -> None:
    """`dartwatch run` killed during its first migration must start next time. Python's
    sqlite3 runs DDL outside transactions unless told otherwise, so without care a kill
    leaves some tables created and no version stamp, and every later start fails with
    "table already exists"."""
    import random
    import subprocess
    import sys
    import time

    from sqlalchemy import create_engine, inspect

    rng = random.Random(7)
    db_file = tmp_path / "kill.db"
    url = f"sqlite:///{db_file}"
    code = f"from storage.migrate import upgrade_sync; upgrade_sync({url!r})"
    states = {"untouched": 0, "complete": 0, "partial": 0}
    for _ in range(12):
        db_file.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parent.parent)
        try:
            deadline = time.monotonic() + 30
            while not db_file.exists() and proc.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.6))  # the migration itself takes ~0.2-0.4 s
            proc.kill()
        finally:
            proc.wait(timeout=10)
        engine = create_engine(url)
        try:
            tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        finally:
            engine.dispose()
        revision = current_revision_sync(url)
        if not tables and revision is None:
            states["untouched"] += 1
        elif revision == head_revision():
            states["complete"] += 1
        else:
            states["partial"] += 1
        upgrade_sync(url)  # the next start
        assert current_revision_sync(url) == head_revision()
    print(f"\nmigration killed 12 times: {states}")
    assert states["partial"] == 0, states


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_chat_filters_migration_keeps_existing_chats(kind: str, tmp_path: Path) -> None:
    """A deployment with chats from before per-chat filters upgrades to empty filters."""
    from sqlalchemy import text

    from storage import subscribers as subs
    from tests.conftest import fresh_database_url

    with fresh_database_url(kind, tmp_path) as url:
        upgrade_sync(url, "0001")
        engine = create_engine(sync_url(url))
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscribers (notifier, chat_id, chat_type, title, language,"
                    " filter, digest, active, deactivated_reason, created_at, updated_at)"
                    " VALUES ('telegram', 42, 'private', '', 'ko', 'ai', false, true, '',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        engine.dispose()
        upgrade_sync(url)
        db = Database(url)
        try:
            async with db.session() as s:
                sub = await subs.get(s, 42)
                assert sub is not None and sub.filter == "ai"
                assert (sub.keywords, sub.excludes, sub.hidden_types) == ([], [], [])
                assert (sub.min_relevance, sub.silent_below, sub.mutes) == (0, None, {})
                added = await subs.add_words(s, sub, "keywords", ["GPU"])
            assert added == ["gpu"]
        finally:
            await db.dispose()
