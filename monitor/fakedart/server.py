"""The fake OpenDART server: state (:class:`FakeDart`) and its ASGI entry point.

Wire format follows ``docs/opendart.md``: errors ride HTTP 200 with a
``{"status", "message"}`` body (XML ``<result>`` for the ZIP endpoints), paging fields
are integers, row fields are strings in the real key order. Tests and the demo drive
it from another thread than the one serving it, so one lock guards all state.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import hashlib
import json
import math
import random
import re
import socket
import struct
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from monitor.facts.corrections import base_title
from monitor.facts.routing import route
from monitor.facts.structured import ds005_endpoints
from monitor.fakedart import dataset as bundled
from monitor.fakedart import documents, feeds
from monitor.fakedart.facts import body_tables, fake_facts
from monitor.fakedart.facts import ds004_row as fake_ds004_row
from monitor.fakedart.facts import ds005_row as fake_ds005_row
from monitor.fakedart.model import (
    Clock,
    Company,
    DartRow,
    DocumentSpec,
    Origin,
    RowEvent,
    as_kst,
    combine_rm,
    jsonable,
    real_clock,
)
from monitor.fakedart.noise import NoiseMarket

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DS005_ENDPOINTS = frozenset(f"{name}.json" for name in ds005_endpoints())
DS004_ENDPOINTS = frozenset({"majorstock.json", "elestock.json"})
ENDPOINTS = (
    "list.json",
    "corpCode.xml",
    "company.json",
    "document.xml",
    *sorted(DS005_ENDPOINTS),
    *sorted(DS004_ENDPOINTS),
)
FEEDS = ("todayRSS.xml", "companyRSS.xml")
# How many items companyRSS keeps (UNCONFIRMED upstream; docs/detection.md).
COMPANY_FEED_ITEMS = 20
# "Never listed": a list.json visibility no test clock reaches.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
ZIP_ENDPOINTS = frozenset({"corpCode.xml", "document.xml"})
JSON_ENDPOINTS = frozenset({"list.json", "company.json"}) | DS005_ENDPOINTS | DS004_ENDPOINTS

# Real message texts (docs/opendart.md, "Status codes and messages"). 020's long form
# is the current guide's; a short form is also seen -- clients branch on status, not text.
MESSAGES = {
    "000": "정상",
    "010": "등록되지 않은 키입니다.",
    "011": "사용할 수 없는 키입니다. 오픈API에 등록되었으나, 일시적으로 사용 중지된 키를 통하여 "
    "검색하는 경우 발생합니다.",
    "012": "접근할 수 없는 IP입니다.",
    "013": "조회된 데이타가 없습니다.",
    "014": "파일이 존재하지 않습니다.",
    "020": "요청 제한을 초과하였습니다. 일반적으로는 "
    "20,000건 이상의 요청에 대하여 이 에러 메시지가 "
    "발생되나, 요청 제한이 다르게 설정된 경우에는 이에 준하여 발생됩니다.",
    "100": "필드의 부적절한 값입니다. 필드 설명에 없는 값을 사용한 경우에 발생하는 메시지입니다.",
    "101": "부적절한 접근입니다.",
    "800": "시스템 점검으로 인한 서비스가 중지 중입니다.",
    "900": "정의되지 않은 오류가 발생하였습니다.",
    "901": "사용자 계정의 개인정보 보유기간이 만료되어 사용할 수 없는 키입니다. "
    "관리자 이메일(opendart@fss.or.kr)로 문의하시기 바랍니다.",
}
THREE_MONTHS_MESSAGE = "corp_code가 없는 경우 검색기간은 3개월만 가능합니다."

STATUS_FAULTS = ("020", "800", "900", "010", "011", "012", "901")
FAULT_KINDS = (
    *STATUS_FAULTS,
    "html502",
    "html200",
    "truncated",
    "malformed",
    "wrongtypes",
    "slow",
    "reset",
    "notzip",
    "badzip",
)
_JSON_ONLY_FAULTS = frozenset({"wrongtypes"})
_ZIP_ONLY_FAULTS = frozenset({"notzip", "badzip"})

_KEY_RE = re.compile(r"[0-9A-Za-z]{40}")
_CODE_RE = re.compile(r"\d{8}")
_RCEPT_RE = re.compile(r"\d{14}")
_DATE_RE = re.compile(r"\d{8}")

JSON_TYPE = b"application/json;charset=UTF-8"
# A 3rd-party note says ZIPs come as application/x-msdownload (UNCONFIRMED); XML error
# bodies are sent with the same type so clients have to sniff the magic, as they must.
ZIP_TYPE = b"application/x-msdownload"

_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_HTML_MAINTENANCE = (
    '<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8">'
    "<title>전자공시 OPENDART 시스템 점검 안내</title></head><body>"
    "<h1>시스템 점검 안내</h1><p>보다 나은 서비스를 위하여 시스템 점검을 실시합니다. "
    "점검 시간 동안 서비스 이용이 중단됩니다.</p></body></html>"
).encode()

_NOISE_CACHE_DAYS = 120


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the fake saw it. ``params`` never holds ``crtfc_key``."""

    at: datetime  # the fake's clock
    endpoint: str  # "list.json", ... or the raw path for unknown ones
    params: dict[str, str]
    status: str  # OpenDART status sent, or the fault kind ("html502", "reset", ...)
    http_status: int  # 0 when the connection was dropped
    fault: str | None = None


@dataclass(slots=True)
class _Fault:
    kind: str
    endpoint: str | None
    seconds: float | None


@dataclass(slots=True)
class _Response:
    http_status: int = 200
    content_type: bytes = JSON_TYPE
    body: bytes = b""
    status: str = "000"
    delay: float = 0.0
    reset: bool = False
    fault: str | None = None
    extra_headers: list[tuple[bytes, bytes]] = field(default_factory=list)


class _BadParam(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _field_error(name: str) -> _BadParam:
    # Field-specific 100 text as seen for corp_code (dart-fss #111).
    return _BadParam("100", f"{name}가 필드의 부적절한 값입니다.")


def _parse_day(value: str, name: str) -> date:
    if not _DATE_RE.fullmatch(value):
        raise _field_error(name)
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise _field_error(name) from None


def months_back(day: date, months: int) -> date:
    """*day* moved back by calendar months, the day clamped to the month's end: the
    earliest ``bgn_de`` the three-month rule allows (the real cut-off is UNCONFIRMED)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


class FakeDart:
    """A local OpenDART. Serve it (it is an ASGI app) with
    ``monitor.core.loopback.serve_in_thread(fake)`` and point ``DART_BASE_URL`` at
    ``<url>/api``.

    Parameters:
        clock: returns the current aware datetime; rows are visible once their
            ``visible_at`` has passed. Default: real time (KST).
        keys: the accepted 40-character keys; ``None`` accepts any well-formed key.
            Missing, malformed or unknown keys get 010.
        dataset: load the bundled synthetic filings of the five companies.
        noise_per_day: synthetic market-wide filings per business day (0: none).
        noise_companies: synthetic companies in CORPCODE.xml (and filing noise).
        corp_eng_name: CORPCODE.xml carries ``<corp_eng_name>`` (the 2025+ shape);
            False gives the 2023 shape.
        ncsoft_renamed: NCSOFT's corp_name is "NC" (2025-26 rows) instead of
            "엔씨소프트" (the 2023 CORPCODE.xml).
        slow_seconds: how long a "slow" fault stalls (beyond a client's timeout).
        daily_limit: requests after which every call answers 020 (None: no limit).
        seed: for noise, random faults and generated streams.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        keys: Iterable[str] | None = None,
        dataset: bool = True,
        noise_per_day: int = 500,
        noise_companies: int = 3000,
        corp_eng_name: bool = True,
        ncsoft_renamed: bool = False,
        slow_seconds: float = 30.0,
        daily_limit: int | None = None,
        seed: int = 0,
    ) -> None:
        self.clock: Clock = clock or real_clock
        self.keys: frozenset[str] | None = frozenset(keys) if keys is not None else None
        self.corp_eng_name = corp_eng_name
        self.slow_seconds = slow_seconds
        # How long after a filing shows in list.json its DS005/DS004 row appears
        # (the real latency is unknown; tests set it to exercise the retries).
        self.structured_lag = timedelta(0)
        self.daily_limit = daily_limit
        self.seed = seed
        self._lock = threading.RLock()
        self._key_status: dict[str, str] = {}

        named = bundled.load_companies(ncsoft_renamed=ncsoft_renamed)
        self._named: dict[str, Company] = {c.corp_code: c for c in named}
        self.noise = NoiseMarket(
            seed=seed,
            company_count=noise_companies,
            per_day=noise_per_day,
            avoid_stock_codes=frozenset(c.stock_code for c in named if c.stock_code),
        )

        self._rows: dict[str, DartRow] = {}
        self._by_day: dict[date, list[DartRow]] = {}
        self._by_corp: dict[str, list[DartRow]] = {}
        self._max_seq: dict[tuple[date, str], int] = {}
        self._noise_days: OrderedDict[date, list[DartRow]] = OrderedDict()
        self._promoted: set[str] = set()
        self._day_sorted: OrderedDict[date, list[DartRow]] = OrderedDict()

        self._faults: deque[_Fault] = deque()
        self._random_rate = 0.0
        self._random_kinds: tuple[str, ...] = ()
        self._random = random.Random(seed)
        self._quota_exhausted = False
        self._served = 0

        self._feed_faults: deque[_Fault] = deque()
        self._feed_frozen_at: datetime | None = None
        self._feed_order = "newest"
        self.feed_conditional = True

        self.requests: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.request_log: list[RequestRecord] = []
        self._corpcode_zip: bytes | None = None

        if dataset:
            for row in bundled.load_filings(self._named):
                self._store(row)

    # ----------------------------------------------------------------- companies

    def company(self, corp_code: str) -> Company | None:
        """A named or synthetic company by corp code."""
        return self._named.get(corp_code) or self.noise.company(corp_code)

    @property
    def companies(self) -> list[Company]:
        """Everything CORPCODE.xml lists: the named companies, then the noise."""
        return [*self._named.values(), *self.noise.companies]

    def add_company(self, company: Company) -> None:
        """Register another company (it appears in CORPCODE.xml and company.json)."""
        with self._lock:
            self._named[company.corp_code] = company
            self._corpcode_zip = None

    # ---------------------------------------------------------------- publishing

    def now(self) -> datetime:
        return as_kst(self.clock())

    def publish(
        self,
        row: Mapping[str, Any],
        visible_at: datetime | None = None,
        *,
        krx: bool | None = None,
        document: DocumentSpec | None = None,
        feed_at: datetime | None = None,
        in_feed: bool = True,
        listed: bool = True,
    ) -> DartRow:
        """Add a filing that becomes visible at *visible_at* (default: now).

        The RSS feeds show it from *feed_at* (default: with list.json); ``in_feed=False``
        keeps it out of the feeds, ``listed=False`` out of list.json (a feed item whose
        row never comes).

        *row* needs ``corp_code`` and ``report_nm``; ``corp_name``, ``stock_code``
        and ``corp_cls`` come from the company when omitted, ``flr_nm`` defaults to
        the company name, ``rcept_dt`` to the KST date of *visible_at*, and
        ``rcept_no`` is allocated (KRX rows -- ``krx=True``, the default for listed
        companies' I-type filings -- get 80/90 in digits 9-10 and rm 유/코; ``rm``
        in *row* holds only the other letters, e.g. "공" or "연").
        Returns the stored row; its ``rcept_no`` is what the client will see.
        """
        with self._lock:
            moment = as_kst(visible_at) if visible_at is not None else self.now()
            corp_code = str(row["corp_code"])
            company = self.company(corp_code)
            if company is None and "corp_name" not in row:
                raise ValueError(f"unknown corp_code {corp_code}: give corp_name too")
            corp_cls = str(row.get("corp_cls", company.corp_cls if company else "E"))
            pblntf_ty = str(row.get("pblntf_ty", "I"))
            if krx is None:
                krx = pblntf_ty == "I" and corp_cls in ("Y", "K", "N")
            origin = Origin.krx_for(corp_cls) if krx else Origin.DART
            day = date.fromisoformat(
                _iso_day(str(row["rcept_dt"])) if "rcept_dt" in row else moment.date().isoformat()
            )
            rcept_no = str(row.get("rcept_no") or self._allocate(day, origin))
            if not _RCEPT_RE.fullmatch(rcept_no):
                raise ValueError(f"rcept_no must be 14 digits: {rcept_no!r}")
            if self._find(rcept_no) is not None:
                raise ValueError(f"rcept_no {rcept_no} already exists")
            name = str(row.get("corp_name", company.corp_name if company else ""))
            stored = DartRow(
                corp_code=corp_code,
                corp_name=name,
                stock_code=str(row.get("stock_code", company.stock_code if company else "")),
                corp_cls=corp_cls,
                report_nm=str(row["report_nm"]),
                rcept_no=rcept_no,
                flr_nm=str(row.get("flr_nm", name)),
                rcept_dt=day.strftime("%Y%m%d"),
                rm=combine_rm(origin.rm_letter + str(row.get("rm", ""))),
                visible_at=moment,
                pblntf_ty=pblntf_ty,
                pblntf_detail_ty=str(row.get("pblntf_detail_ty", pblntf_ty + "001")),
                document=document or DocumentSpec(),
                ai=bool(row.get("ai", False)),
                feed_at=as_kst(feed_at) if feed_at is not None else (None if listed else moment),
                in_feed=in_feed,
            )
            if not listed:
                stored.visible_at = NEVER
            self._store(stored)
            return stored

    def amend(
        self,
        rcept_no: str,
        visible_at: datetime | None = None,
        *,
        report_nm: str | None = None,
        flr_nm: str | None = None,
        document: DocumentSpec | None = None,
    ) -> DartRow:
        """File a correction: a NEW row ``[기재정정]<title>`` with its own receipt
        number; when it becomes visible, the original's ``rm`` gains 정."""
        with self._lock:
            original = self._require(rcept_no, promote=True)
            moment = as_kst(visible_at) if visible_at is not None else self.now()
            title = original.report_nm.strip()
            for prefix in ("[기재정정]", "[첨부정정]", "[첨부추가]"):
                title = title.removeprefix(prefix)
            krx = original.rcept_no[8:10] in ("80", "90", "60")
            base_rm = original.rm.replace("정", "").replace("철", "")
            amended = self.publish(
                {
                    "corp_code": original.corp_code,
                    "corp_name": original.corp_name,
                    "stock_code": original.stock_code,
                    "corp_cls": original.corp_cls,
                    "report_nm": report_nm or f"[기재정정]{title}",
                    "flr_nm": flr_nm or original.flr_nm,
                    "rm": base_rm,
                    "pblntf_ty": original.pblntf_ty,
                    "pblntf_detail_ty": original.pblntf_detail_ty,
                    "ai": original.ai,
                },
                moment,
                krx=krx,
                document=document
                or DocumentSpec(
                    topic=original.document.topic,
                    euc_kr=original.document.euc_kr,
                    attachment=original.document.attachment,
                    text=original.document.text,
                ),
            )
            original.add_event(RowEvent(at=moment, kind="rm", letter="정"))
            return amended

    def withdraw(self, rcept_no: str, at: datetime | None = None) -> DartRow:
        """Mark a filing withdrawn: its ``rm`` gains 철 from *at* (default now)."""
        with self._lock:
            row = self._require(rcept_no, promote=True)
            row.add_event(RowEvent(at=as_kst(at) if at else self.now(), kind="rm", letter="철"))
            return row

    def hide(self, rcept_no: str, at: datetime | None = None) -> DartRow:
        """Make a visible row vanish from list.json (and document.xml) from *at*."""
        with self._lock:
            row = self._require(rcept_no, promote=True)
            row.add_event(RowEvent(at=as_kst(at) if at else self.now(), kind="hide"))
            return row

    def unhide(self, rcept_no: str, at: datetime | None = None) -> DartRow:
        """Bring a hidden row back from *at*."""
        with self._lock:
            row = self._require(rcept_no, promote=True)
            row.add_event(RowEvent(at=as_kst(at) if at else self.now(), kind="show"))
            return row

    def replay_day(
        self, start: datetime | None = None, span_seconds: float = 60.0
    ) -> list[DartRow]:
        """Schedule the demo's realistic day; see :func:`monitor.fakedart.replay_day`."""
        from monitor.fakedart.replay import replay_day

        return replay_day(self, start, span_seconds)

    def publish_stream(
        self,
        count: int = 200,
        *,
        start: datetime | None = None,
        span_seconds: float = 60.0,
        seed: int = 0,
    ) -> list[DartRow]:
        """*count* filings over time; see :func:`monitor.fakedart.publish_stream`."""
        from monitor.fakedart.replay import publish_stream

        return publish_stream(self, count, start=start, span_seconds=span_seconds, seed=seed)

    def row(self, rcept_no: str) -> DartRow | None:
        """A stored, published or synthetic row by receipt number."""
        with self._lock:
            return self._find(rcept_no)

    def visible_rows(
        self,
        corp_codes: Iterable[str] | None = None,
        *,
        bgn_de: date | None = None,
        end_de: date | None = None,
        at: datetime | None = None,
    ) -> list[dict[str, str]]:
        """The wire rows a complete poll would see at *at* (default now), newest
        first: what tests compare the stored filings against. Without *corp_codes*
        only the named companies' rows (not the noise) are returned."""
        with self._lock:
            now = as_kst(at) if at else self.now()
            codes = set(corp_codes) if corp_codes is not None else set(self._named)
            out: list[DartRow] = []
            for code in codes:
                for row in self._by_corp.get(code, []):
                    day = row.receipt_date
                    if (bgn_de and day < bgn_de) or (end_de and day > end_de):
                        continue
                    if row.visible(now):
                        out.append(row)
            out.sort(key=_date_key, reverse=True)
            return [r.wire(now) for r in out]

    # -------------------------------------------------------------------- faults

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        endpoint: str | None = None,
        seconds: float | None = None,
    ) -> None:
        """Queue *count* faults of *kind* (see ``FAULT_KINDS``) for the next matching
        requests (of *endpoint* only, if given). "020" is sticky: once served, every
        later call answers 020 until :meth:`reset_quota`. ``seconds`` sets a "slow"
        fault's stall."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {', '.join(ENDPOINTS)}")
        with self._lock:
            for _ in range(count):
                self._faults.append(_Fault(kind, endpoint, seconds))

    def set_random_faults(
        self, rate: float, kinds: Iterable[str] | None = None, seed: int = 0
    ) -> None:
        """Fail a fraction *rate* of requests with a random kind from *kinds*
        (default: the transient ones a client must survive). ``rate=0`` stops it."""
        chosen = tuple(kinds) if kinds is not None else TRANSIENT_FAULTS
        for kind in chosen:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            self._random_rate = rate
            self._random_kinds = chosen
            self._random = random.Random(seed)

    def clear_faults(self) -> None:
        """Drop queued faults and stop random ones (the quota state is kept)."""
        with self._lock:
            self._faults.clear()
            self._random_rate = 0.0

    def reset_quota(self) -> None:
        """The new day: 020 stops and the daily count starts again."""
        with self._lock:
            self._quota_exhausted = False
            self._served = 0

    # ------------------------------------------------------------------ feed faults

    def inject_feed(self, kind: str, count: int = 1, *, seconds: float | None = None) -> None:
        """Queue *count* faults of *kind* (``feeds.FEED_FAULTS``) for the next feed
        requests; a large count keeps the feed broken until :meth:`clear_feed_faults`."""
        if kind not in feeds.FEED_FAULTS:
            raise ValueError(f"unknown feed fault {kind!r}; known: {', '.join(feeds.FEED_FAULTS)}")
        with self._lock:
            for _ in range(count):
                self._feed_faults.append(_Fault(kind, None, seconds))

    def clear_feed_faults(self) -> None:
        with self._lock:
            self._feed_faults.clear()

    def freeze_feed(self, at: datetime | None = None) -> None:
        """Serve the feeds as they were at *at* (default now) until :meth:`thaw_feed`:
        a stale feed that still answers 200."""
        with self._lock:
            self._feed_frozen_at = as_kst(at) if at else self.now()

    def thaw_feed(self) -> None:
        with self._lock:
            self._feed_frozen_at = None

    def set_feed_order(self, order: str) -> None:
        """ "newest" (DART's order) or "shuffled" (items out of order)."""
        if order not in ("newest", "shuffled"):
            raise ValueError("feed order must be newest or shuffled")
        with self._lock:
            self._feed_order = order

    def feed_rows(self, crp_cd: str | None = None, at: datetime | None = None) -> list[DartRow]:
        """The rows a feed lists at *at* (default now), newest first: todayRSS (the KST
        day's filings of every market) or, with *crp_cd*, that company's recent ones."""
        with self._lock:
            now = as_kst(at) if at else self.now()
            if crp_cd is not None:
                rows = [r for r in self._by_corp.get(crp_cd, []) if r.in_feed_at(now)]
                rows.sort(key=_feed_key, reverse=True)
                return rows[:COMPANY_FEED_ITEMS]
            rows = [
                r
                for r in self._day_rows(now.date())
                if r.in_feed_at(now) and r.feed_moment.date() == now.date()
            ]
            rows.sort(key=_feed_key, reverse=True)
            return rows

    @property
    def quota_exhausted(self) -> bool:
        return self._quota_exhausted

    def set_key_status(self, key: str, status: str) -> None:
        """Make *key* answer *status* (e.g. "011" suspended, "012" wrong IP, "901"
        expired) on every call; "000" makes it valid again."""
        with self._lock:
            self._key_status[key] = status

    # --------------------------------------------------------------------- stats

    def count(self, endpoint: str | None = None) -> int:
        """Requests received (all endpoints, or one), faults included."""
        with self._lock:
            return self.requests[endpoint] if endpoint else sum(self.requests.values())

    def records(self, endpoint: str | None = None) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.request_log if endpoint is None or r.endpoint == endpoint]

    def stats(self) -> dict[str, Any]:
        """Counters for benchmarks and subprocess tests (also at ``/_fake/stats``)."""
        with self._lock:
            now = self.now()
            named_rows = [r for code in self._named for r in self._by_corp.get(code, [])]
            return {
                "now": now.isoformat(),
                "requests": dict(self.requests),
                "total_requests": sum(self.requests.values()),
                "statuses": dict(self.statuses),
                "quota_exhausted": self._quota_exhausted,
                "faults_queued": len(self._faults),
                "random_fault_rate": self._random_rate,
                "rows_stored": len(self._rows),
                "rows_visible_named": sum(1 for r in named_rows if r.visible(now)),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self.request_log.clear()

    # ---------------------------------------------------------------------- ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        path: str = scope.get("path", "")
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if path.startswith("/_fake/"):
            response = self._control(path.removeprefix("/_fake/"), params, body)
        elif path.removeprefix("/api/") in FEEDS:
            request_headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            response = self.handle_feed(path.removeprefix("/api/"), params, request_headers)
        elif path.startswith("/api/"):
            response = self.handle(path.removeprefix("/api/"), params)
        else:
            response = _Response(404, b"text/html; charset=utf-8", b"<h1>404 Not Found</h1>", "404")
        if response.delay > 0:
            disconnected = await _wait_disconnect(receive, response.delay)
            if disconnected:
                return
        if response.reset:
            await _drop_connection(send)
            return
        headers = [
            (b"content-type", response.content_type),
            (b"content-length", str(len(response.body)).encode()),
            *response.extra_headers,
        ]
        await send(
            {"type": "http.response.start", "status": response.http_status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": response.body, "more_body": False})

    def handle(self, endpoint: str, params: Mapping[str, str]) -> _Response:
        """Answer one API request (no I/O): faults first, then OpenDART's rules."""
        with self._lock:
            now = self.now()
            clean = {k: v for k, v in params.items() if k != "crtfc_key"}
            self.requests[endpoint] += 1
            if endpoint not in ENDPOINTS:
                response = _Response(
                    404, b"text/html; charset=utf-8", b"<h1>404 Not Found</h1>", "404"
                )
            else:
                response = self._answer(endpoint, params, now)
            self.statuses[response.status] += 1
            self.request_log.append(
                RequestRecord(
                    at=now,
                    endpoint=endpoint,
                    params=clean,
                    status=response.status,
                    http_status=0 if response.reset else response.http_status,
                    fault=response.fault,
                )
            )
            return response

    def handle_feed(
        self, name: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> _Response:
        """Answer one feed request: queued faults first, then the feed, with an ETag
        and Last-Modified and a 304 when the client already holds this version."""
        with self._lock:
            now = self.now()
            self.requests[name] += 1
            response = self._feed_answer(name, params, headers, now)
            self.statuses[response.status] += 1
            self.request_log.append(
                RequestRecord(
                    at=now,
                    endpoint=name,
                    params=dict(params),
                    status=response.status,
                    http_status=0 if response.reset else response.http_status,
                    fault=response.fault,
                )
            )
            return response

    def _feed_heading(self, crp_cd: str | None) -> str:
        if crp_cd is None:
            return "DART : 오늘의 공시"
        company = self.company(crp_cd)
        if company is None:
            return f"DART : {crp_cd}의 공시"
        return f"DART : ({feeds.MARKETS.get(company.corp_cls, '기타')}){company.corp_name}의 공시"

    def _feed_answer(
        self, name: str, params: Mapping[str, str], headers: Mapping[str, str], now: datetime
    ) -> _Response:
        fault = self._feed_faults.popleft() if self._feed_faults else None
        if fault is not None and fault.kind == "down":
            return _Response(0, b"", b"", "down", reset=True, fault="down")
        crp_cd = params.get("crpCd") if name == "companyRSS.xml" else None
        if name == "companyRSS.xml" and not (crp_cd and _CODE_RE.fullmatch(crp_cd)):
            return _Response(
                200,
                feeds.RSS_TYPE,
                feeds.render([], heading="DART", now=now, category=False),
                "200",
            )
        moment = self._feed_frozen_at or now
        rows = self.feed_rows(crp_cd, moment)
        if self._feed_order == "shuffled":
            random.Random(f"{self.seed}:{moment.isoformat()}").shuffle(rows)
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        stamp = max((r.feed_moment for r in rows), default=midnight)
        body = feeds.render(
            rows, heading=self._feed_heading(crp_cd), now=stamp, category=crp_cd is None
        )
        if fault is not None:
            if fault.kind == "slow":
                seconds = fault.seconds if fault.seconds is not None else self.slow_seconds
                return _Response(200, feeds.RSS_TYPE, body, "slow", delay=seconds, fault="slow")
            http, ctype, bad = feeds.fault_body(fault.kind, body)
            return _Response(http, ctype, bad, fault.kind, fault=fault.kind)
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16] + '"'
        modified = format_datetime(stamp.astimezone(UTC).replace(microsecond=0), usegmt=True)
        extra = [(b"etag", etag.encode()), (b"last-modified", modified.encode())]
        if not self.feed_conditional:
            extra = []
        elif headers.get("if-none-match") == etag:
            return _Response(304, feeds.RSS_TYPE, b"", "304", extra_headers=extra)
        return _Response(200, feeds.RSS_TYPE, body, "200", extra_headers=extra)

    # ------------------------------------------------------------------ internals

    def _answer(self, endpoint: str, params: Mapping[str, str], now: datetime) -> _Response:
        if self._quota_exhausted:
            return self._status(endpoint, "020")
        fault = self._next_fault(endpoint)
        if fault is not None:
            return self._fault_response(endpoint, fault, params, now)
        if self.daily_limit is not None:
            self._served += 1
            if self._served > self.daily_limit:
                self._quota_exhausted = True
                return self._status(endpoint, "020")
        key = params.get("crtfc_key", "")
        if not _KEY_RE.fullmatch(key) or (self.keys is not None and key not in self.keys):
            return self._status(endpoint, "010")
        key_status = self._key_status.get(key, "000")
        if key_status != "000":
            return self._status(endpoint, key_status)
        try:
            if endpoint == "list.json":
                return self._list(params, now)
            if endpoint == "company.json":
                return self._company(params)
            if endpoint == "corpCode.xml":
                return self._corpcode()
            if endpoint in DS005_ENDPOINTS:
                return self._major_events(endpoint, params, now)
            if endpoint in DS004_ENDPOINTS:
                return self._ownership(endpoint, params, now)
            return self._document(params, now)
        except _BadParam as bad:
            return self._status(endpoint, bad.status, bad.message)

    def _status(
        self, endpoint: str, status: str, message: str | None = None, *, fault: str | None = None
    ) -> _Response:
        text = message or MESSAGES.get(status, MESSAGES["900"])
        if endpoint in ZIP_ENDPOINTS:
            body = documents.xml_error(status, text)
            return _Response(200, ZIP_TYPE, body, status, fault=fault)
        return _Response(
            200, JSON_TYPE, _json({"status": status, "message": text}), status, fault=fault
        )

    def _next_fault(self, endpoint: str) -> _Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.endpoint not in (None, endpoint) or not _applies(fault.kind, endpoint):
                continue
            del self._faults[index]
            return fault
        if self._random_rate > 0 and self._random.random() < self._random_rate:
            kinds = [k for k in self._random_kinds if _applies(k, endpoint)]
            if kinds:
                return _Fault(self._random.choice(kinds), None, None)
        return None

    def _fault_response(
        self, endpoint: str, fault: _Fault, params: Mapping[str, str], now: datetime
    ) -> _Response:
        kind = fault.kind
        if kind == "020":
            self._quota_exhausted = True
        if kind in STATUS_FAULTS:
            return self._status(endpoint, kind, fault=kind)
        if kind == "html502":
            return _Response(502, b"text/html", _HTML_502, kind, fault=kind)
        if kind == "html200":
            return _Response(200, b"text/html;charset=UTF-8", _HTML_MAINTENANCE, kind, fault=kind)
        if kind == "reset":
            return _Response(0, b"", b"", kind, reset=True, fault=kind)
        if kind == "slow":
            seconds = fault.seconds if fault.seconds is not None else self.slow_seconds
            return self._with_fault(self._healthy(endpoint, params, now), kind, delay=seconds)
        if kind == "notzip":
            body = b"\x1f\x8b\x08\x00" + bytes(range(60))  # gzip-looking junk: not a ZIP
            return _Response(200, ZIP_TYPE, body, kind, fault=kind)
        if kind == "badzip":
            body = b"PK\x03\x04" + bytes(256)  # the magic passes, the archive does not
            return _Response(200, ZIP_TYPE, body, kind, fault=kind)
        if kind == "truncated":
            good = self._healthy(endpoint, params, now)
            return self._with_fault(good, kind, body=good.body[: max(len(good.body) // 2, 10)])
        if kind == "malformed":
            if endpoint in ZIP_ENDPOINTS:
                body = b'<?xml version="1.0" encoding="UTF-8"?>\n<result><status>9'
                return _Response(200, ZIP_TYPE, body, kind, fault=kind)
            body = '{"status":"000","message":"정상",,"page_no":1,"list":[{"corp_code":}'.encode()
            return _Response(200, JSON_TYPE, body, kind, fault=kind)
        # wrongtypes
        good = self._healthy(endpoint, params, now)
        return self._with_fault(good, kind, body=_wrong_types(good.body, self._random))

    def _healthy(self, endpoint: str, params: Mapping[str, str], now: datetime) -> _Response:
        """The answer without faults (what a slow or damaged response starts from)."""
        faults, rate = self._faults, self._random_rate
        self._faults, self._random_rate = deque(), 0.0
        try:
            return self._answer(endpoint, params, now)
        finally:
            self._faults, self._random_rate = faults, rate

    @staticmethod
    def _with_fault(
        good: _Response, kind: str, *, body: bytes | None = None, delay: float = 0.0
    ) -> _Response:
        return _Response(
            good.http_status,
            good.content_type,
            good.body if body is None else body,
            kind if body is not None else good.status,
            delay=delay,
            fault=kind,
        )

    # list.json ------------------------------------------------------------------

    def _list(self, params: Mapping[str, str], now: datetime) -> _Response:
        corp_code = params.get("corp_code", "")
        if corp_code and not _CODE_RE.fullmatch(corp_code):
            raise _field_error("corp_code")
        end_de = _parse_day(params["end_de"], "end_de") if params.get("end_de") else now.date()
        bgn_de = _parse_day(params["bgn_de"], "bgn_de") if params.get("bgn_de") else end_de
        if not corp_code and bgn_de < months_back(end_de, 3):
            raise _BadParam("100", THREE_MONTHS_MESSAGE)
        last_only = _choice(params, "last_reprt_at", ("Y", "N"), "N") == "Y"
        pblntf_ty = params.get("pblntf_ty", "")
        if pblntf_ty and pblntf_ty not in "ABCDEFGHIJ":
            raise _field_error("pblntf_ty")
        detail = params.get("pblntf_detail_ty", "")
        if detail and not re.fullmatch(r"[A-J]\d{3}", detail):
            raise _field_error("pblntf_detail_ty")
        corp_cls = params.get("corp_cls", "")
        if corp_cls and corp_cls not in ("Y", "K", "N", "E"):
            raise _field_error("corp_cls")
        sort = _choice(params, "sort", ("date", "crp", "rpt"), "date")
        sort_mth = _choice(params, "sort_mth", ("asc", "desc"), "desc")
        page_no = _int_param(params, "page_no", 1, 1, 99_999)
        page_count = _int_param(params, "page_count", 10, 1, 100)

        selected: list[DartRow] = []
        for row in self._candidates(corp_code, bgn_de, end_de):
            if not row.visible(now):
                continue
            if pblntf_ty and row.pblntf_ty != pblntf_ty:
                continue
            if detail and row.pblntf_detail_ty != detail:
                continue
            if corp_cls and row.corp_cls != corp_cls:
                continue
            if last_only and "정" in row.rm_at(now):
                continue
            selected.append(row)
        if not selected:
            return self._status("list.json", "013")
        if sort == "date":
            if sort_mth == "asc":
                selected.reverse()
        elif sort == "crp":
            selected.sort(key=lambda r: (r.corp_name, r.rcept_no), reverse=sort_mth == "desc")
        else:
            selected.sort(key=lambda r: (r.report_nm, r.rcept_no), reverse=sort_mth == "desc")
        total = len(selected)
        total_page = math.ceil(total / page_count)
        if page_no > total_page:
            # Past the last page OpenDART has nothing to list (UNCONFIRMED: 013 assumed).
            return self._status("list.json", "013")
        page = selected[(page_no - 1) * page_count : page_no * page_count]
        body = {
            "status": "000",
            "message": "정상",
            "page_no": page_no,
            "page_count": page_count,
            "total_count": total,
            "total_page": total_page,
            "list": [r.wire(now) for r in page],
        }
        return _Response(200, JSON_TYPE, _json(body), "000")

    def _candidates(self, corp_code: str, bgn_de: date, end_de: date) -> Iterable[DartRow]:
        """Rows of the window, newest first (receipt date, then receipt number)."""
        if corp_code and not self.noise.has(corp_code):
            rows = [
                r for r in self._by_corp.get(corp_code, []) if bgn_de <= r.receipt_date <= end_de
            ]
            rows.sort(key=_date_key, reverse=True)
            yield from rows
            return
        day = end_de
        while day >= bgn_de:
            for row in self._day_rows(day):
                if not corp_code or row.corp_code == corp_code:
                    yield row
            day -= timedelta(days=1)

    def _day_rows(self, day: date) -> list[DartRow]:
        cached = self._day_sorted.get(day)
        if cached is None:
            cached = [*self._by_day.get(day, []), *self._noise_day(day)]
            cached.sort(key=_date_key, reverse=True)
            self._day_sorted[day] = cached
            while len(self._day_sorted) > _NOISE_CACHE_DAYS:
                self._day_sorted.popitem(last=False)
        return cached

    # other endpoints ---------------------------------------------------------------

    def _company(self, params: Mapping[str, str]) -> _Response:
        corp_code = params.get("corp_code", "")
        if not _CODE_RE.fullmatch(corp_code):
            raise _field_error("corp_code")
        company = self.company(corp_code)
        if company is None:
            return self._status("company.json", "013")
        return _Response(200, JSON_TYPE, _json(company.company_json()), "000")

    def _corpcode(self) -> _Response:
        if self._corpcode_zip is None:
            self._corpcode_zip = documents.corpcode_zip(self.companies, self.corp_eng_name)
        return _Response(
            200,
            ZIP_TYPE,
            self._corpcode_zip,
            "000",
            extra_headers=[(b"content-disposition", b'attachment; filename="CORPCODE.zip"')],
        )

    def _document(self, params: Mapping[str, str], now: datetime) -> _Response:
        rcept_no = params.get("rcept_no", "")
        if not _RCEPT_RE.fullmatch(rcept_no):
            raise _field_error("rcept_no")
        row = self._find(rcept_no)
        if row is None or not row.visible(now):
            return self._status("document.xml", "014")
        company = self.company(row.corp_code)
        facts = fake_facts(row, self._original(row))
        extra = body_tables(facts) if facts is not None else ""
        body = documents.document_zip(row, company, extra=extra)
        return _Response(
            200,
            ZIP_TYPE,
            body,
            "000",
            extra_headers=[
                (b"content-disposition", f'attachment; filename="{rcept_no}.zip"'.encode())
            ],
        )

    # DS005 / DS004 ------------------------------------------------------------------

    def _original(self, row: DartRow) -> DartRow | None:
        """The filing a [기재정정] row corrects: the latest earlier row of the company
        with the same title once prefixes are removed."""
        where = route(row.report_nm)
        if where is None or not where.correction:
            return None
        title = base_title(row.report_nm)
        earlier = [
            r
            for r in self._by_corp.get(row.corp_code, [])
            if r.rcept_no < row.rcept_no and base_title(r.report_nm) == title
        ]
        return max(earlier, key=lambda r: r.rcept_no) if earlier else None

    def _structured(self, row: DartRow, now: datetime) -> bool:
        return row.visible(now) and row.visible_at + self.structured_lag <= now

    def _major_events(self, endpoint: str, params: Mapping[str, str], now: datetime) -> _Response:
        """DS005: one row per event under its newest version's rcept_no; the window
        filters on the ORIGINAL filing date; all four parameters required."""
        corp_code = params.get("corp_code", "")
        if not _CODE_RE.fullmatch(corp_code):
            raise _field_error("corp_code")
        for name in ("bgn_de", "end_de"):
            if not params.get(name):
                raise _field_error(name)
        bgn_de = _parse_day(params["bgn_de"], "bgn_de")
        end_de = _parse_day(params["end_de"], "end_de")
        wanted = endpoint.removesuffix(".json")
        events: dict[str, tuple[DartRow, DartRow]] = {}  # original rcept_no -> (orig, newest)
        for row in sorted(self._by_corp.get(corp_code, []), key=lambda r: r.rcept_no):
            where = route(row.report_nm)
            if where is None or where.endpoint != wanted or not self._structured(row, now):
                continue
            if where.prefix == "첨부정정":
                continue  # keeps the original's row
            original = self._original(row) if where.correction else None
            key = original.rcept_no if original is not None else row.rcept_no
            first = events[key][0] if key in events else (original or row)
            events[key] = (first, row)
        rows = []
        for first, newest in events.values():
            if not bgn_de <= first.receipt_date <= end_de:
                continue
            facts = fake_facts(newest, self._original(newest))
            if facts is not None:
                rows.append(fake_ds005_row(newest, facts))
        if not rows:
            return self._status(endpoint, "013")
        return _Response(
            200, JSON_TYPE, _json({"status": "000", "message": "정상", "list": rows}), "000"
        )

    def _ownership(self, endpoint: str, params: Mapping[str, str], now: datetime) -> _Response:
        """DS004: the company's whole history (no date parameters)."""
        corp_code = params.get("corp_code", "")
        if not _CODE_RE.fullmatch(corp_code):
            raise _field_error("corp_code")
        wanted = endpoint.removesuffix(".json")
        rows = []
        for row in sorted(self._by_corp.get(corp_code, []), key=lambda r: r.rcept_no):
            where = route(row.report_nm)
            if where is None or where.endpoint != wanted or not self._structured(row, now):
                continue
            facts = fake_facts(row)
            if facts is not None:
                rows.append(fake_ds004_row(row, facts))
        if not rows:
            return self._status(endpoint, "013")
        return _Response(
            200, JSON_TYPE, _json({"status": "000", "message": "정상", "list": rows}), "000"
        )

    # storage ------------------------------------------------------------------------

    def _store(self, row: DartRow) -> None:
        self._rows[row.rcept_no] = row
        day = row.receipt_date
        self._by_day.setdefault(day, []).append(row)
        self._by_corp.setdefault(row.corp_code, []).append(row)
        key = (day, row.rcept_no[8:10])
        self._max_seq[key] = max(self._max_seq.get(key, 0), int(row.rcept_no[10:]))
        if day in self._noise_days:
            self._noise_days[day] = [r for r in self._noise_days[day] if r.rcept_no != row.rcept_no]
        self._day_sorted.pop(day, None)

    def _noise_day(self, day: date) -> list[DartRow]:
        if self.noise.per_day <= 0:
            return []
        cached = self._noise_days.get(day)
        if cached is not None:
            self._noise_days.move_to_end(day)
            return cached
        taken = {r.rcept_no for r in self._by_day.get(day, [])}
        rows = [r for r in self.noise.rows_for(day, taken) if r.rcept_no not in self._promoted]
        for row in rows:
            key = (day, row.rcept_no[8:10])
            self._max_seq[key] = max(self._max_seq.get(key, 0), int(row.rcept_no[10:]))
        self._noise_days[day] = rows
        while len(self._noise_days) > _NOISE_CACHE_DAYS:
            evicted, _ = self._noise_days.popitem(last=False)
            self._day_sorted.pop(evicted, None)
        return rows

    def _allocate(self, day: date, origin: Origin) -> str:
        self._noise_day(day)  # noise numbers first, so a new number never collides
        key = (day, origin.value)
        seq = self._max_seq.get(key, 0) + 1
        self._max_seq[key] = seq
        return f"{day:%Y%m%d}{origin.value}{seq:04d}"

    def _find(self, rcept_no: str) -> DartRow | None:
        row = self._rows.get(rcept_no)
        if row is not None or not _RCEPT_RE.fullmatch(rcept_no):
            return row
        try:
            day = date(int(rcept_no[:4]), int(rcept_no[4:6]), int(rcept_no[6:8]))
        except ValueError:
            return None
        for candidate in self._noise_day(day):
            if candidate.rcept_no == rcept_no:
                return candidate
        return None

    def _require(self, rcept_no: str, *, promote: bool = False) -> DartRow:
        row = self._find(rcept_no)
        if row is None:
            raise KeyError(f"no filing with rcept_no {rcept_no}")
        if promote and rcept_no not in self._rows:
            # A noise row about to change must outlive the noise cache.
            self._promoted.add(rcept_no)
            self._store(row)
        return row

    # control ------------------------------------------------------------------------

    def _control(self, action: str, params: Mapping[str, str], body: bytes) -> _Response:
        try:
            payload: Any = json.loads(body) if body.strip() else {}
            with self._lock:
                result = self._control_action(action, params, payload)
        except (KeyError, ValueError, TypeError) as exc:
            return _Response(400, JSON_TYPE, _json({"error": str(exc)}), "400")
        if result is None:
            return _Response(404, JSON_TYPE, _json({"error": f"unknown action {action}"}), "404")
        return _Response(200, JSON_TYPE, _json(result), "000")

    def _control_action(
        self, action: str, params: Mapping[str, str], payload: Any
    ) -> dict[str, Any] | None:
        if action == "stats":
            return self.stats()
        if action == "inject":
            seconds = params.get("seconds")
            self.inject(
                params["kind"],
                int(params.get("count", "1")),
                endpoint=params.get("endpoint") or None,
                seconds=float(seconds) if seconds else None,
            )
            return {"queued": len(self._faults)}
        if action == "random_faults":
            kinds = params.get("kinds")
            self.set_random_faults(
                float(params.get("rate", "0")),
                kinds.split(",") if kinds else None,
                int(params.get("seed", "0")),
            )
            return {"rate": self._random_rate}
        if action == "inject_feed":
            seconds = params.get("seconds")
            self.inject_feed(
                params["kind"],
                int(params.get("count", "1")),
                seconds=float(seconds) if seconds else None,
            )
            return {"queued": len(self._feed_faults)}
        if action == "clear_feed_faults":
            self.clear_feed_faults()
            return {"queued": 0}
        if action in ("freeze_feed", "thaw_feed"):
            getattr(self, action)()
            return {"frozen": self._feed_frozen_at is not None}
        if action == "feed_order":
            self.set_feed_order(params.get("order", "newest"))
            return {"order": self._feed_order}
        if action == "reset_quota":
            self.reset_quota()
            return {"quota_exhausted": False}
        if action == "publish":
            visible = params.get("visible_at") or (payload.get("visible_at") if payload else None)
            moment = datetime.fromisoformat(visible) if visible else None
            row = self.publish(payload, moment)
            return jsonable(row, self.now())
        if action in ("amend", "withdraw", "hide", "unhide"):
            rcept_no = params["rcept_no"]
            if action == "amend":
                return jsonable(self.amend(rcept_no), self.now())
            getattr(self, action)(rcept_no)
            return jsonable(self._require(rcept_no), self.now())
        return None


TRANSIENT_FAULTS = (
    "800",
    "900",
    "html502",
    "html200",
    "truncated",
    "malformed",
    "wrongtypes",
    "reset",
    "notzip",
)


def _feed_key(row: DartRow) -> tuple[datetime, str]:
    return (row.feed_moment, row.rcept_no)


def _date_key(row: DartRow) -> tuple[str, datetime, str]:
    # Within a day the real list runs by receipt time, not by number: two captures of
    # the same day start with a 00 row and with a 90 row (docs/opendart.md).
    return (row.rcept_dt, row.visible_at, row.rcept_no)


def _applies(kind: str, endpoint: str) -> bool:
    if kind in _ZIP_ONLY_FAULTS:
        return endpoint in ZIP_ENDPOINTS
    if kind in _JSON_ONLY_FAULTS:
        return endpoint in JSON_ENDPOINTS
    return True


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _iso_day(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:6]}-{compact[6:8]}"


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name, "") or default
    if value not in allowed:
        raise _field_error(name)
    return value


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _field_error(name)
    return int(raw)


def _wrong_types(body: bytes, rng: random.Random) -> bytes:
    """A 000 answer with the types a careless upstream might send: paging numbers as
    strings, ``list`` not a list, a row without ``rcept_no``, a null field."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if data.get("status") != "000" or "list" not in data:
        data["status"] = 0  # an integer status
        return _json(data)
    variant = rng.randrange(4)
    if variant == 0:
        data["page_no"] = str(data["page_no"])
        data["total_count"] = str(data["total_count"])
    elif variant == 1:
        data["list"] = {"row": data["list"][:1]}
    elif variant == 2 and data["list"]:
        data["list"][0].pop("rcept_no", None)
    else:
        if data["list"]:
            data["list"][0]["rcept_dt"] = None
        data["total_page"] = None
    return _json(data)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _wait_disconnect(receive: Receive, seconds: float) -> bool:
    """Stall up to *seconds*; True if the client hung up meanwhile (it timed out)."""

    async def until_disconnect() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    try:
        await asyncio.wait_for(until_disconnect(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def _drop_connection(send: Send) -> None:
    """Close the socket without a response, with an RST like a dropped connection.

    ASGI has no way to say this; uvicorn's ``send`` is a bound method of its request
    cycle, which holds the transport. Elsewhere we fall back to raising, which gives
    a 500 -- still a failure the client must survive.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionResetError("fake OpenDART: connection reset (no transport access)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let connection_lost run so uvicorn marks the cycle disconnected and sends nothing.
    for _ in range(10):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
