"""A dispatcher process killed with SIGKILL in the middle of 1,000 deliveries, then
restarted: all 1,000 arrive; duplicates are counted and reported, and stay within what
the killed process had in flight (DISPATCH_BATCH_SIZE + the dispatcher's concurrency)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from storage import outbox
from storage.db import Database
from testkit.fakes.receiver import OutboxReceiver, restartable
from testkit.outbox import fill_outbox, start_dispatch, webhook
from tests.helpers.daemon import wait_for

pytestmark = pytest.mark.slow
N = 1000
BATCH = 50
CONCURRENCY = 32  # Dispatcher's default


def _dispatch(db_url: str, url: str, log: Path) -> subprocess.Popen[bytes]:
    return start_dispatch(db_url, url, log, batch=BATCH, args=["--until-empty", "--lease", "2"])


async def test_sigkill_mid_fanout_loses_nothing(db: Database, db_url: str, tmp_path: Path) -> None:
    rx = OutboxReceiver(secret="s3cret", delay=0.004)
    with restartable(rx) as server:
        rcepts = await fill_outbox(db, webhook(server.url), N)
        assert (await outbox.counts(db)) == {"pending": N}
        log = tmp_path / "dispatch.log"
        first = _dispatch(db_url, server.url, log)
        try:
            wait_for(lambda: rx.total >= 300, 120, "300 deliveries")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            at_kill = rx.total
        finally:
            if first.poll() is None:
                first.kill()
        second = _dispatch(db_url, server.url, log)
        try:
            assert second.wait(timeout=240) == 0, log.read_text()[-2000:]
        finally:
            if second.poll() is None:
                second.kill()
        time.sleep(0.2)
    got = {i.split(":")[0] for i in rx.ids}
    dupes = rx.duplicates()
    print(
        f"\ncrash test ({db_url.split(':')[0]}): killed after {at_kill} of {N}; "
        f"all delivered: {got == set(rcepts)}; duplicates: {dupes} "
        f"(bound: {BATCH + CONCURRENCY} in flight)"
    )
    assert got == set(rcepts)
    assert dupes <= BATCH + CONCURRENCY
    assert (await outbox.counts(db)) == {"sent": N}
    assert rx.bad_signatures == 0
