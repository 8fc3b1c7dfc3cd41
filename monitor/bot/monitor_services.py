"""The daemon's implementation of the bot's :class:`BotServices` protocol.

The bot (``monitor/bot``) talks to the rest through a Protocol; this class is the
bridge: watched companies with their K-AI team and status (timeline), name lookup
beyond the watchlist (corpCode registry, or the watchlist resolver when given),
the timeline box as text, recent filings as Alerts (stored matches), operational
figures, and broadcasts queued through the outbox.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, or_
from sqlmodel import col, select

from monitor.bot.services import (
    CategoryInfo,
    CompanyInfo,
    RecordCheck,
    RecordRequest,
    Resolution,
)
from monitor.core import kcalendar
from monitor.delivery.pipeline import EVENT_SEP, alert_for_ref
from monitor.kai.matcher import alert_from_rows
from monitor.kai.matcher import categories as filing_categories
from monitor.kai.records import NewRecord, RecordError, add_record
from monitor.kai.rematch import rematch_all
from monitor.kai.timeline import Timeline
from monitor.kai.timeline.model import RECORD_RESULTS
from monitor.kai.timeline.queries import team_of, team_standing
from monitor.kai.timeline.views import render_text
from notifiers.base import Alert
from storage import outbox
from storage import subscribers as subs
from storage.db import Database
from storage.models import Company, CorpCode, DeliveryStatus, Filing, Match, PollRun, RequestDay

Resolver = Callable[[str], Awaitable[Resolution]]


class WatchedLike(Protocol):
    """What a watchlist entry must offer (``monitor.ingest.companies`` entries or Company rows)."""

    @property
    def corp_code(self) -> str: ...
    @property
    def corp_name(self) -> str: ...
    @property
    def corp_eng_name(self) -> str | None: ...
    @property
    def stock_code(self) -> str | None: ...
    @property
    def aliases(self) -> Sequence[str]: ...


class MonitorBotServices:
    def __init__(
        self,
        db: Database,
        timeline: Timeline,
        *,
        watchlist: Sequence[WatchedLike] | None = None,
        resolver: Resolver | None = None,
        on_queued: Callable[[], None] | None = None,
        today: Callable[[], date] = kcalendar.today_kst,
        timeline_file: Path | None = None,
        on_timeline: Callable[[Timeline], None] | None = None,
        remote_file: Path | None = None,
        max_watched: int = 300,
    ) -> None:
        """*watchlist*: the watched companies (default: the ``companies`` table rows
        marked watched); *resolver*: wider name lookup (default: the corpCode table);
        *on_queued*: called after a broadcast is queued (``dispatcher.wake``);
        *timeline_file*: where ``/record`` writes (TIMELINE_FILE); *on_timeline*: told
        the new timeline after a record, so the pipeline matches with it; *remote_file*:
        the cached TIMELINE_URL copy, layered under the operator's file."""
        self.db = db
        self.timeline = timeline
        self.timeline_file = timeline_file
        self.on_timeline = on_timeline
        self.remote_file = remote_file
        self.watchlist = watchlist
        self.resolver = resolver
        self.on_queued = on_queued
        self.today = today
        self.max_watched = max_watched

    async def _watched(self) -> Sequence[WatchedLike]:
        if self.watchlist is not None:
            return self.watchlist
        async with self.db.session() as s:
            rows = await s.exec(
                select(Company)
                .where(col(Company.watched).is_(True))
                .order_by(col(Company.added_at))
            )
            return list(rows.all())

    async def companies(self) -> Sequence[CompanyInfo]:
        day = self.today()
        out = []
        for c in await self._watched():
            link = team_of(self.timeline, c.corp_code, c.stock_code)
            team_ko = team_en = status = None
            if link is not None:
                team_ko, team_en = link.team.name_ko, link.team.name_en
                standing = team_standing(self.timeline, link.team.id, day)
                status = standing.status if standing is not None else None
            out.append(
                CompanyInfo(
                    corp_code=c.corp_code,
                    name_ko=c.corp_name,
                    name_en=c.corp_eng_name or c.corp_name,
                    stock_code=c.stock_code,
                    aliases=tuple(c.aliases or ()),
                    team_ko=team_ko,
                    team_en=team_en,
                    team_status=status,
                )
            )
        return out

    async def categories(self) -> Sequence[CategoryInfo]:
        return [CategoryInfo(i, ko, en) for i, ko, en in filing_categories()]

    async def resolve(self, query: str) -> Resolution:
        if self.resolver is not None:
            return await self.resolver(query)
        q = query.strip()
        if not q:
            return Resolution()
        async with self.db.session() as s:
            rows = (
                await s.exec(
                    select(CorpCode)
                    .where(
                        or_(
                            col(CorpCode.corp_code) == q,
                            col(CorpCode.stock_code) == q,
                            col(CorpCode.corp_name) == q,
                            func.lower(col(CorpCode.corp_eng_name)) == q.lower(),
                        )
                    )
                    .limit(10)
                )
            ).all()
        if len(rows) == 1:
            return Resolution(rows[0].corp_code, rows[0].corp_name)
        return Resolution(candidates=tuple((r.corp_code, r.corp_name) for r in rows))

    async def can_follow(self, corp_code: str) -> bool:
        core = {c.corp_code for c in await self._watched()}
        async with self.db.session() as s:
            followed = set(await subs.followed_companies(s))
        polled = core | followed
        return corp_code in polled or len(polled) < self.max_watched

    async def timeline_text(self, lang: str) -> str:
        return render_text(self.timeline, self.today(), lang, full=False)

    async def latest(self, corp_code: str | None, limit: int) -> Sequence[Alert]:
        codes = [corp_code] if corp_code is not None else None
        return await self.latest_page(codes, ai_only=False, offset=0, limit=limit)

    async def latest_page(
        self, corp_codes: Sequence[str] | None, *, ai_only: bool, offset: int, limit: int
    ) -> Sequence[Alert]:
        codes = (
            list(corp_codes)
            if corp_codes is not None
            else [c.corp_code for c in await self._watched()]
        )
        stmt = (
            select(Filing, Match)
            .join(Match, col(Match.rcept_no) == col(Filing.rcept_no), isouter=True)
            .where(col(Filing.corp_code).in_(codes))
            .order_by(col(Filing.rcept_dt).desc(), col(Filing.rcept_no).desc())
            .offset(offset)
            .limit(limit)
        )
        if ai_only:
            stmt = stmt.where(col(Match.ai_related).is_(True))
        async with self.db.session() as s:
            rows = (await s.exec(stmt)).all()
        alerts = []
        for filing, match in rows:
            if match is not None:
                alerts.append(alert_from_rows(filing, match))
            else:
                alerts.append(
                    Alert(
                        rcept_no=filing.rcept_no,
                        corp_code=filing.corp_code,
                        corp_name=filing.corp_name,
                        report_nm=filing.report_nm,
                        rcept_dt=filing.rcept_dt,
                        flr_nm=filing.flr_nm or "",
                        first_seen_at=filing.first_seen_at,
                    )
                )
        return alerts

    async def filing_alert(self, rcept_no: str, event: str = "new") -> Alert | None:
        ref = rcept_no if event == "new" else f"{rcept_no}{EVENT_SEP}{event}"
        try:
            return await alert_for_ref(self.db, ref)
        except LookupError:
            return None

    async def stats(self) -> Mapping[str, int | str]:
        day = self.today()
        midnight = datetime.combine(day, time(0), tzinfo=kcalendar.now_kst().tzinfo)
        figures: dict[str, int | str] = {
            "alerts_sent_today": await outbox.sent_since(self.db, midnight, "alert"),
        }
        counts = await outbox.counts(self.db)
        figures["deliveries_pending"] = counts.get(DeliveryStatus.PENDING, 0) + counts.get(
            DeliveryStatus.SENDING, 0
        )
        figures["deliveries_failed"] = counts.get(DeliveryStatus.DEAD, 0)
        async with self.db.session() as s:
            requests = await s.get(RequestDay, day)
            figures["dart_requests_today"] = requests.requests if requests else 0
            last = (
                await s.exec(select(PollRun).order_by(col(PollRun.started_at).desc()).limit(1))
            ).first()
            since = datetime.now(midnight.tzinfo) - timedelta(days=1)
            failed_polls = (
                await s.exec(
                    select(func.count())
                    .select_from(PollRun)
                    .where(col(PollRun.started_at) >= since, col(PollRun.status) != "ok")
                )
            ).one()
        figures["failed_polls_24h"] = int(failed_polls)
        if last is not None:
            figures["last_poll"] = f"{last.started_at:%Y-%m-%d %H:%M} UTC {last.status}"
        return figures

    async def broadcast(self, text: str) -> int:
        ref = f"broadcast-{uuid.uuid4().hex[:16]}"
        async with self.db.session() as s:
            audience = await subs.active_subscribers(s)
            rows = [
                outbox.NewDelivery(
                    kind="broadcast",
                    ref=ref,
                    notifier=subs.TELEGRAM,
                    destination=str(sub.chat_id),
                    subscriber_id=sub.id,
                    payload={"text": text},
                )
                for sub in audience
            ]
            await outbox.enqueue(s, rows)
        if self.on_queued is not None:
            self.on_queued()
        return len(rows)

    # --- /record ------------------------------------------------------------------------

    def _remote(self) -> Path | None:
        return self.remote_file if self.remote_file and self.remote_file.is_file() else None

    def _new_record(self, request: RecordRequest) -> NewRecord:
        return NewRecord(
            milestone=request.milestone,
            day=request.day or self.today(),
            outcome_ko=request.outcome,
            outcome_en=request.outcome,
            teams=request.teams,
            sources=request.sources,
        )

    def _problems(self, request: RecordRequest) -> list[str]:
        problems = []
        if self.timeline_file is None:
            problems.append("TIMELINE_FILE is not set on the server")
        if request.day is not None and request.day > self.today():
            problems.append(f"{request.day.isoformat()} is in the future")
        bad = [f"{team}={result}" for team, result in request.teams if result not in RECORD_RESULTS]
        if bad:
            problems.append(f"team results must be advanced or eliminated: {', '.join(bad)}")
        return problems

    async def check_record(self, request: RecordRequest, lang: str) -> RecordCheck:
        problems = self._problems(request)
        if problems or self.timeline_file is None:
            return RecordCheck(errors=tuple(problems))
        record = self._new_record(request)
        try:
            timeline = await asyncio.to_thread(
                add_record, self.timeline_file, record, "", write=False, remote=self._remote()
            )
        except RecordError as exc:
            return RecordCheck(errors=tuple(exc.errors) or (str(exc),))
        return RecordCheck(preview=_preview(timeline, record, lang))

    async def write_record(self, request: RecordRequest, lang: str) -> str:
        if self._problems(request) or self.timeline_file is None:
            raise RecordError("record no longer valid")
        record = self._new_record(request)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        timeline = await asyncio.to_thread(
            add_record, self.timeline_file, record, stamp, remote=self._remote()
        )
        self.timeline = timeline
        if self.on_timeline is not None:
            self.on_timeline(timeline)
        m = timeline.milestone_by_id[record.milestone]
        since = min(m.first_day - timedelta(days=31), record.day)
        stats = await rematch_all(self.db, timeline, since=since.strftime("%Y%m%d"))
        return f"{record.milestone} · {timeline.version} · re-matched {stats.changed} changed"


def _preview(timeline: Timeline, record: NewRecord, lang: str) -> str:
    """The record as the admin will confirm it (plain text)."""
    m = timeline.milestone_by_id[record.milestone]
    teams = ", ".join(
        f"{timeline.team_by_id[team].name(lang)}: {result}" for team, result in record.teams
    )
    return "\n".join(
        [
            f"{m.date_text} {m.title(lang)}",
            f"→ {record.outcome_ko}",
            f"{record.day.isoformat()} · {teams or '-'}",
            *record.sources,
        ]
    )
