"""Poll runs: one row per poll or backfill, written at start (``running``) and
finished with its outcome, so a crashed run is visible as one that never finished."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select

from storage.db import Database
from storage.models import PollRun, utcnow

_COLUMNS = PollRun.__table__.c  # type: ignore[attr-defined]


async def start(db: Database, kind: str = "poll") -> int:
    async with db.session() as session:
        run = PollRun(kind=kind, status="running", started_at=utcnow())
        session.add(run)
        await session.flush()
        assert run.id is not None
        return run.id


async def finish(
    db: Database,
    run_id: int,
    *,
    status: str,
    requests: int = 0,
    listed: int = 0,
    new_filings: int = 0,
    updated_filings: int = 0,
    error: str = "",
) -> None:
    async with db.session() as session:
        await session.exec(
            update(PollRun)
            .where(_COLUMNS.id == run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                requests=requests,
                listed=listed,
                new_filings=new_filings,
                updated_filings=updated_filings,
                error=error[:1000],
            )
        )


async def last(
    db: Database, kind: str | None = "poll", *, finished: bool = False
) -> PollRun | None:
    async with db.session() as session:
        query = select(PollRun)
        if kind is not None:
            query = query.where(_COLUMNS.kind == kind)
        if finished:
            query = query.where(col(PollRun.finished_at).is_not(None))
        query = query.order_by(col(PollRun.id).desc()).limit(1)
        return (await session.exec(query)).first()


async def last_ok(db: Database, kind: str = "poll") -> PollRun | None:
    async with db.session() as session:
        query = (
            select(PollRun)
            .where(_COLUMNS.kind == kind, _COLUMNS.status == "ok")
            .order_by(col(PollRun.id).desc())
            .limit(1)
        )
        return (await session.exec(query)).first()


async def recent(db: Database, limit: int = 10) -> list[PollRun]:
    async with db.session() as session:
        rows = await session.exec(select(PollRun).order_by(col(PollRun.id).desc()).limit(limit))
        return list(rows.all())
