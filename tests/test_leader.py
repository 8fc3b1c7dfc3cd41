"""Leader election on both databases, including a leader whose connection is killed."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from monitor.runtime.leader import Leadership
from storage.db import sync_url


async def test_one_leader_at_a_time_and_takeover(db_url: str) -> None:
    events: list[str] = []

    async def elected_a() -> None:
        events.append("a+")

    async def deposed_a() -> None:
        events.append("a-")

    a = Leadership(db_url, on_elected=elected_a, on_deposed=deposed_a)
    b = Leadership(db_url)
    try:
        assert await a.check() is True
        assert await b.check() is False
        assert a.is_leader and not b.is_leader
        await a.release()  # graceful exit hands over at b's next round
        assert await b.check() is True
        assert await a.check() is False
        assert events == ["a+", "a-"]
    finally:
        await a.release()
        await b.release()


async def test_leader_steps_down_when_its_connection_is_killed(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        return  # a file lock has no connection to kill; covered above
    a = Leadership(db_url)
    b = Leadership(db_url)
    try:
        assert await a.check()
        engine = create_engine(sync_url(db_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'dartwatch-leader' AND datname = current_database()"
                )
            ).scalar()
        engine.dispose()
        assert killed == 1
        assert await a.check() is False
        assert not a.is_leader
        assert await b.check() is True
    finally:
        await a.release()
        await b.release()
