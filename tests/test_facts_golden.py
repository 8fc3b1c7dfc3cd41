"""Golden alerts and digest for one day with a buyback, a dividend, a supply contract,
provisional earnings, a stake acquisition and a correction (old → new), produced
through the local OpenDART, the real client and the pipeline.

Files live in tests/golden/facts/. After a deliberate change, regenerate with
``UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_facts_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.delivery.pipeline import Pipeline, alert_for_ref
from monitor.digest.render import render
from monitor.digest.service import load_digest
from monitor.facts.service import FactsService
from monitor.fakedart import FakeDart
from monitor.kai.timeline import load_timeline
from notifiers.base import Alert, Notifier
from notifiers.formatting import alert_text
from notifiers.telegram_format import format_alert_html
from notifiers.telegram_texts import t  # noqa: F401  (import order: see telegram_format)
from storage.db import Database
from storage.filings import FilingRecord, upsert_filings
from tests.helpers.ingest import NOON, plain_client, running_fake, settings_for

GOLDEN = Path(__file__).parent / "golden" / "facts"
NAVER, SKT = "00266961", "00159023"
DAY = [
    (NAVER, "주요사항보고서(자기주식취득결정)"),
    (SKT, "현금ㆍ현물배당결정"),
    (SKT, "단일판매ㆍ공급계약체결"),
    (NAVER, "연결재무제표기준영업(잠정)실적(공정공시)"),
    (NAVER, "타법인주식및출자증권취득결정"),
]


class Quiet(Notifier):
    name = "quiet"

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        raise AssertionError("not sent here")


def _check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_bytes().decode("utf-8"), f"{name} differs (UPDATE_GOLDEN=1)"


@pytest.fixture
def fake_and_url():  # type: ignore[no-untyped-def]
    with running_fake(dataset=False) as pair:
        yield pair


async def test_golden_day_of_facts(fake_and_url: tuple[FakeDart, str], sqlite_db: Database) -> None:
    fake, url = fake_and_url
    rows = [fake.publish({"corp_code": corp, "report_nm": title}) for corp, title in DAY]
    fake.clock.advance(900)  # type: ignore[attr-defined]
    rows.append(fake.amend(rows[2].rcept_no))  # the supply contract, corrected
    async with plain_client(settings_for(url)) as client:
        listed = await client.list_filings(bgn_de=NOON.date(), end_de=NOON.date())
        async with sqlite_db.session() as session:
            await upsert_filings(
                session,
                [
                    FilingRecord(
                        rcept_no=r.rcept_no,
                        corp_code=r.corp_code,
                        corp_name=r.corp_name,
                        report_nm=r.report_nm,
                        rcept_dt=r.rcept_dt,
                        rm=r.rm,
                        stock_code=r.stock_code,
                        corp_cls=r.corp_cls,
                        flr_nm=r.flr_nm,
                    )
                    for r in listed.rows
                ],
                now=NOON.astimezone(UTC),
            )
        timeline = load_timeline()
        pipeline = Pipeline(
            sqlite_db,
            timeline,
            {"quiet": Quiet()},
            documents=client,
            facts=FactsService(sqlite_db, client),
        )
        await pipeline.run()
    alerts = [await alert_for_ref(sqlite_db, r.rcept_no) for r in rows]
    assert all(a.summary for a in alerts)
    assert alerts[-1].changes and alerts[-1].corrects == rows[2].rcept_no
    for lang in ("ko", "en"):
        text = "\n\n----\n\n".join(alert_text(a, lang) for a in alerts) + "\n"
        _check(f"alerts.{lang}.txt", text)
    telegram = (
        "\n\n----\n\n".join(format_alert_html(a, "ko", expanded=True)[0] for a in alerts) + "\n"
    )
    _check("alerts.ko.telegram.html", telegram)
    generated = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
    for lang in ("ko", "en"):
        digest = await load_digest(sqlite_db, timeline, NOON.date(), lang, generated_at=generated)
        _check(f"digest.{lang}.txt", render(digest, "text"))
        _check(f"digest.{lang}.json", render(digest, "json"))
