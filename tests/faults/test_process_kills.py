"""SIGKILL at random moments, 20 times: ``dartwatch run`` as a subprocess against the
local OpenDART (publishing filings over time) with a webhook to a local receiver, killed
with ``kill -9`` while it starts (a quarter of the kills), polls, matches or fans out
(the rest, timed from its "running" line), and restarted at once.

At the end every published filing is stored exactly once and alerted at least once;
duplicate deliveries are counted, printed, and must stay within what the killed
processes could have had in flight (DISPATCH_BATCH_SIZE + the dispatcher's
concurrency, per kill). Set FAULTS_SEED to replay another schedule of kills."""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.delivery.dispatcher import Dispatcher
from monitor.fakedart import FakeDart
from testkit.fakes.receiver import OutboxReceiver, restartable
from tests.conftest import TEST_KEY
from tests.faults.support import json_events, start_daemon, stored_rcept_nos, webhook_daemon_env
from tests.helpers.daemon import stop, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

KILLS = 20
BATCH = 10
CONCURRENCY = Dispatcher.__init__.__kwdefaults__["concurrency"]  # what `run` uses


def _phase(events: list[dict[str, object]]) -> str:
    """What the daemon last said before it was killed (a rough phase)."""
    for event in reversed(events):
        msg = str(event.get("msg", ""))
        for key, phase in (
            ("matched", "fan-out"),
            ("poll ok", "match"),
            ("took back", "fan-out"),
            ("now the leader", "poll"),
            ("dartwatch running", "poll"),
        ):
            if key in msg:
                return phase
    return "start-up"


def test_sigkill_at_random_points_then_restart(tmp_path: Path) -> None:
    seed = int(os.environ.get("FAULTS_SEED", "20261128"))
    rng = random.Random(seed)
    fake = FakeDart(keys={TEST_KEY}, dataset=False, noise_per_day=0)
    # A receiver that takes a little time, so kills land while sends are in flight.
    rx = OutboxReceiver(secret="s3cret", delay=0.03)
    db_url = f"sqlite:///{tmp_path / 'kills.db'}"
    log_path = tmp_path / "daemon.log"
    phases: Counter[str] = Counter()
    delivered_at_kill: list[int] = []
    with serve_in_thread(fake) as dart_url, restartable(rx) as hook:
        env = webhook_daemon_env(dart_url, db_url, hook.url, DISPATCH_BATCH_SIZE=str(BATCH))
        stream_end = fake.now() + timedelta(seconds=40)
        rows = fake.publish_stream(80, span_seconds=40, seed=seed % 1000)
        started = time.monotonic()
        for _ in range(KILLS):
            offset = log_path.stat().st_size if log_path.exists() else 0
            proc = start_daemon(env, log_path)
            try:
                # A quarter of the kills while it starts; the rest timed from its
                # "running" line, not from the spawn: on a loaded machine start-up
                # alone can outlast a spawn-timed kill, and every kill would land there.
                if rng.random() < 0.25:
                    time.sleep(rng.uniform(0.05, 0.8))
                else:
                    wait_for(
                        lambda since=offset: b"dartwatch running" in log_path.read_bytes()[since:],
                        60,
                        "start-up",
                    )
                    time.sleep(rng.uniform(0.2, 2.5))
                os.kill(proc.pid, signal.SIGKILL)
                assert proc.wait(timeout=10) == -signal.SIGKILL
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
            with log_path.open("rb") as log:
                log.seek(offset)
                phases[_phase(json_events(log.read().decode("utf-8", "replace")))] += 1
            delivered_at_kill.append(rx.total)
        killing = time.monotonic() - started
        offset = log_path.stat().st_size
        proc = start_daemon(env, log_path)
        try:
            wait_for(lambda: b"dartwatch running" in log_path.read_bytes()[offset:], 30, "start-up")
            # Every row of the stream is visible once its span is over.
            wait_for(lambda: fake.now() >= stream_end, 60, "the end of the stream")
            want = {r["rcept_no"] for r in fake.visible_rows()}
            wait_for(
                lambda: want <= {i.split(":")[0] for i in rx.ids},
                120,
                "every filing alerted after the last restart",
            )
            assert stop(proc) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    stored = stored_rcept_nos(db_url)
    log_text = log_path.read_text()
    new_ids = Counter({i: n for i, n in rx.ids.items() if i.endswith(":new")})
    dupes = rx.duplicates()
    bound = KILLS * (BATCH + CONCURRENCY)
    print(
        f"\nSIGKILL x{KILLS} (seed {seed}) over {killing:.0f}s: killed during "
        f"{dict(phases)}; {len(want)} filings ({len(rows)} published incl. amendments); "
        f"stored once: {len(stored) == len(set(stored))}; alerted: {len(new_ids)}; "
        f"duplicate deliveries: {dupes} (bound {bound} = {KILLS} x ({BATCH} + {CONCURRENCY})); "
        f"deliveries seen at each kill: {delivered_at_kill}"
    )
    assert len(stored) == len(set(stored)), "a filing was stored twice"
    assert set(stored) == want
    assert {i.split(":")[0] for i in new_ids} == want, "a filing was never alerted"
    assert dupes <= bound
    assert rx.bad_signatures == 0
    assert TEST_KEY not in log_text
    assert sum(n for p, n in phases.items() if p != "start-up") >= KILLS // 2, phases
    assert any("stopped cleanly" in e["msg"] for e in json_events(log_text))
