"""One writer process of the concurrent-writers test (``test_storage_faults``):
upserts overlapping batches of filings (some gaining 정 or 철 half-way), runs the real
pipeline, and claims and marks deliveries, all on the shared database. Writes the ids
of the deliveries it claimed to a JSON file; any exception ends it with a traceback
and a non-zero exit code.

    python -m tests.faults.db_writer DATABASE_URL WORKER ROUNDS OUT.json
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from typing import ClassVar

from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.kai.timeline import bundled_timeline
from notifiers.base import Alert, Notifier
from storage import filings, outbox
from storage.db import Database

N = 120
WATCHED = ("00266961", "00159023", "00181712", "00120021", "00261443")


class Sink(Notifier):
    name: ClassVar[str] = "sink"
    accepts_digests: ClassVar[bool] = False

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        return None


def amended(i: int) -> bool:
    return i % 7 == 0


def withdrawn(i: int) -> bool:
    return i % 11 == 0


def record(i: int, late: bool) -> filings.FilingRecord:
    rm = "유" + ("정" if late and amended(i) else "") + ("철" if late and withdrawn(i) else "")
    return filings.FilingRecord(
        rcept_no=f"20260115{i:06d}",
        corp_code=WATCHED[i % len(WATCHED)],
        corp_name=f"회사{i % len(WATCHED)}",
        report_nm=f"기타경영사항(자율공시) #{i}",
        rcept_dt="20260115",
        rm=rm,
    )


async def main(url: str, worker: int, rounds: int, out: str) -> None:
    db = Database(url)
    pipeline = Pipeline(
        db, bundled_timeline(), {"sink": Sink()}, body_policy=BodyPolicy(enabled=False)
    )
    rng = random.Random(worker)
    claimed: list[int] = []

    async def claim() -> int:
        rows = await outbox.claim_due(db, f"w{worker}", 10)
        for row in rows:
            assert row.id is not None
            await outbox.mark_sent(db, row.id)
            claimed.append(row.id)
        return len(rows)

    try:
        # Every row first in its early state (so each 정/철 that arrives later is one
        # change event), in this writer's own order.
        async with db.session() as session:
            await filings.upsert_filings(
                session, [record(i, False) for i in rng.sample(range(N), N)]
            )
        for r in range(rounds):
            late = r >= rounds // 2
            batch = [record(i, late) for i in rng.sample(range(N), 25)]
            async with db.session() as session:
                await filings.upsert_filings(session, batch)
            await pipeline.run()
            await claim()
        async with db.session() as session:  # everything, in its final state
            await filings.upsert_filings(session, [record(i, True) for i in range(N)])
        while True:
            await pipeline.run()
            if not await claim():
                break
    finally:
        await db.dispose()
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(claimed, handle)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
