"""The fake's data: companies as CORPCODE.xml and company.json describe them, and
filing rows as list.json returns them, with the time-dependent parts OpenDART has
(a row becomes visible at some moment; its ``rm`` gains 정/철 later; it may vanish
for a while and come back)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from monitor.core.kcalendar import KST

Clock = Callable[[], datetime]

# list.json's key order, as in real responses (docs/opendart.md, "list.json").
ROW_KEYS = (
    "corp_code",
    "corp_name",
    "stock_code",
    "corp_cls",
    "report_nm",
    "rcept_no",
    "flr_nm",
    "rcept_dt",
    "rm",
)

# The order letters combine in (real samples: "유정", "코정", "정연").
_RM_ORDER = "유코채넥공정철연"


def combine_rm(letters: str) -> str:
    """``rm`` letters deduplicated, in the order OpenDART prints them."""
    present = set(letters)
    ordered = [c for c in _RM_ORDER if c in present]
    return "".join(ordered + sorted(present - set(_RM_ORDER)))


def real_clock() -> datetime:
    return datetime.now(KST)


class ManualClock:
    """A clock tests move by hand: ``clock.advance(30)``. Callable like the real one."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = moment

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now


class Origin(enum.Enum):
    """Who received the filing; it decides digits 9-10 of the receipt number."""

    DART = "00"  # filed with the FSS through DART, any market
    KRX_KOSPI = "80"  # KRX KOSPI disclosure (rm 유)
    KRX_KOSDAQ = "90"  # KRX KOSDAQ disclosure (rm 코)
    KRX_KONEX = "60"  # KONEX (rm 넥)

    @classmethod
    def krx_for(cls, corp_cls: str) -> Origin:
        return {"Y": cls.KRX_KOSPI, "K": cls.KRX_KOSDAQ, "N": cls.KRX_KONEX}.get(corp_cls, cls.DART)

    @property
    def rm_letter(self) -> str:
        return {"80": "유", "90": "코", "60": "넥"}.get(self.value, "")


@dataclass(slots=True)
class Company:
    """One entry of CORPCODE.xml plus the company.json fields."""

    corp_code: str
    corp_name: str
    stock_code: str = ""  # "" when unlisted (CORPCODE.xml then carries " ")
    corp_cls: str = "E"
    corp_eng_name: str = ""
    modify_date: str = "20250101"
    stock_name: str = ""
    ceo_nm: str = ""
    jurir_no: str = ""
    bizr_no: str = ""
    adres: str = ""
    hm_url: str = ""
    ir_url: str = ""
    phn_no: str = ""
    fax_no: str = ""
    induty_code: str = ""
    est_dt: str = ""
    acc_mt: str = "12"

    def company_json(self) -> dict[str, str]:
        """The flat company.json body, key order as the real one (docs/opendart.md)."""
        return {
            "status": "000",
            "message": "정상",
            "corp_code": self.corp_code,
            "corp_name": self.corp_name,
            "corp_name_eng": self.corp_eng_name,
            "stock_name": self.stock_name or self.corp_name,
            "stock_code": self.stock_code,
            "ceo_nm": self.ceo_nm,
            "corp_cls": self.corp_cls,
            "jurir_no": self.jurir_no,
            "bizr_no": self.bizr_no,
            "adres": self.adres,
            "hm_url": self.hm_url,
            "ir_url": self.ir_url,
            "phn_no": self.phn_no,
            "fax_no": self.fax_no,
            "induty_code": self.induty_code,
            "est_dt": self.est_dt,
            "acc_mt": self.acc_mt,
        }


@dataclass(slots=True)
class DocumentSpec:
    """How to build a filing's document.xml ZIP (bodies are generated, not stored)."""

    topic: str = ""  # a Korean paragraph placed in the body (AI filings name models, GPUs...)
    large: bool = False  # pad the body to about 200 KB (benchmarks)
    euc_kr: bool = False  # EUC-KR bytes under a utf-8 declaration, as some real ZIPs are
    attachment: bool = False  # add ``{rcept_no}_00760.xml``
    text: str | None = None  # an exact body text (tests); overrides the generated one
    markup: bytes | None = None  # the exact bytes of ``{rcept_no}.xml`` (crafted documents)


@dataclass(slots=True)
class RowEvent:
    at: datetime
    kind: str  # "rm" (letter gained), "hide", "show"
    letter: str = ""


@dataclass(slots=True)
class DartRow:
    """One list.json row and the moments at which it changes."""

    corp_code: str
    corp_name: str
    stock_code: str
    corp_cls: str
    report_nm: str
    rcept_no: str
    flr_nm: str
    rcept_dt: str
    rm: str  # the letters it is filed with (market, 공, 연); 정/철 come as events
    visible_at: datetime
    pblntf_ty: str = "I"
    pblntf_detail_ty: str = "I001"
    document: DocumentSpec = field(default_factory=DocumentSpec)
    events: list[RowEvent] = field(default_factory=list)
    ai: bool = False  # generated as AI-relevant (for tests and stats; never on the wire)
    # When the RSS feeds show it (None: with list.json); in_feed=False: the feeds miss it.
    feed_at: datetime | None = None
    in_feed: bool = True

    @property
    def receipt_date(self) -> date:
        return date(int(self.rcept_dt[:4]), int(self.rcept_dt[4:6]), int(self.rcept_dt[6:]))

    @property
    def feed_moment(self) -> datetime:
        return self.feed_at if self.feed_at is not None else self.visible_at

    def in_feed_at(self, now: datetime) -> bool:
        """Whether the RSS feeds list it at *now* (a hidden row leaves them too)."""
        if not self.in_feed or now < self.feed_moment:
            return False
        return now < self.visible_at or self.visible(now)

    def visible(self, now: datetime) -> bool:
        if now < self.visible_at:
            return False
        shown = True
        for event in self.events:
            if event.at <= now and event.kind in ("hide", "show"):
                shown = event.kind == "show"
        return shown

    def rm_at(self, now: datetime) -> str:
        letters = self.rm + "".join(e.letter for e in self.events if e.kind == "rm" and e.at <= now)
        return combine_rm(letters)

    def wire(self, now: datetime) -> dict[str, str]:
        """The row as list.json sends it at *now*: strings only, in the real key order."""
        return {
            "corp_code": self.corp_code,
            "corp_name": self.corp_name,
            "stock_code": self.stock_code,
            "corp_cls": self.corp_cls,
            "report_nm": self.report_nm,
            "rcept_no": self.rcept_no,
            "flr_nm": self.flr_nm,
            "rcept_dt": self.rcept_dt,
            "rm": self.rm_at(now),
        }

    def add_event(self, event: RowEvent) -> None:
        self.events.append(event)
        self.events.sort(key=lambda e: e.at)


def as_kst(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the fake OpenDART needs aware datetimes (use KST or UTC)")
    return moment.astimezone(KST)


def jsonable(row: DartRow, now: datetime) -> dict[str, Any]:
    """A row for ``/_fake`` control responses: the wire fields plus when it shows."""
    data: dict[str, Any] = dict(row.wire(now))
    data["visible_at"] = row.visible_at.isoformat()
    return data
