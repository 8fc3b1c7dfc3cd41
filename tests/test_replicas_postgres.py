"""Three ``dartwatch run`` replicas on one PostgreSQL: one leader at a time, the leader
killed with SIGKILL mid-run, another takes over, every alert delivered; duplicates
counted and reported."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart
from storage import subscribers as subs
from storage.db import Database
from storage.migrate import upgrade_sync
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.conftest import TEST_KEY, fresh_postgres_database
from tests.helpers.daemon import daemon_env, running_daemon, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
USERS = (201, 202, 203)
WATCHED = ["00266961", "00159023", "00181712", "00120021", "00261443"]


async def _subscribe_all(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s:
            for chat in USERS:
                sub = await subs.get_or_create(s, chat)
                assert sub.id is not None
                await subs.subscribe(s, sub.id, WATCHED)
    finally:
        await db.dispose()


def _leader_events(log: Path) -> list[tuple[float, str]]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if "is now the leader" in event["msg"]:
            # Millisecond, zone-aware stamps: truncating to whole seconds once made the
            # shutdown hand-over look like it happened before ``stopping_at``.
            out.append((datetime.fromisoformat(event["ts"]).timestamp(), log.name))
    return out


def test_three_replicas_survive_a_killed_leader(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        upgrade_sync(url)
        asyncio.run(_subscribe_all(url))
        fake = FakeDart(keys={TEST_KEY}, dataset=False, noise_per_day=50)
        tg = FakeTelegram()
        for chat in USERS:
            tg.add_chat(chat, "private")  # they talked to the bot before
        with serve_in_thread(fake) as dart_url, serve_in_thread(tg) as tg_url:
            env = daemon_env(
                dart_url=dart_url,
                database_url=url,
                extra={
                    "NOTIFIERS": "telegram",
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_BASE_URL": f"{tg_url}/bot",
                    "DELIVERY_LEASE_SECONDS": "4",
                },
            )
            rows = fake.publish_stream(40, start=fake.now() + timedelta(seconds=3), span_seconds=24)
            logs = [tmp_path / f"replica{i}.log" for i in range(3)]
            with (
                running_daemon(env, logs[0]) as a,
                running_daemon(env, logs[1]) as b,
                running_daemon(env, logs[2]) as c,
            ):
                procs = {a.pid: (a, logs[0]), b.pid: (b, logs[1]), c.pid: (c, logs[2])}
                wait_for(
                    lambda: sum(len(_leader_events(p)) for p in logs if p.exists()) >= 1,
                    30,
                    "a leader",
                )
                wait_for(lambda: len(set(_got(tg))) >= 8, 60, "the first alerts")
                leader_log = next(p for p in logs if _leader_events(p))
                leader = next(proc for proc, log in procs.values() if log == leader_log)
                os.kill(leader.pid, signal.SIGKILL)
                killed_at = time.time()
                leader.wait(timeout=10)
                wait_for(
                    lambda: any(_leader_events(p) for p in logs if p != leader_log),
                    30,
                    "a new leader",
                )
                took_over = min(t for p in logs if p != leader_log for t, _ in _leader_events(p))
                visible = {r["rcept_no"] for r in fake.visible_rows(WATCHED)}

                def all_delivered() -> bool:
                    got = _got_by_chat(tg)
                    return all(set(got[chat]) >= visible for chat in USERS)

                wait_for(lambda: fake.now() > max(r.visible_at for r in rows), 60, "the stream")
                visible = {r["rcept_no"] for r in fake.visible_rows(WATCHED)}
                wait_for(all_delivered, 90, "every alert to every subscriber")
                stopping_at = time.time()
                for proc, _ in procs.values():
                    if proc is not leader:
                        assert stop(proc) == 0

        got = _got_by_chat(tg)
        dupes = {chat: sum(n - 1 for n in got[chat].values() if n > 1) for chat in USERS}
        print(
            f"\nreplicas: leader killed; new leader after {took_over - killed_at:.1f}s; "
            f"{len(visible)} filings x {len(USERS)} subscribers; duplicates per chat: {dupes}"
        )
        for chat in USERS:
            assert set(got[chat]) == visible
        # Duplicates come only from sends the killed leader had in flight.
        assert sum(dupes.values()) <= 50 + 32
        # One leader at a time: exactly one hand-over while running (the shutdown at the
        # end may hand over again), and it came after the kill.
        elected = sorted(e for p in logs for e in _leader_events(p) if e[0] < stopping_at)
        assert len(elected) == 2, elected
        assert elected[0][1] == leader_log.name and elected[1][0] >= killed_at - 1, (
            elected,
            killed_at,
        )


def _got(tg: FakeTelegram) -> list[str]:
    return [m for chat in USERS for m in _got_by_chat(tg)[chat]]


def _got_by_chat(tg: FakeTelegram) -> dict[int, Counter[str]]:
    out: dict[int, Counter[str]] = {}
    for chat in USERS:
        out[chat] = Counter(n for msg in tg.sent_messages(chat) if (n := msg.dart_rcept_no()))
    return out
