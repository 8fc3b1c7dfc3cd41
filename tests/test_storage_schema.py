"""The schema: migrations create exactly what the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import storage.models
from storage.db import Database, sync_url
from storage.migrate import current_revision_sync, head_revision, upgrade_sync
from storage.models import Filing


def test_migrations_match_models(db_url: str) -> None:
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
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
