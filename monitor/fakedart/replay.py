"""Filings scheduled over time: the demo's replay of a realistic day, and a stream of
N filings for fault and latency tests. Titles and filers come from
``data/replay.json`` (Korean text is data)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from monitor.fakedart.dataset import DATA_DIR, DatasetError
from monitor.fakedart.model import DartRow, DocumentSpec, as_kst

if TYPE_CHECKING:
    from monitor.fakedart.server import FakeDart

REPLAY_FILE = DATA_DIR / "replay.json"
WATCHED = ("00266961", "00159023", "00181712", "00120021", "00261443")


@dataclass(frozen=True, slots=True)
class ReplayFiling:
    """One scripted filing of the demo day (``at`` is a fraction of the span)."""

    corp_code: str
    report_nm: str
    at: float
    ty: str = "I001"
    krx: bool = True
    flr_nm: str = ""
    rm: str = ""
    topic: str = ""
    amends: int | None = None  # index of the filing this one corrects


@lru_cache(maxsize=1)
def _script() -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(REPLAY_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{REPLAY_FILE}: cannot read ({exc})") from None
    return data


def replay_script() -> list[ReplayFiling]:
    """The demo day's filings, in order."""
    filings: list[ReplayFiling] = []
    for index, entry in enumerate(_script().get("day", [])):
        try:
            filings.append(ReplayFiling(**entry))
        except TypeError as exc:
            raise DatasetError(f"{REPLAY_FILE}: day entry #{index}: {exc}") from None
    return filings


def replay_day(
    fake: FakeDart, start: datetime | None = None, span_seconds: float = 60.0
) -> list[DartRow]:
    """Schedule the demo day on *fake*: about 20 filings of the five companies
    becoming visible between *start* (default now) and ``start + span_seconds``,
    including an AI-relevant filing and an amendment (a new ``[기재정정]`` row; the
    corrected row's rm gains 정 at that moment). Returns the rows in visibility order."""
    begin = as_kst(start) if start is not None else fake.now()
    topics: dict[str, str] = _script().get("topics", {})
    rows: list[DartRow] = []
    for filing in replay_script():
        moment = begin + timedelta(seconds=filing.at * span_seconds)
        if filing.amends is not None:
            rows.append(fake.amend(rows[filing.amends].rcept_no, moment))
            continue
        topic = topics.get(filing.topic, "")
        payload: dict[str, Any] = {
            "corp_code": filing.corp_code,
            "report_nm": filing.report_nm,
            "pblntf_ty": filing.ty[0],
            "pblntf_detail_ty": filing.ty,
            "ai": bool(topic),
        }
        if filing.flr_nm:
            payload["flr_nm"] = filing.flr_nm
        payload["rm"] = filing.rm
        rows.append(
            fake.publish(payload, moment, krx=filing.krx, document=DocumentSpec(topic=topic))
        )
    return rows


def publish_stream(
    fake: FakeDart,
    count: int = 200,
    *,
    start: datetime | None = None,
    span_seconds: float = 60.0,
    corp_codes: tuple[str, ...] = WATCHED,
    seed: int = 0,
    amend_ratio: float = 0.1,
    withdraw_ratio: float = 0.05,
    hide_ratio: float = 0.05,
) -> list[DartRow]:
    """Publish *count* filings spread evenly-at-random over *span_seconds* from
    *start* (default now). Some get amended later (extra ``[기재정정]`` rows, also
    returned), some withdrawn (rm gains 철), some vanish for a while and reappear.
    Every returned row is visible at the end of the span."""
    rng = random.Random(f"stream:{seed}")
    begin = as_kst(start) if start is not None else fake.now()
    kinds: list[dict[str, Any]] = _script().get("stream_kinds", [])
    topics: dict[str, str] = _script().get("topics", {})
    people: list[str] = _script().get("people", ["홍길동"])
    if not kinds:
        raise DatasetError(f"{REPLAY_FILE}: no stream_kinds")
    offsets = sorted(rng.uniform(0, span_seconds * 0.8) for _ in range(count))
    rows: list[DartRow] = []
    for offset in offsets:
        kind = rng.choice(kinds)
        corp_code = rng.choice(corp_codes)
        moment = begin + timedelta(seconds=offset)
        company = fake.company(corp_code)
        listed = company is not None and company.corp_cls in ("Y", "K")
        krx = bool(kind.get("krx", False)) and listed
        payload: dict[str, Any] = {
            "corp_code": corp_code,
            "report_nm": kind["report_nm"] + (" " if rng.random() < 0.05 else ""),
            "pblntf_ty": kind["ty"][0],
            "pblntf_detail_ty": kind["ty"],
            "rm": kind.get("rm", ""),
        }
        if kind.get("filer") == "person":
            payload["flr_nm"] = rng.choice(people)
        topic = topics.get(kind.get("topic", ""), "")
        payload["ai"] = bool(topic)
        row = fake.publish(payload, moment, krx=krx, document=DocumentSpec(topic=topic))
        rows.append(row)
        remaining = span_seconds * 0.95 - offset
        roll = rng.random()
        if roll < amend_ratio:
            rows.append(
                fake.amend(row.rcept_no, moment + timedelta(seconds=rng.uniform(0.1, remaining)))
            )
        elif roll < amend_ratio + withdraw_ratio:
            fake.withdraw(row.rcept_no, moment + timedelta(seconds=rng.uniform(0.1, remaining)))
        elif roll < amend_ratio + withdraw_ratio + hide_ratio:
            gone = moment + timedelta(seconds=rng.uniform(0.1, remaining / 2))
            fake.hide(row.rcept_no, gone)
            fake.unhide(row.rcept_no, gone + timedelta(seconds=rng.uniform(0.1, remaining / 2)))
    rows.sort(key=lambda r: r.visible_at)
    return rows
