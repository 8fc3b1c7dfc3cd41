"""Shared pieces of the fault suite: the real poller, pipeline and dispatcher wired over
one database against a FakeDart on loopback, a notifier that counts what it receives,
and the checks every case ends with (nothing lost, nothing twice)."""

from __future__ import annotations

import contextlib
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import inspect, text

from monitor.core.settings import Settings
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.fakedart import FakeDart, ManualClock
from monitor.ingest.poller import Poller, PollResult
from monitor.kai.timeline import bundled_timeline
from monitor.opendart.budget import RequestBudget
from monitor.opendart.client import DartClient
from notifiers.base import Alert, Notifier
from storage import filings, outbox
from storage.db import Database
from tests.conftest import TEST_KEY
from tests.helpers.ingest import FAST, NOON, WATCHED, running_fake, settings_for

__all__ = [
    "NOON",
    "TEST_KEY",
    "WATCHED",
    "DartRig",
    "Recorder",
    "dart_rig",
    "dump_tables",
    "log_lines",
    "scan_files",
]


class Recorder(Notifier):
    """A single-destination notifier that counts the alerts it receives, by
    ``rcept_no:event`` (the webhook's X-Dartwatch-Id), so duplicates show."""

    name: ClassVar[str] = "recorder"
    accepts_digests: ClassVar[bool] = False

    def __init__(self) -> None:
        self.got: Counter[str] = Counter()

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        self.got[f"{alert.rcept_no}:{alert.event}"] += 1

    def new_alerts(self) -> Counter[str]:
        return Counter({k.split(":")[0]: n for k, n in self.got.items() if k.endswith(":new")})


@dataclass
class DartRig:
    fake: FakeDart
    clock: ManualClock
    settings: Settings
    db: Database
    client: DartClient
    poller: Poller
    pipeline: Pipeline
    dispatcher: Dispatcher
    recorder: Recorder

    async def cycle(self) -> PollResult:
        """One daemon cycle: poll, match + fan out, send everything due."""
        result = await self.poller.poll()
        await self.pipeline.run()
        await self.dispatcher.drain(timeout=30)
        return result

    def visible(self, since: date | None = None) -> list[dict[str, str]]:
        start = since or self.clock().date() - timedelta(days=1)
        return self.fake.visible_rows(WATCHED, bgn_de=start)

    async def check_ledger(self, since: date | None = None) -> dict[str, Any]:
        """Every visible filing stored once and alerted exactly once; nothing else
        stored; the outbox empty of unsent rows. Returns figures for the report."""
        visible = {r["rcept_no"] for r in self.visible(since)}
        stored = [f.rcept_no for f in await filings.list_filings(self.db)]
        assert len(stored) == len(set(stored)), "a filing was stored twice"
        assert set(stored) == visible, (
            f"lost: {sorted(visible - set(stored))}; extra: {sorted(set(stored) - visible)}"
        )
        alerts = self.recorder.new_alerts()
        assert set(alerts) == visible, f"not alerted: {sorted(visible - set(alerts))}"
        assert max(alerts.values(), default=1) == 1, f"alerted twice: {alerts.most_common(3)}"
        counts = await outbox.counts(self.db)
        assert set(counts) <= {"sent"}, counts
        return {"filings": len(stored), "alerts": sum(self.recorder.got.values())}


@contextlib.asynccontextmanager
async def dart_rig(
    db: Database,
    *,
    retries: int = 1,
    timeout: float = 0.5,
    fake_options: dict[str, Any] | None = None,
    **extra: Any,
) -> AsyncIterator[DartRig]:
    """The real ingest-to-delivery path against a FakeDart on 127.0.0.1, with the
    budget on the fake's clock (so a 020 pause ends at the fake's midnight)."""
    clock = ManualClock(NOON)
    options: dict[str, Any] = {"clock": clock, "dataset": False, "slow_seconds": 3.0}
    options.update(fake_options or {})
    with running_fake(**options) as (fake, url):
        settings = settings_for(
            url,
            db.url,
            DART_MAX_RETRIES=retries,
            DART_TIMEOUT_SECONDS=timeout,
            DART_MAX_PER_MINUTE=900,
            **extra,
        )
        budget = RequestBudget(
            db,
            daily_budget=settings.dart_daily_budget,
            per_minute=settings.dart_max_per_minute,
            key=TEST_KEY,
            clock=clock,
        )
        client = DartClient(settings, budget=budget, backoff=FAST)
        recorder = Recorder()
        notifiers = {"recorder": recorder}
        try:
            yield DartRig(
                fake=fake,
                clock=clock,
                settings=settings,
                db=db,
                client=client,
                poller=Poller(settings, db, client, clock=clock),
                pipeline=Pipeline(
                    db,
                    bundled_timeline(),
                    notifiers,
                    documents=client,
                    body_policy=BodyPolicy(timeout=2.0, max_bytes=200_000),
                ),
                dispatcher=Dispatcher(
                    db, notifiers, PayloadResolver(db), worker_id="faults", backoff_initial=0.05
                ),
                recorder=recorder,
            )
        finally:
            await client.aclose()


def publish(
    fake: FakeDart, n: int, *, at: Any = None, title: str = "기타경영사항(자율공시)"
) -> list[str]:
    """*n* filings spread over the watched companies; their receipt numbers."""
    rows = [
        fake.publish({"corp_code": WATCHED[i % len(WATCHED)], "report_nm": f"{title} #{i}"}, at)
        for i in range(n)
    ]
    return [r.rcept_no for r in rows]


def log_lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= level
    ]


def assert_logged(caplog: pytest.LogCaptureFixture, pattern: str, level: int = logging.INFO) -> str:
    """The first log line matching *pattern* (a clear line saying what happened)."""
    lines = log_lines(caplog, level)
    for line in lines:
        if re.search(pattern, line):
            return line
    raise AssertionError(f"no log line matches {pattern!r}; got:\n" + "\n".join(lines[-30:]))


async def dump_tables(db: Database) -> str:
    """Every row of every table, as text (for secret scans)."""

    def names(conn: Any) -> list[str]:
        return list(inspect(conn).get_table_names())

    async with db.engine.connect() as conn:
        tables = await conn.run_sync(names)
        parts: list[str] = []
        for table in tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).all()
            parts.append(f"{table}: {rows!r}")
    return "\n".join(parts)


def scan_files(root: Any, secrets: Iterable[str]) -> list[str]:
    """Files under *root* that contain any of *secrets* (as UTF-8 bytes)."""
    needles = [s.encode() for s in secrets if s]
    found: list[str] = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(str(path))
    return found


# ----------------------------------------------------------------------------- daemons
def webhook_daemon_env(
    dart_url: str, database_url: str, hook_url: str, **extra: str
) -> dict[str, str]:
    """``dartwatch run`` settings: the local OpenDART, a webhook to a local receiver,
    short intervals and leases so faults are noticed and repaired within seconds."""
    from tests.helpers.daemon import daemon_env

    values = {
        "NOTIFIERS": "webhook",
        "WEBHOOK_URL": hook_url,
        "WEBHOOK_SECRET": "s3cret",
        "DELIVERY_LEASE_SECONDS": "3",
        "DART_MAX_PER_MINUTE": "900",
        "DART_TIMEOUT_SECONDS": "3",
        "LOG_LEVEL": "INFO",
    }
    values.update(extra)
    return daemon_env(dart_url=dart_url, database_url=database_url, extra=values)


def start_daemon(env: dict[str, str], log_path: Any) -> Any:
    import subprocess
    import sys

    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=log_path.parent,
        )


def stored_rcept_nos(database_url: str) -> list[str]:
    """Receipt numbers in ``filings`` (with repeats, if a bug ever stored one twice)."""
    from sqlalchemy import create_engine

    from storage.db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT rcept_no FROM filings"))]
    finally:
        engine.dispose()


def json_events(log_text: str) -> list[dict[str, Any]]:
    import json

    events = []
    for line in log_text.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
    return events
