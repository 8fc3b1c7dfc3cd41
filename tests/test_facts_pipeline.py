"""Facts in the pipeline without OpenDART: a correction and a withdrawal reach the
people who got the original even when their filters would now drop them; rematch keeps
the facts' reasons."""

from __future__ import annotations

from sqlmodel import select

from monitor.delivery.pipeline import Pipeline, alert_for_ref
from monitor.facts.service import FactsService
from monitor.kai.rematch import rematch_all
from monitor.kai.timeline import load_timeline
from storage import facts as store
from storage import subscribers as subs
from storage.db import Database
from storage.models import Delivery, Filing, FilingEvent
from tests.test_pipeline import NAVER, NOON, PerSub, _subscriber, filing

ORIGINAL = "20260115800123"
CORRECTION = "20260115800456"


def _pipeline(db: Database) -> Pipeline:
    return Pipeline(db, load_timeline(), {"telegram": PerSub()}, facts=FactsService(db, None))


async def _destinations(db: Database, ref: str) -> set[str]:
    async with db.session() as s:
        rows = (await s.exec(select(Delivery).where(Delivery.ref == ref))).all()
    return {r.destination for r in rows}


async def test_correction_reaches_whoever_got_the_original(db: Database) -> None:
    await _subscriber(db, 101, [NAVER])
    switcher = await _subscriber(db, 102, [NAVER])
    await _subscriber(db, 103, [NAVER], flt="ai")
    async with db.session() as s:
        s.add(filing(ORIGINAL, NAVER, "기타경영사항(자율공시)"))
    p = _pipeline(db)
    await p.run(now=NOON)
    assert await _destinations(db, ORIGINAL) == {"101", "102"}
    async with db.session() as s:
        await subs.set_filter(s, switcher, "ai")
        s.add(filing(CORRECTION, NAVER, "[기재정정]기타경영사항(자율공시)"))
    await p.run(now=NOON)
    # Not AI-related: 102 now filters to AI but saw the original; 103 never did.
    assert await _destinations(db, CORRECTION) == {"101", "102"}
    async with db.session() as s:
        record = await store.get_facts(s, CORRECTION)
    assert record is not None and record.corrects == ORIGINAL
    alert = await alert_for_ref(db, CORRECTION)
    assert alert.corrects == ORIGINAL


async def test_withdrawal_tells_the_same_people(db: Database) -> None:
    sub = await _subscriber(db, 201, [NAVER])
    async with db.session() as s:
        s.add(filing(ORIGINAL, NAVER, "임원ㆍ주요주주특정증권등소유상황보고서"))
    p = _pipeline(db)
    await p.run(now=NOON)
    assert await _destinations(db, ORIGINAL) == {"201"}
    async with db.session() as s:
        await subs.set_filter(s, sub, "ai")  # would drop a routine filing now
        s.add(FilingEvent(rcept_no=ORIGINAL, kind="withdrawn", old_rm="", new_rm="철"))
    await p.run(now=NOON)
    assert await _destinations(db, f"{ORIGINAL}#withdrawn") == {"201"}


async def test_rematch_keeps_reasons_from_stored_facts(db: Database) -> None:
    async with db.session() as s:
        s.add(filing(ORIGINAL, NAVER, "타법인주식및출자증권취득결정"))
        await store.save_facts(
            s,
            ORIGINAL,
            family="stake_acquisition",
            status="extracted",
            source="body",
            facts=[
                {
                    "key": "target",
                    "value": "업스테이지 (AI 파운데이션 모델)",
                    "label": "회사명",
                    "unit": "text",
                    "display": "업스테이지 (AI 파운데이션 모델)",
                    "source": "body",
                },
                {
                    "key": "equity_ratio_pct",
                    "value": 7.5,
                    "label": "자기자본대비(%)",
                    "unit": "%",
                    "display": "7.5%",
                    "source": "body",
                },
            ],
        )
    await _pipeline(db).run(now=NOON)
    before = await alert_for_ref(db, ORIGINAL)
    texts = [r.en for r in before.reasons]
    assert any(t.startswith("AI terms in what the filing says") for t in texts)
    assert any(t == "Size: 7.5% of equity" for t in texts)
    assert before.summary is not None and "업스테이지" in before.summary
    await rematch_all(db, load_timeline())
    after = await alert_for_ref(db, ORIGINAL)
    assert [r.en for r in after.reasons] == texts
    async with db.session() as s:
        stored = await s.get(Filing, ORIGINAL)
    assert stored is not None and stored.alert_state == "done"
