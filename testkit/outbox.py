"""Fill an outbox with real alert rows: filings stored, matched by the real matcher and
fanned out by the real pipeline to one webhook destination."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitor.delivery.pipeline import Pipeline
from monitor.kai.timeline import load_timeline
from notifiers.webhook import WebhookNotifier, WebhookSettings
from storage.db import Database
from storage.models import Filing

# Subprocesses never read the real DART feed (the environment filter drops DART_*).
NO_FEED = {"DART_RSS_URL": ""}

WATCHED = ["00266961", "00159023", "00181712", "00120021", "00261443"]
TITLES = [
    "기타경영사항(자율공시)",
    "임원ㆍ주요주주특정증권등소유상황보고서",
    "타법인주식및출자증권취득결정",
    "[기재정정]기업설명회(IR)개최(안내공시)",
]


def webhook(url: str, secret: str | None = "s3cret", timeout: float = 2.0) -> WebhookNotifier:
    return WebhookNotifier(
        WebhookSettings(url=url, secret=secret, timeout_seconds=timeout)  # type: ignore[arg-type]
    )


async def fill_outbox(db: Database, notifier: WebhookNotifier, n: int) -> list[str]:
    """Store *n* filings and run the pipeline; returns their receipt numbers."""
    rcept_nos = [f"20260115{i:06d}" for i in range(n)]
    async with db.session() as s:
        for i, rcept_no in enumerate(rcept_nos):
            s.add(
                Filing(
                    rcept_no=rcept_no,
                    corp_code=WATCHED[i % 5],
                    corp_name=f"corp{i % 5}",
                    report_nm=TITLES[i % len(TITLES)],
                    rcept_dt="20260115",
                    flr_nm="x",
                )
            )
    await Pipeline(db, load_timeline(), {"webhook": notifier}).run(limit=n + 10)
    return rcept_nos


def start_dispatch(
    db_url: str, url: str, log: Path, *, batch: int, args: list[str]
) -> subprocess.Popen[bytes]:
    """`dartwatch dispatch ARGS` as a subprocess sending to the signed webhook *url*,
    its output appended to *log* (the crash tests kill and restart it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DART_", "WEBHOOK_"))} | NO_FEED
    env.update(
        DATABASE_URL=db_url,
        NOTIFIERS="webhook",
        WEBHOOK_URL=url,
        WEBHOOK_SECRET="s3cret",
        DISPATCH_BATCH_SIZE=str(batch),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "dispatch", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=log.parent,
        )
