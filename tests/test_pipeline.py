"""Pipeline: pending filings -> match -> outbox rows, exactly once, routed by
subscription and filter, held through quiet hours; withdrawals alerted."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import ClassVar

import pytest
from sqlmodel import select

from monitor.core.quiet import KST
from monitor.delivery.pipeline import Pipeline, alert_for_ref
from monitor.kai.timeline import load_timeline
from notifiers.base import Alert, Notifier
from storage import outbox
from storage import subscribers as subs
from storage.db import Database
from storage.models import Delivery, Filing, FilingEvent


class Fixed(Notifier):
    name = "fixedrec"

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        raise AssertionError("not sent in these tests")


class PerSub(Notifier):
    name = "telegram"
    per_subscriber: ClassVar[bool] = True

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        raise AssertionError("not sent in these tests")


NAVER, LG = "00266961", "00120021"


def filing(rcept_no: str, corp_code: str, title: str, **kw: object) -> Filing:
    names = {NAVER: "NAVER", LG: "LG"}
    return Filing(
        rcept_no=rcept_no,
        corp_code=corp_code,
        corp_name=names[corp_code],
        report_nm=title,
        rcept_dt=rcept_no[:8],
        flr_nm=names[corp_code],
        **kw,  # type: ignore[arg-type]
    )


async def _subscriber(
    db: Database,
    chat_id: int,
    codes: list[str],
    *,
    flt: str = "all",
    quiet: tuple[int, int] | None = None,
    lang: str = "ko",
) -> int:
    async with db.session() as s:
        sub = await subs.get_or_create(s, chat_id, language=lang)
        assert sub.id is not None
        await subs.subscribe(s, sub.id, codes)
        await subs.set_filter(s, sub.id, flt)
        if quiet:
            await subs.set_quiet(s, sub.id, *quiet)
        return sub.id


def _pipeline(db: Database) -> Pipeline:
    return Pipeline(db, load_timeline(), {"fixedrec": Fixed(), "telegram": PerSub()})


async def _rows(db: Database) -> list[Delivery]:
    async with db.session() as s:
        return list((await s.exec(select(Delivery).order_by(Delivery.id))).all())


NOON = datetime(2026, 1, 15, 12, 0, tzinfo=KST)


async def test_routes_by_company_and_filter_exactly_once(db: Database) -> None:
    everyone = await _subscriber(db, 101, [NAVER, LG])
    ai_only = await _subscriber(db, 102, [NAVER], flt="ai", lang="en")
    await _subscriber(db, 103, [LG])
    async with db.session() as s:
        s.add(
            filing(
                "20260115800123",
                NAVER,
                "조회공시요구(풍문또는보도)에대한답변(미확정) - 독자 AI 파운데이션 모델 평가",
            )
        )
        s.add(filing("20260115000456", NAVER, "임원ㆍ주요주주특정증권등소유상황보고서"))
    p = _pipeline(db)
    first = await p.run(now=NOON)
    assert first.matched == 2
    # The title names the project with an evaluation word: a possible milestone.
    assert [(f.rcept_no, why.word) for f, why in first.suggestions] == [("20260115800123", "평가")]
    again = await p.run(now=NOON)  # a second run (restart, other replica) adds nothing
    assert again.matched == 0 and again.deliveries == 0

    rows = await _rows(db)
    by_ref = Counter((r.ref, r.notifier, r.destination) for r in rows)
    assert max(by_ref.values()) == 1
    ai = {r.destination for r in rows if r.ref == "20260115800123" and r.notifier == "telegram"}
    routine = {
        r.destination for r in rows if r.ref == "20260115000456" and r.notifier == "telegram"
    }
    assert ai == {"101", "102"}  # the AI filing reaches the ai-only subscriber too
    assert routine == {"101"}  # 102 filters to AI; 103 follows LG only
    assert {r.ref for r in rows if r.notifier == "fixedrec"} == {"20260115800123", "20260115000456"}
    en = [r for r in rows if r.subscriber_id == ai_only]
    assert en and en[0].payload == {"lang": "en", "reason": "subscribed"}
    assert everyone != ai_only
    async with db.session() as s:
        states = {f.alert_state for f in (await s.exec(select(Filing))).all()}
    assert states == {"done"}


async def test_quiet_hours_hold_until_they_end(db: Database) -> None:
    await _subscriber(db, 201, [LG], quiet=(22, 7))
    async with db.session() as s:
        s.add(filing("20260115000789", LG, "기업설명회(IR)개최(안내공시)"))
    night = datetime(2026, 1, 15, 23, 10, tzinfo=KST)
    await _pipeline(db).run(now=night)
    held = [r for r in await _rows(db) if r.notifier == "telegram"]
    assert len(held) == 1
    assert held[0].next_attempt_at == datetime(2026, 1, 16, 7, 0, tzinfo=KST)
    assert await outbox.claim_due(db, "w", 10, now=night) != []  # fixedrec row is due now
    assert await outbox.claim_due(db, "w", 10, now=night) == []  # the held one is not


async def test_held_alerts_are_released_as_one_summary_per_chat(db: Database) -> None:
    many = await _subscriber(db, 202, [NAVER, LG], quiet=(22, 7))
    await _subscriber(db, 203, [LG], quiet=(22, 7))  # one held alert: sent as it is
    async with db.session() as s:
        s.add(filing("20260115000801", LG, "기업설명회(IR)개최(안내공시)"))
        s.add(filing("20260115000802", NAVER, "임원ㆍ주요주주특정증권등소유상황보고서"))
        s.add(filing("20260115000803", NAVER, "타법인주식및출자증권취득결정(AI 데이터센터)"))
    night = datetime(2026, 1, 15, 23, 10, tzinfo=KST)
    await _pipeline(db).run(now=night)
    held = [r for r in await _rows(db) if r.notifier == "telegram"]
    assert {r.status for r in held} == {"held"} and len(held) == 4
    assert await outbox.release_held(db, summarize=["telegram"], now=night) == 0  # still night
    morning = datetime(2026, 1, 16, 7, 0, tzinfo=KST)
    assert await outbox.release_held(db, summarize=["telegram"], now=morning) == 4
    rows = [r for r in await _rows(db) if r.notifier == "telegram"]
    [summary] = [r for r in rows if r.kind == "held"]
    assert summary.destination == "202" and summary.subscriber_id == many
    assert summary.payload["refs"] == ["20260115000801", "20260115000802", "20260115000803"]
    bundled = [r for r in rows if r.status == "bundled"]
    assert {r.ref for r in bundled} == set(summary.payload["refs"])
    assert {r.payload["summary"] for r in bundled} == {summary.ref}
    [alone] = [r for r in rows if r.destination == "203"]
    assert (alone.kind, alone.status) == ("alert", "pending")
    claimed = await outbox.claim_due(db, "w", 10, now=morning)
    assert {(r.kind, r.destination) for r in claimed} >= {("held", "202"), ("alert", "203")}
    assert await outbox.release_held(db, summarize=["telegram"], now=morning) == 0  # once only


async def test_withdrawal_event_alerts_once_and_backfill_stays_silent(db: Database) -> None:
    await _subscriber(db, 301, [NAVER])
    async with db.session() as s:
        s.add(
            filing(
                "20260110000111",
                NAVER,
                "타법인주식및출자증권취득결정",
                rm="철",
                alert_state="done",
                withdrawn=True,
            )
        )
        s.add(FilingEvent(rcept_no="20260110000111", kind="withdrawn", old_rm="", new_rm="철"))
        s.add(FilingEvent(rcept_no="20260110000111", kind="amended", old_rm="", new_rm="정"))
        s.add(
            filing(
                "20250610000222",
                NAVER,
                "분기보고서 (2025.03)",
                source="backfill",
                alert_state="suppressed",
            )
        )
    result = await _pipeline(db).run(now=NOON)
    assert result.events == 2
    rows = await _rows(db)
    assert {r.ref for r in rows} == {"20260110000111#withdrawn"}
    alert = await alert_for_ref(db, "20260110000111#withdrawn")
    assert alert.event == "withdrawn" and alert.withdrawn
    assert (await _pipeline(db).run(now=NOON)).events == 0


async def test_alert_for_missing_filing_is_a_clear_error(db: Database) -> None:
    with pytest.raises(LookupError, match="no longer stored"):
        await alert_for_ref(db, "20990101000000")
