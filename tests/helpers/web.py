"""A history for the web desk's tests: the bundled local-OpenDART dataset (about 1,100
filings of the K-AI companies over 18 months) stored and matched the way the pipeline
stores them, with a few amendments, alert deliveries and one sent digest; and the desk
served over a real socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from monitor.core.loopback import serve_in_thread
from monitor.core.settings import Settings, load_settings
from monitor.fakedart.dataset import load_companies, load_filings
from monitor.fakedart.documents import document_text
from monitor.fakedart.model import DartRow
from monitor.kai.matcher import match_filing
from monitor.kai.timeline import bundled_timeline
from monitor.web.app import create_app
from storage import companies as company_store
from storage.db import Database
from storage.filings import SUPPRESSED, FilingRecord, upsert_filings
from storage.matches import save_matches
from storage.models import Delivery

TOKEN = "web-desk-test-token-0123456789"
T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run *coro* to the end on a fresh loop in its own thread: works beside a running
    loop too (Playwright's sync API keeps one in the test thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def dataset() -> list[DartRow]:
    companies = load_companies()
    return load_filings({c.corp_code: c for c in companies})


def _record(row: DartRow, rm: str | None = None) -> FilingRecord:
    return FilingRecord(
        rcept_no=row.rcept_no,
        corp_code=row.corp_code,
        corp_name=row.corp_name,
        report_nm=row.report_nm,
        rcept_dt=row.rcept_dt,
        rm=row.rm if rm is None else rm,
        stock_code=row.stock_code or None,
        corp_cls=row.corp_cls,
        flr_nm=row.flr_nm,
    )


async def seed(db: Database) -> dict[str, Any]:
    """Store the dataset; returns facts the tests check against (chosen rows)."""
    rows = dataset()
    timeline = bundled_timeline()
    await company_store.sync(
        db,
        [
            {
                "corp_code": c.corp_code,
                "corp_name": c.corp_name,
                "corp_eng_name": c.corp_eng_name or None,
                "stock_code": c.stock_code or None,
                "aliases": [],
            }
            for c in load_companies()
        ],
    )
    seen = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    # OpenDART marks an original 정 once a correction of it is filed: store the
    # originals as first listed (without it), then as listed after the correction.
    amended = []
    for correction in (r for r in rows if r.report_nm.startswith("[기재정정]")):
        title = correction.report_nm.removeprefix("[기재정정]")
        originals = [
            r
            for r in rows
            if r.corp_code == correction.corp_code
            and r.report_nm == title
            and r.rcept_no < correction.rcept_no
        ]
        if originals:
            amended.append(max(originals, key=lambda r: r.rcept_no))
    later = {r.rcept_no for r in amended}
    first = [
        _record(r, rm=r.rm.replace("정", "")) if r.rcept_no in later else _record(r) for r in rows
    ]
    async with db.session() as session:
        await upsert_filings(session, first, alert_state=SUPPRESSED, now=seen)
    async with db.session() as session:
        await upsert_filings(
            session,
            [_record(r, rm=r.rm if "정" in r.rm else r.rm + "정") for r in amended],
            alert_state=SUPPRESSED,
            now=seen + timedelta(hours=1),
        )
    by_code = {c.corp_code: c for c in load_companies()}
    matches = [
        match_filing(r, timeline, document_text(r, by_code.get(r.corp_code)), "ok").to_row(seen)
        for r in rows
    ]
    async with db.session() as session:
        await save_matches(session, matches)
        delivered = rows[0].rcept_no
        for i, status in enumerate(("sent", "sent", "dead")):
            session.add(
                Delivery(
                    kind="alert",
                    ref=delivered,
                    notifier="telegram",
                    destination=str(900000 + i),
                    status=status,
                )
            )
        session.add(
            Delivery(
                kind="alert",
                ref=delivered,
                notifier="console",
                destination="default",
                status="sent",
            )
        )
        session.add(
            Delivery(
                kind="digest",
                ref="2026-11-27",
                notifier="file",
                destination="default",
                status="sent",
            )
        )
    ai = [m for m in matches if m.ai_related]
    return {
        "rows": rows,
        "matches": {m.rcept_no: m for m in matches},
        "ai": ai,
        "amended": [r.rcept_no for r in amended],
        "delivered": delivered,
    }


def desk_settings(db_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {"DATABASE_URL": db_url, "WEB_LANG": "en"}
    values.update(extra)
    return load_settings(**values)


@contextlib.contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The desk on a free loopback port (its own database handle, its own loop)."""
    db = Database(settings.database_url)
    try:
        with serve_in_thread(create_app(settings, db, bundled_timeline())) as url:
            yield url
    finally:
        # The server's loop has stopped; its connections are closed from a new one.
        run_async(db.dispose())
