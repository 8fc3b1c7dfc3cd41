"""The RSS fast path: DART's key-less feed read every few seconds, its items of
watched companies stored (and so alerted) at once, list.json kept as the safety net.

Why it looks the way it does (docs/detection.md):
- Whose filing. The item title names the subject company, ``(시장)회사명 - 보고서명``;
  ``dc:creator`` is the filer (a person, a fund, 삼성물산 for a 대량보유 report) and is
  never used to decide. A name maps to a watched corp code only when the market
  (listed vs 기타) agrees and, for an unlisted company, no other unlisted company of
  that name exists in the corpCode registry; otherwise the item is *ambiguous* and one
  list.json call for the candidate companies decides instead of a guess.
- Exactly once. Feed items are inserted keyed by ``rcept_no`` (insert-or-ignore), the
  same key list.json rows use, and the pipeline's pending->done claim sends each
  filing's alerts once, whichever source stored it first.
- Trust nothing about the feed's rate, lag or size (none is documented). A failure
  (down, HTTP error, HTML, malformed XML, another format) or staleness (list.json finds
  today's filings of watched companies the feed never showed while the feed has not
  changed for minutes) puts it in *fallback*: list.json alone at the fast interval,
  loudly, until a good read brings it back.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from monitor.core import kcalendar
from monitor.opendart.rss import Feed, FeedError, FeedItem, FeedReader
from storage import filings as filings_repo
from storage.db import Database
from storage.models import Company, CorpCode, Filing

log = logging.getLogger("dartwatch.fastpath")

# Feed reads in idle hours (nights, weekends, holidays) are this many times slower:
# they cost no quota, and half of all filings are published after the close, so
# alerts stay within seconds there too, at half the load on DART.
IDLE_FACTOR = 2.0
# Consecutive failed reads, or seconds of failing, before list.json takes over.
FAILURES_TO_FALLBACK = 3
FAILING_SECONDS_TO_FALLBACK = 30.0
# Backoff between failed reads: doubling from the interval up to this.
MAX_BACKOFF_SECONDS = 60.0
# A feed that has not changed for this long while list.json finds filings it never
# showed is stale.
STALE_SECONDS = 300.0
# One-company list.json calls spent to confirm feed items at once, per KST day.
CONFIRMS_PER_DAY = 200
# How long the name index is reused before it is rebuilt from the database.
INDEX_SECONDS = 600.0
_SEEN_LIMIT = 20_000

OK = "ok"
FALLBACK = "fallback"
DISABLED = "disabled"
STARTING = "starting"


def normalize(name: str) -> str:
    """Names compare after NFKC (full-width letters, ㈜) and without spaces or case."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


@dataclass(frozen=True, slots=True)
class Resolution:
    kind: str  # watched | ambiguous | other
    corp_codes: tuple[str, ...] = ()


@dataclass(slots=True)
class NameIndex:
    """Normalized name -> the watched companies (corp_code, listed, stock_code) that
    bear it, and the listed-ness of every *other* registry company of that name."""

    watched: dict[str, list[tuple[str, bool, str | None]]] = field(default_factory=dict)
    others: dict[str, set[bool]] = field(default_factory=dict)

    def resolve(self, item: FeedItem) -> Resolution:
        key = normalize(item.corp_name)
        candidates = [c for c in self.watched.get(key, []) if c[1] == item.listed]
        if not candidates:
            return Resolution("other")
        codes = tuple(sorted({c[0] for c in candidates}))
        # Listed names are unique on the exchange at any one time (a registry namesake
        # with a stock code is a delisted one, which files nothing); unlisted names are
        # not, so an unlisted namesake leaves the item undecided.
        if len(codes) > 1 or (not item.listed and False in self.others.get(key, set())):
            return Resolution("ambiguous", codes)
        return Resolution("watched", codes)

    def stock_code(self, corp_code: str) -> str | None:
        for entries in self.watched.values():
            for code, _, stock in entries:
                if code == corp_code:
                    return stock
        return None


def build_index(
    companies: Iterable[Company],
    registry: Iterable[CorpCode],
    listed_names: Iterable[tuple[str, str]],
) -> NameIndex:
    """The index from the watched companies, the corpCode registry and the names
    list.json has used for them (renames: "NC" for 엔씨소프트). Pure."""
    index = NameIndex()
    watched = {c.corp_code: c for c in companies}
    names: dict[str, set[str]] = {code: {c.corp_name} for code, c in watched.items()}
    for entry in registry:
        if entry.corp_code in watched:
            names[entry.corp_code].add(entry.corp_name)
    for corp_code, corp_name in listed_names:
        if corp_code in watched:
            names[corp_code].add(corp_name)
    for code, company in watched.items():
        listed = bool(company.stock_code and company.stock_code.strip())
        for name in names[code]:
            entries = index.watched.setdefault(normalize(name), [])
            if (code, listed, company.stock_code) not in entries:
                entries.append((code, listed, company.stock_code))
    for entry in registry:
        key = normalize(entry.corp_name)
        if entry.corp_code not in watched and key in index.watched:
            index.others.setdefault(key, set()).add(bool((entry.stock_code or "").strip()))
    return index


def to_record(item: FeedItem, corp_code: str, stock_code: str | None) -> filings_repo.FilingRecord:
    """A feed item as a filing. The receipt date is the receipt number's date (DART
    numbers start with it); list.json's row corrects it if it differs."""
    return filings_repo.FilingRecord(
        rcept_no=item.rcept_no,
        corp_code=corp_code,
        corp_name=item.corp_name,
        report_nm=item.report_nm,
        rcept_dt=item.rcept_no[:8],
        stock_code=stock_code,
        corp_cls=item.corp_cls,
        flr_nm=item.flr_nm,
        filed_at=item.filed_at,
    )


@dataclass(slots=True)
class FeedHealth:
    """What ``dartwatch status``, the metrics and the admin message say about the feed."""

    state: str = STARTING
    reason: str = ""
    since: datetime | None = None
    failures: int = 0
    failing_since: float | None = None
    last_ok_at: datetime | None = None
    last_change_at: datetime | None = None
    first_ok_at: datetime | None = None
    reads: int = 0
    not_modified: int = 0
    items: int = 0
    stored: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
            "failures": self.failures,
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
            "last_change_at": self.last_change_at.isoformat() if self.last_change_at else None,
            "reads": self.reads,
            "not_modified": self.not_modified,
            "items": self.items,
            "stored": self.stored,
        }


@dataclass(slots=True)
class FeedCheck:
    """One read: the filings it stored, the companies to confirm through list.json,
    and whether the feed's state changed (``transition``: "fallback" | "recovered")."""

    new: list[str] = field(default_factory=list)
    confirm: set[str] = field(default_factory=set)
    ambiguous: int = 0
    error: str | None = None
    transition: str | None = None


class FastPath:
    """Reads the feed, stores watched companies' items, tracks the feed's health."""

    def __init__(
        self,
        db: Database,
        reader: FeedReader,
        *,
        interval: float = 3.0,
        lookback_days: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = kcalendar.now_kst,
    ) -> None:
        self.db = db
        self.reader = reader
        self.interval = interval
        self.lookback_days = lookback_days
        self.monotonic = monotonic
        self.clock = clock
        self.health = FeedHealth()
        self._index: NameIndex | None = None
        self._index_at = 0.0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._asked: set[str] = set()
        # Items already written (or found stored) by this process: a feed re-read every
        # few seconds costs no database write for what it showed before.
        self._recorded: set[str] = set()
        self._last_read: float | None = None
        self._confirms: tuple[str, int] = ("", 0)

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    # -- schedule -------------------------------------------------------------------------
    def wait(self) -> float:
        """Seconds between reads now: the interval in market hours, slower when idle,
        doubled per consecutive failure (bounded)."""
        base = self.interval
        if not kcalendar.is_active_time(self.clock()):
            base *= IDLE_FACTOR
        if self.health.failures:
            base = min(MAX_BACKOFF_SECONDS, base * 2 ** min(self.health.failures, 6))
        return base

    def due(self) -> bool:
        if self._last_read is None:
            return True
        return self.monotonic() - self._last_read >= self.wait() - 0.05

    @property
    def healthy(self) -> bool:
        return self.health.state == OK

    # -- one read -------------------------------------------------------------------------
    async def check(self) -> FeedCheck:
        """Read the feed once and store what it shows of watched companies."""
        self._last_read = self.monotonic()
        result = FeedCheck()
        self.health.reads += 1
        try:
            feed = await self.reader.read()
        except FeedError as exc:
            result.error = str(exc)
            result.transition = self._failed(str(exc))
            return result
        changed = False
        if feed is None:
            self.health.not_modified += 1
        else:
            changed = await self._store(feed, result)
        result.transition = self._succeeded()
        if changed and result.transition is None:
            result.transition = self.note_changed_after_stale()
        return result

    async def _store(self, feed: Feed, result: FeedCheck) -> bool:
        """Store the watched companies' items; True when the feed showed anything new."""
        index = await self.index()
        records: list[filings_repo.FilingRecord] = []
        changed = False
        today = self.clock().astimezone(kcalendar.KST).date()
        oldest = (today - timedelta(days=self.lookback_days)).strftime("%Y%m%d")
        for item in feed.items:
            if item.rcept_no not in self._seen:
                changed = True
                self._seen[item.rcept_no] = None
            if item.rcept_no[:8] < oldest or item.rcept_no in self._recorded:
                continue  # history (never alerted), or already stored
            resolved = index.resolve(item)
            if resolved.kind == "watched":
                code = resolved.corp_codes[0]
                records.append(to_record(item, code, index.stock_code(code)))
            elif resolved.kind == "ambiguous":
                result.ambiguous += 1
                if item.rcept_no not in self._asked and not await self._known(item.rcept_no):
                    self._asked.add(item.rcept_no)  # one list.json look per item
                    result.confirm.update(resolved.corp_codes)
        while len(self._seen) > _SEEN_LIMIT:
            evicted, _ = self._seen.popitem(last=False)
            self._asked.discard(evicted)
            self._recorded.discard(evicted)
        self.health.items = len(feed.items)
        if changed:
            self.health.last_change_at = self._now()
        if records:
            async with self.db.session() as session:
                result.new = await filings_repo.record_feed_items(session, records)
            self._recorded.update(r.rcept_no for r in records)
            self.health.stored += len(result.new)
            if result.new:
                new = set(result.new)
                result.confirm.update(r.corp_code for r in records if r.rcept_no in new)
        return changed

    async def _known(self, rcept_no: str) -> bool:
        async with self.db.session() as session:
            return await session.get(Filing, rcept_no) is not None

    def _failed(self, why: str) -> str | None:
        health = self.health
        health.failures += 1
        now = self.monotonic()
        if health.failing_since is None:
            health.failing_since = now
        log.warning("RSS feed read failed (%d in a row): %s", health.failures, why)
        long_enough = now - health.failing_since >= FAILING_SECONDS_TO_FALLBACK
        if health.state != FALLBACK and (health.failures >= FAILURES_TO_FALLBACK or long_enough):
            return self._enter_fallback(f"feed unreadable: {why}")
        return None

    def _succeeded(self) -> str | None:
        health = self.health
        health.failures = 0
        health.failing_since = None
        health.last_ok_at = self._now()
        health.first_ok_at = health.first_ok_at or health.last_ok_at
        if health.state == FALLBACK and health.reason.startswith("feed stale"):
            return None  # a stale feed answers 200; only a change in it brings it back
        if health.state != OK:
            was = health.state
            health.state, health.reason, health.since = OK, "", self._now()
            if was == FALLBACK:
                log.warning(
                    "RSS feed is back: fast path resumed, list.json back to its slow interval"
                )
                return "recovered"
        return None

    def _enter_fallback(self, reason: str) -> str:
        self.health.state, self.health.reason, self.health.since = FALLBACK, reason, self._now()
        log.error("RSS fast path off, list.json alone detects filings: %s", reason)
        return "fallback"

    # -- staleness, seen from list.json ---------------------------------------------------
    def note_listed(self, rcept_nos: Sequence[str]) -> str | None:
        """list.json stored *rcept_nos* before the feed did. If today's filings among
        them never appeared in the feed and the feed has not changed for
        ``STALE_SECONDS`` in market hours, the feed is stale: fall back."""
        now = self.clock()
        today = now.astimezone(kcalendar.KST).strftime("%Y%m%d")
        missed = [r for r in rcept_nos if r[:8] == today and r not in self._seen]
        if self.health.state == FALLBACK and self.health.reason.startswith("feed stale"):
            return None
        if not missed or not kcalendar.is_active_time(now) or self.health.state != OK:
            return None
        last = self.health.last_change_at or self.health.first_ok_at
        if last is None or self._now() - last < timedelta(seconds=STALE_SECONDS):
            return None
        return self._enter_fallback(
            f"feed stale: unchanged since {last.astimezone(kcalendar.KST):%H:%M:%S} KST while "
            f"list.json listed {len(missed)} new filing(s) it never showed"
        )

    def note_changed_after_stale(self) -> str | None:
        """A stale feed that changes again is alive: resume."""
        if self.health.state == FALLBACK and self.health.reason.startswith("feed stale"):
            self.health.state, self.health.reason, self.health.since = OK, "", self._now()
            log.warning("RSS feed changes again: fast path resumed")
            return "recovered"
        return None

    # -- budgeted confirmation ------------------------------------------------------------
    def take_confirms(self, wanted: int) -> int:
        """How many of *wanted* one-company list.json calls today's allowance permits."""
        day = self.clock().astimezone(kcalendar.KST).date().isoformat()
        used = self._confirms[1] if self._confirms[0] == day else 0
        granted = max(0, min(wanted, CONFIRMS_PER_DAY - used))
        self._confirms = (day, used + granted)
        return granted

    # -- the name index -------------------------------------------------------------------
    async def index(self, *, refresh: bool = False) -> NameIndex:
        if refresh or self._index is None or self.monotonic() - self._index_at > INDEX_SECONDS:
            self._index = await self._load_index()
            self._index_at = self.monotonic()
        return self._index

    async def _load_index(self) -> NameIndex:
        async with self.db.session() as session:
            stored = list((await session.exec(select(Company))).all())
            companies = [c for c in stored if c.watched]
            namesakes = [
                CorpCode(corp_code=c.corp_code, corp_name=c.corp_name, stock_code=c.stock_code)
                for c in stored
                if not c.watched
            ]
            codes = [c.corp_code for c in companies]
            names = {c.corp_name for c in companies}
            own = list(
                (
                    await session.exec(select(CorpCode).where(col(CorpCode.corp_code).in_(codes)))
                ).all()
            )
            names |= {r.corp_name for r in own}
            listed = list(
                (
                    await session.exec(
                        select(Filing.corp_code, Filing.corp_name)
                        .where(col(Filing.corp_code).in_(codes))
                        .distinct()
                    )
                ).all()
            )
            names |= {name for _, name in listed}
            same_name = list(
                (
                    await session.exec(
                        select(CorpCode).where(col(CorpCode.corp_name).in_(sorted(names)))
                    )
                ).all()
            )
        registry = {r.corp_code: r for r in [*namesakes, *own, *same_name]}
        return build_index(companies, registry.values(), [(c, n) for c, n in listed])

    async def aclose(self) -> None:
        await self.reader.aclose()
