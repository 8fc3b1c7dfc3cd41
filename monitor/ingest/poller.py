"""One poll cycle, and backfill: OpenDART rows of the watched companies into storage.

Why it looks the way it does (docs/opendart.md, "Receipt numbers are not chronological"):
- No high-water mark. Receipt numbers are not chronological (KRX rows carry 80/90 in
  digits 9-10), rows appear late and old rows change (``rm`` gains 정/철). Every poll
  re-reads a window (``POLL_LOOKBACK_DAYS`` before today .. today, KST) and dedupes by
  ``rcept_no``; a failed poll is simply repaired by the next one.
- Cost. Per-company queries cost one request per company per page; one market-wide
  query costs ceil(market rows in the window / 100) whatever the watchlist size. The
  cheaper plan is chosen from estimates (stored filings per company; the last
  market-wide ``total_count``, kept in ``meta``), so a poll's cost stops growing with
  the watchlist once it is large.
- Crash safety. Each page is stored in its own transaction before the next is asked
  for: a crash loses at most the page in flight, which the next poll reads again.
- Typed outcomes. Quota, budget and key failures end the poll with a status saying
  so; they are never mistaken for "no filings".
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import httpx

from monitor.core.kcalendar import KST, is_business_day, now_kst
from monitor.core.settings import Settings
from monitor.ingest.companies import CorpRecord, Watchlist, company_rows, load_watchlist
from monitor.opendart import errors as dart_errors
from monitor.opendart.budget import MARKET_ROWS_KEY, RequestBudget, fatal_state, quota_paused_until
from monitor.opendart.client import Backoff, DartClient
from monitor.opendart.parsing import CorpCodeEntry, FilingRow
from storage import companies as companies_repo
from storage import corpcodes, meta, pollruns
from storage import filings as filings_repo
from storage import subscribers as subscribers_repo
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger("dartwatch.poller")

# OpenDART errors that stop a run (and polling until they clear), as opposed to a
# transient failure of one query, which the next poll repairs.
STOPPING = (
    dart_errors.QuotaExceeded,
    dart_errors.QuotaPaused,
    dart_errors.BudgetExhausted,
    dart_errors.InvalidKey,
    dart_errors.KeyRejected,
)

PER_COMPANY = "per-company"
MARKET_WIDE = "market-wide"
PAGE_ROWS = 100
# Market-wide filings per business day when nothing was measured yet (about 500-600,
# docs/opendart.md); non-business days see a handful.
DEFAULT_MARKET_ROWS_PER_BUSINESS_DAY = 600
DEFAULT_MARKET_ROWS_PER_OTHER_DAY = 20
CORPCODE_REFRESHED_KEY = "dart.corpcode_refreshed_at"

Progress = Callable[[str], None]


@dataclass(slots=True)
class PollResult:
    """What one poll (or backfill) did. ``status``: ok | failed (some queries failed;
    the next poll repairs) | quota | budget | fatal."""

    kind: str = "poll"
    status: str = "ok"
    strategy: str = ""
    window: tuple[date, date] | None = None
    new: list[str] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    updated: int = 0
    listed: int = 0
    rejected: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    resume_at: datetime | None = None
    run_id: int | None = None
    estimate: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        window = f"{self.window[0]:%Y-%m-%d}..{self.window[1]:%Y-%m-%d}" if self.window else "-"
        text = (
            f"{self.kind} {self.status}: {len(self.new)} new, {len(self.events)} changes "
            f"({self.listed} rows of watched companies listed, {self.rejected} rejected) in "
            f"{self.requests} requests, {self.strategy or 'no'} strategy, window {window}"
        )
        if self.resume_at is not None:
            text += (
                f"; OpenDART calls resume at {self.resume_at.astimezone(KST):%Y-%m-%d %H:%M} KST"
            )
        if self.errors:
            text += f"; errors: {' | '.join(self.errors[:3])}"
        return text


# ----------------------------------------------------------------------------- planning
@dataclass(frozen=True, slots=True)
class Plan:
    strategy: str
    per_company_cost: int
    market_cost: int


def estimate_market_rows(window: tuple[date, date], measured: dict[str, float] | None) -> int:
    """Market-wide rows expected in *window*: the last measured rate per business day,
    or OpenDART's typical volume when nothing was measured."""
    days = [window[0] + timedelta(days=i) for i in range((window[1] - window[0]).days + 1)]
    per_business = DEFAULT_MARKET_ROWS_PER_BUSINESS_DAY
    if measured and measured.get("per_business_day"):
        per_business = int(measured["per_business_day"])
    return sum(
        per_business if is_business_day(d) else DEFAULT_MARKET_ROWS_PER_OTHER_DAY for d in days
    )


def choose_strategy(
    rows_per_company: Sequence[int], market_rows: int, *, prefer: str | None = None
) -> Plan:
    """The cheaper plan in requests. Per-company: each company costs at least one call
    (page 1), plus a call per further 100 rows. Market-wide: one call per 100 rows."""
    per_company = sum(max(1, math.ceil(n / PAGE_ROWS)) for n in rows_per_company)
    market = max(1, math.ceil(market_rows / PAGE_ROWS))
    if prefer in (PER_COMPANY, MARKET_WIDE):
        return Plan(prefer, per_company, market)
    strategy = PER_COMPANY if per_company <= market else MARKET_WIDE
    return Plan(strategy, per_company, market)


def poll_window(today: date, lookback_days: int) -> tuple[date, date]:
    return today - timedelta(days=lookback_days), today


def months_back(day: date, months: int) -> date:
    """*day* moved back by calendar months (day clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, 28)


def backfill_windows(since: date, until: date) -> list[tuple[date, date]]:
    """Split [since, until] into windows OpenDART accepts without corp_code (at most
    three months), newest last."""
    if since > until:
        raise ValueError("since is after until")
    windows: list[tuple[date, date]] = []
    end = until
    while end >= since:
        start = max(since, months_back(end, 3) + timedelta(days=1))
        windows.append((start, end))
        end = start - timedelta(days=1)
    return list(reversed(windows))


def to_record(row: FilingRow) -> filings_repo.FilingRecord:
    return filings_repo.FilingRecord(
        rcept_no=row.rcept_no,
        corp_code=row.corp_code,
        corp_name=row.corp_name,
        report_nm=row.report_nm,
        rcept_dt=row.rcept_dt,
        rm=row.rm,
        stock_code=row.stock_code,
        corp_cls=row.corp_cls,
        flr_nm=row.flr_nm,
    )


# ----------------------------------------------------------------------------- wiring
def make_client(
    settings: Settings,
    db: Database,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    backoff: Backoff | None = None,
) -> DartClient:
    """The client with the persisted budget of *settings* (the CLI and daemon path)."""
    key = settings.require_dart_key()
    budget = RequestBudget(
        db,
        daily_budget=settings.dart_daily_budget,
        per_minute=settings.dart_max_per_minute,
        key=key,
    )
    return DartClient(settings, budget=budget, transport=transport, backoff=backoff)


async def corp_code_age(db: Database, now: datetime | None = None) -> timedelta | None:
    value = await meta.get_value(db, CORPCODE_REFRESHED_KEY)
    if not value:
        return None
    try:
        return (now or utcnow()) - datetime.fromisoformat(value)
    except ValueError:
        return None


async def refresh_corp_codes(
    db: Database, client: DartClient, *, max_age_hours: float, force: bool = False
) -> int | None:
    """Download corpCode.xml into the cache unless it is younger than *max_age_hours*.
    Returns the number of entries stored, or None when the cache was fresh."""
    age = await corp_code_age(db)
    if not force and age is not None and age < timedelta(hours=max_age_hours):
        return None
    entries: list[CorpCodeEntry] = await client.corp_codes()
    stored = await corpcodes.replace_all(
        db,
        (
            {
                "corp_code": e.corp_code,
                "corp_name": e.corp_name,
                "corp_eng_name": e.corp_eng_name,
                "stock_code": e.stock_code,
                "modify_date": e.modify_date,
            }
            for e in entries
        ),
    )
    await meta.set_value(db, CORPCODE_REFRESHED_KEY, utcnow().isoformat())
    log.info("corpCode cache refreshed: %d companies", stored)
    return stored


async def sync_watchlist(
    db: Database,
    watchlist: Watchlist,
    client: DartClient | None = None,
    *,
    settings: Settings | None = None,
) -> tuple[list[str], list[str]]:
    """Store the watchlist in ``companies``; return (watched corp codes, problems).

    Partners named only by stock code are resolved through the corpCode cache, which
    is refreshed (at most every ``CORPCODE_REFRESH_HOURS``) only when one is needed.
    """
    problems: list[str] = []
    needs_lookup = [e for e in watchlist.watched if e.corp_code is None and e.stock_code]
    records: list[CorpRecord] = []
    if needs_lookup and client is not None:
        max_age = settings.corpcode_refresh_hours if settings is not None else 24.0
        try:
            await refresh_corp_codes(db, client, max_age_hours=max_age)
        except dart_errors.DartError as exc:
            problems.append(f"corpCode.xml: {exc}")
    for entry in needs_lookup:
        assert entry.stock_code is not None
        for row in await corpcodes.by_stock(db, entry.stock_code):
            records.append(
                CorpRecord(row.corp_code, row.corp_name, row.stock_code, row.corp_eng_name)
            )
    rows, unresolved = company_rows(watchlist, records)
    for entry in unresolved:
        problems.append(
            f"watchlist: {entry.label} has no corp_code and is not in the corpCode cache"
        )
    await companies_repo.sync(db, rows)
    return [r["corp_code"] for r in rows if r["watched"]], problems


# ----------------------------------------------------------------------------- polling
class Poller:
    """Runs polls and backfills with one client over one database."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        client: DartClient,
        *,
        watchlist: Watchlist | None = None,
        clock: Callable[[], datetime] = now_kst,
        prefer: str | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.client = client
        self.watchlist = watchlist or load_watchlist(settings.watchlist_file)
        self.clock = clock
        self.prefer = prefer
        self._key = settings.require_dart_key()
        self._watched: list[str] | None = None

    async def _watched_codes(self, result: PollResult) -> list[str]:
        """The watched corp codes, synced to ``companies`` once per poller (again after a
        sync that could not resolve every entry, e.g. before corpCode was loaded)."""
        if self._watched is None:
            codes, problems = await sync_watchlist(
                self.db, self.watchlist, self.client, settings=self.settings
            )
            result.errors.extend(problems)
            if not problems:
                self._watched = codes
            return codes
        return self._watched

    async def with_followed(self, core: Sequence[str]) -> list[str]:
        """The watchlist plus the companies chats follow beyond it, bounded by
        ``MAX_WATCHED_COMPANIES`` (the bot refuses a follow that would pass it)."""
        async with self.db.session() as s:
            followed = await subscribers_repo.followed_companies(s)
        have = set(core)
        extra = [c for c in followed if c not in have]
        room = max(0, self.settings.max_watched_companies - len(core))
        return [*core, *extra[:room]]

    async def _blocked(self, result: PollResult) -> bool:
        """Whether a persisted stop (020 pause, fatal key) forbids calling OpenDART."""
        now = self.clock()
        paused = await quota_paused_until(self.db, now)
        if paused is not None:
            result.status = "quota"
            result.resume_at = paused
            result.errors.append("OpenDART quota exceeded earlier; no requests made")
            return True
        fatal = await fatal_state(self.db, self._key)
        if fatal is not None:
            result.status = "fatal"
            result.errors.append(str(dart_errors.KeyRejected(fatal.status, fatal.message)))
            return True
        return False

    async def _plan(self, corp_codes: Sequence[str], window: tuple[date, date]) -> Plan:
        since, until = (d.strftime("%Y%m%d") for d in window)
        stored = await filings_repo.list_filings(
            self.db, corp_codes=list(corp_codes), since=since, until=until
        )
        per_company = {code: 0 for code in corp_codes}
        for filing in stored:
            per_company[filing.corp_code] = per_company.get(filing.corp_code, 0) + 1
        raw = await meta.get_value(self.db, MARKET_ROWS_KEY)
        measured: dict[str, float] | None = None
        if raw:
            try:
                measured = json.loads(raw)
            except ValueError:
                measured = None
        market_rows = estimate_market_rows(window, measured)
        return choose_strategy(list(per_company.values()), market_rows, prefer=self.prefer)

    async def _remember_market(self, window: tuple[date, date], total_count: int) -> None:
        """Keep the market-wide volume per business day for the next plan. A window of
        only weekend/holiday days says nothing about business days: keep the old rate."""
        days = [window[0] + timedelta(days=i) for i in range((window[1] - window[0]).days + 1)]
        business = sum(1 for d in days if is_business_day(d))
        if business == 0:
            return
        other_rows = (len(days) - business) * DEFAULT_MARKET_ROWS_PER_OTHER_DAY
        per_business = max(total_count - other_rows, 0) / business
        payload = {
            "per_business_day": round(per_business, 1),
            "total_count": total_count,
            "window": [window[0].isoformat(), window[1].isoformat()],
            "at": utcnow().isoformat(),
        }
        await meta.set_value(self.db, MARKET_ROWS_KEY, json.dumps(payload))

    async def _store_page(
        self, rows: Sequence[FilingRow], watched: set[str], result: PollResult, alert_state: str
    ) -> None:
        mine = [to_record(r) for r in rows if r.corp_code in watched]
        result.listed += len(mine)
        if not mine:
            return
        async with self.db.session() as session:
            outcome = await filings_repo.upsert_filings(
                session,
                mine,
                alert_state=alert_state,
                source="backfill" if alert_state == filings_repo.SUPPRESSED else "poll",
            )
        result.new.extend(outcome.new)
        result.events.extend(outcome.events)
        result.updated += outcome.updated

    async def _query(
        self,
        window: tuple[date, date],
        corp_code: str | None,
        watched: set[str],
        result: PollResult,
        alert_state: str,
    ) -> None:
        first = True
        async for page in self.client.iter_filing_pages(
            bgn_de=window[0], end_de=window[1], corp_code=corp_code
        ):
            if first and corp_code is None:
                await self._remember_market(window, page.total_count)
            first = False
            result.rejected += len(page.rejected)
            await self._store_page(page.rows, watched, result, alert_state)

    async def _run_window(
        self,
        window: tuple[date, date],
        corp_codes: Sequence[str],
        result: PollResult,
        alert_state: str,
    ) -> None:
        """Query one window with the cheaper strategy. Quota, budget and key errors
        propagate (they stop everything); transient ones are recorded per query."""
        plan = await self._plan(corp_codes, window)
        result.strategy = plan.strategy
        result.estimate = {"per_company": plan.per_company_cost, "market_wide": plan.market_cost}
        watched = set(corp_codes)
        queries: list[str | None] = list(corp_codes) if plan.strategy == PER_COMPANY else [None]
        for corp_code in queries:
            await self._query_noting_failure(window, corp_code, watched, result, alert_state)

    async def _query_noting_failure(
        self,
        window: tuple[date, date],
        corp_code: str | None,
        watched: set[str],
        result: PollResult,
        alert_state: str,
    ) -> None:
        """One query; a transient failure is recorded on *result* (the next poll re-reads
        the window), the errors that stop everything propagate."""
        try:
            await self._query(window, corp_code, watched, result, alert_state)
        except STOPPING:
            raise
        except dart_errors.DartError as exc:
            where = corp_code or "market-wide"
            result.status = "failed"
            result.errors.append(f"{where}: {exc}")
            log.warning("poll query %s failed (the next poll repairs it): %s", where, exc)

    def _classify(self, exc: dart_errors.DartError, result: PollResult) -> None:
        if isinstance(exc, dart_errors.QuotaExceeded | dart_errors.QuotaPaused):
            result.status = "quota"
            result.resume_at = exc.resume_at
        elif isinstance(exc, dart_errors.BudgetExhausted):
            result.status = "budget"
            result.resume_at = exc.resume_at
        else:
            result.status = "fatal"
        result.errors.append(str(exc))
        level = logging.ERROR if result.status == "fatal" else logging.WARNING
        log.log(level, "%s stopped: %s", result.kind, exc)

    async def _begin(self, kind: str) -> tuple[PollResult, int]:
        result = PollResult(kind=kind)
        run_id = await pollruns.start(self.db, kind)
        result.run_id = run_id
        return result, run_id

    async def _end(self, result: PollResult, requests_before: int) -> PollResult:
        result.requests = self.client.requests_sent - requests_before
        assert result.run_id is not None
        await pollruns.finish(
            self.db,
            result.run_id,
            status=result.status,
            requests=result.requests,
            listed=result.listed,
            new_filings=len(result.new),
            updated_filings=result.updated,
            error=" | ".join(result.errors),
        )
        return result

    @asynccontextmanager
    async def _run(self, kind: str) -> AsyncIterator[PollResult]:
        """One recorded run (a ``poll_runs`` row): the errors that stop polling set the
        result's status instead of raising; anything else is recorded as failed and
        raised. The run is finished exactly once either way."""
        result, _ = await self._begin(kind)
        before = self.client.requests_sent
        try:
            yield result
        except STOPPING as exc:
            self._classify(exc, result)
        except BaseException as exc:
            result.status = "failed"
            result.errors.append(f"{exc.__class__.__name__}: {exc}")
            await self._end(result, before)
            raise
        await self._end(result, before)

    async def poll(self) -> PollResult:
        """One cycle over today's window. Never raises for OpenDART trouble: the
        result's ``status`` says what happened."""
        async with self._run("poll") as result:
            if await self._blocked(result):
                return result
            corp_codes = await self.with_followed(await self._watched_codes(result))
            today = self.clock().astimezone(KST).date()
            result.window = poll_window(today, self.settings.poll_lookback_days)
            if corp_codes:
                await self._run_window(result.window, corp_codes, result, filings_repo.PENDING)
        return result

    async def confirm(self, corp_codes: Sequence[str]) -> PollResult:
        """One list.json query per company over today's window (kind ``confirm``): the
        authoritative rows for what the RSS feed just showed, at once rather than at the
        next safety-net poll. Rows found are stored like a poll's (new ones alerted)."""
        async with self._run("confirm") as result:
            if await self._blocked(result):
                return result
            watched = set(await self._watched_codes(result))
            today = self.clock().astimezone(KST).date()
            result.window = poll_window(today, self.settings.poll_lookback_days)
            result.strategy = PER_COMPANY
            for corp_code in sorted(set(corp_codes) & watched):
                await self._query_noting_failure(
                    result.window, corp_code, watched, result, filings_repo.PENDING
                )
        return result

    async def backfill(
        self, since: date, until: date, *, progress: Progress | None = None
    ) -> PollResult:
        """Store history in <=3-month windows, as ``suppressed`` (never alerted)."""
        windows = backfill_windows(since, until)
        async with self._run("backfill") as result:
            before = self.client.requests_sent
            result.window = (since, until)
            if await self._blocked(result):
                return result
            corp_codes = await self._watched_codes(result)
            for index, window in enumerate(windows, start=1):
                await self._run_window(window, corp_codes, result, filings_repo.SUPPRESSED)
                if progress is not None:
                    progress(
                        f"[{index}/{len(windows)}] {window[0]:%Y-%m-%d}..{window[1]:%Y-%m-%d}: "
                        f"{len(result.new)} new so far, {self.client.requests_sent - before} "
                        f"requests ({result.strategy})"
                    )
        return result
