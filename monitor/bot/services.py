"""What the bot needs from the rest of dartwatch, as a Protocol.

The bot lives in ``notifiers/`` and must not import ``monitor/``; the daemon hands it
an implementation (``monitor.bot.monitor_services.MonitorBotServices``) and tests hand it a
small in-memory one. Everything crossing this seam is plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from notifiers.base import Alert


@dataclass(frozen=True, slots=True)
class CompanyInfo:
    """A watched company as the bot shows it and resolves names against it."""

    corp_code: str
    name_ko: str
    name_en: str = ""
    stock_code: str | None = None
    aliases: tuple[str, ...] = ()
    team_ko: str | None = None  # K-AI team label, e.g. "네이버클라우드"
    team_en: str | None = None
    team_status: str | None = None  # active | eliminated | unverified

    def name(self, lang: str) -> str:
        if lang == "en" and self.name_en:
            return self.name_en
        return self.name_ko

    def team(self, lang: str) -> str | None:
        return (self.team_en or self.team_ko) if lang == "en" else (self.team_ko or self.team_en)


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """A filing category a chat can switch off (``/types``)."""

    id: str
    name_ko: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ko


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the wider registry (OpenDART's corpCode list) says about a name.

    ``corp_code`` set: exactly one company; ``candidates`` set: the name is ambiguous
    (``(corp_code, name)`` pairs); neither: nobody of that name.
    """

    corp_code: str | None = None
    name: str = ""
    candidates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RecordRequest:
    """An admin's ``/record``: a milestone's outcome and each team's result."""

    milestone: str
    outcome: str
    teams: tuple[tuple[str, str], ...]  # (team id, advanced | eliminated)
    sources: tuple[str, ...]
    day: date | None = None  # None: today (KST)


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """What writing a record would do: ``errors`` (nothing is written) or ``preview``."""

    preview: str = ""
    errors: tuple[str, ...] = ()


class BotServices(Protocol):
    async def companies(self) -> Sequence[CompanyInfo]:
        """The watched companies, in display order."""
        ...

    async def categories(self) -> Sequence[CategoryInfo]:
        """The filing categories, in display order."""
        ...

    async def resolve(self, query: str) -> Resolution:
        """Resolve a name/code beyond the watchlist (to tell "not watched" from "unknown")."""
        ...

    async def can_follow(self, corp_code: str) -> bool:
        """Whether one more chat may follow *corp_code*: it is watched or followed
        already, or the companies polled are still under ``MAX_WATCHED_COMPANIES``."""
        ...

    async def timeline_text(self, lang: str) -> str:
        """Plain text: current phase, last/next milestones with day counts, team statuses."""
        ...

    async def latest(self, corp_code: str | None, limit: int) -> Sequence[Alert]:
        """The most recent stored filings (of one company, or of all watched), newest first."""
        ...

    async def latest_page(
        self, corp_codes: Sequence[str] | None, *, ai_only: bool, offset: int, limit: int
    ) -> Sequence[Alert]:
        """A page of stored filings of *corp_codes* (None: the watched companies), newest
        first; only AI-related ones with *ai_only*. Muted companies are included."""
        ...

    async def filing_alert(self, rcept_no: str, event: str = "new") -> Alert | None:
        """The alert of one stored filing as it would be sent now (rebuilt from the
        database: an alert's buttons work after a restart); None when not stored."""
        ...

    async def stats(self) -> Mapping[str, int | str]:
        """Operational figures for /stats (alerts today, requests used, failures...)."""
        ...

    async def broadcast(self, text: str) -> int:
        """Queue *text* for every active chat through the outbox; return how many."""
        ...

    async def check_record(self, request: RecordRequest, lang: str) -> RecordCheck:
        """Validate a record against the timeline without writing anything."""
        ...

    async def write_record(self, request: RecordRequest, lang: str) -> str:
        """Write the record into the operator's timeline file, re-match the filings it
        changes and use the new timeline; a plain-text summary."""
        ...
