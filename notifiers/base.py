"""The notifier interface and the plain objects notifiers receive.

Notifiers never see the database or the matcher: the dispatcher hands them an
:class:`Alert` (one filing with its K-AI context) or a :class:`DigestMessage`
(a rendered digest), plus the destination string of the outbox row.
"""

from __future__ import annotations

import abc
import asyncio
import copy
import ipaddress
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DART_VIEWER = "https://dart.fss.or.kr/dsaf001/main.do?rcpNo={rcept_no}"

KST = ZoneInfo("Asia/Seoul")  # the one Korean time zone object of the project


def viewer_url(rcept_no: str) -> str:
    return DART_VIEWER.format(rcept_no=rcept_no)


def is_loopback_host(host: str) -> bool:
    """True for hosts that never leave this machine: 127.0.0.0/8, ::1 and ``localhost``.

    Plain-text transports (http://, SMTP without TLS) are allowed only to these.
    """
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- errors: the notifier classifies, the dispatcher decides ------------------------


class NotifierError(Exception):
    """Base class for delivery failures. Messages must never contain secrets."""


class TransientError(NotifierError):
    """Worth retrying later (network error, 5xx, timeout). ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(NotifierError):
    """Retrying will not help this message (bad payload, 4xx): dead-letter it."""


class DestinationGone(PermanentError):
    """The destination no longer accepts messages (user blocked the bot, chat deleted):
    deactivate it instead of retrying."""


class Pacer:
    """At most *rate* request starts per second, spaced when each one starts; a
    :meth:`pause` (a 429's ``retry_after``) holds every start until it ends.

    Spacing at the moment of sending, not by a schedule computed ahead: after an
    event-loop stall (a slow commit, a busy CPU) scheduled sends would wake together and
    reach the destination as a burst, which rate-limited APIs answer with 429. The
    dispatcher paces each notifier with one of these, and a notifier with its own queue
    (Telegram's) may use one too. ``rate=None`` means unpaced: :meth:`wait` returns at
    once unless a pause is running.
    """

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._last = float("-inf")
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if self.interval == 0.0 and self._paused_until <= self._clock():
            return
        async with self._lock:
            delay = max(self._last + self.interval, self._paused_until) - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last = self._clock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)


class GoneMemory:
    """Destinations that answered "gone" recently, so that no further request is made
    to them while other messages for them still wait (in a pacer, or in the outbox
    behind a claim). Both the dispatcher and a notifier's own queue consult one of
    these; entries fade after *seconds* so a chat that comes back is not refused
    forever by one process."""

    def __init__(self, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._at: dict[str, float] = {}

    def remember(self, destination: str) -> None:
        self._at[destination] = self._clock()

    def ago(self, destination: str) -> float | None:
        """Seconds since *destination* answered gone, or None (never, or long enough
        ago to try again)."""
        at = self._at.get(destination)
        if at is None:
            return None
        ago = self._clock() - at
        if ago < self.seconds:
            return ago
        del self._at[destination]
        return None


class DestinationMoved(NotifierError):
    """The destination has a new address (Telegram group migrated to a supergroup)."""

    def __init__(self, message: str, new_destination: str) -> None:
        super().__init__(message)
        self.new_destination = new_destination


class NotifierConfigError(Exception):
    """A notifier's settings are missing or wrong; the message names the setting."""


# --- payloads ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """One contribution to the relevance score, explained in both languages."""

    points: int
    ko: str
    en: str

    def text(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True, slots=True)
class MilestoneRef:
    """A timeline milestone near the filing; ``offset_days`` < 0 means before the filing."""

    date: str  # YYYY-MM-DD, or YYYY-MM when the day is unknown
    title_ko: str
    title_en: str
    offset_days: int
    key: bool = False
    # confirmed | reported | planned | overdue | cancelled, as known on the filing date.
    status: str = "confirmed"
    end: str = ""  # last month/day of a range ("2026-12" … "2027-02"), else ""
    conflicting: bool = False  # outlets disagree and no outcome is recorded
    outcome_ko: str = ""
    outcome_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_ko if lang == "ko" else self.title_en

    def outcome(self, lang: str) -> str:
        return self.outcome_ko if lang == "ko" else self.outcome_en

    @property
    def date_text(self) -> str:
        """``2026-08`` or the range ``2026-12 … 2027-02``."""
        return f"{self.date} … {self.end}" if self.end else self.date


@dataclass(frozen=True, slots=True)
class FactChange:
    """One thing a correction changed: a fact (``key``) or a row of the amendment's
    정정사항 table (``key`` empty), with display forms before and after."""

    key: str
    label: str
    old: str
    new: str


def _plain(value: MilestoneRef | Reason | FactChange | None) -> dict[str, Any] | None:
    """A flat dataclass (every field a str, int or bool) as a dict."""
    if value is None:
        return None
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Alert:
    """One filing with its place on the K-AI timeline; everything a notifier shows."""

    rcept_no: str
    corp_code: str
    corp_name: str
    report_nm: str
    rcept_dt: str  # YYYYMMDD as OpenDART gives it
    flr_nm: str = ""
    stock_code: str | None = None
    rm: str = ""
    first_seen_at: datetime | None = None
    category: str = "other"
    category_ko: str = "기타"
    category_en: str = "Other"
    correction: bool = False  # report_nm carries [기재정정] or another amendment prefix
    amended: bool = False  # rm gained 정: a later correction exists
    withdrawn: bool = False  # rm gained 철
    team: str | None = None
    team_ko: str | None = None
    role: str | None = None
    role_ko: str | None = None
    team_status: str | None = None  # active | eliminated | unverified
    phase: str | None = None
    phase_ko: str | None = None
    milestone_before: MilestoneRef | None = None
    milestone_after: MilestoneRef | None = None
    relevance: int = 0
    ai_related: bool = False
    reasons: tuple[Reason, ...] = ()
    body_used: bool = False
    timeline_version: str = ""
    event: str = "new"  # new | amended | withdrawn
    team_status_ko: str | None = None  # the team status in words, e.g. "미확인 (…)"
    team_status_en: str | None = None
    sources_end: str | None = None  # set when the data is over 60 days old: say so once
    phase_status: str | None = None  # the phase's status, like MilestoneRef.status
    # What the filing says: a one-line summary (ko / en) and its key facts
    # (stable snake_case key -> number, YYYY-MM-DD date or text).
    summary: str | None = None
    summary_en: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    # A [기재정정]: the filing it corrects and what changed (old -> new).
    corrects: str | None = None
    changes: tuple[FactChange, ...] = ()
    # The filing time DART's RSS feed gives (UTC, to the minute); None when unknown.
    filed_at: datetime | None = None

    @property
    def url(self) -> str:
        return viewer_url(self.rcept_no)

    @property
    def rcept_date(self) -> str:
        d = self.rcept_dt
        return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else d

    def summary_for(self, lang: str) -> str | None:
        """The summary in *lang*, falling back to the other language."""
        if lang == "en":
            return self.summary_en or self.summary
        return self.summary or self.summary_en

    @property
    def received(self) -> str:
        """The receipt date, with the filing time in KST when the feed gave it."""
        if self.filed_at is None:
            return self.rcept_date
        filed = self.filed_at
        if filed.tzinfo is None:  # SQLite hands back naive values; stored times are UTC
            filed = filed.replace(tzinfo=UTC)
        return f"{filed.astimezone(KST):%Y-%m-%d %H:%M} KST"

    def top_reasons(self, n: int = 3) -> tuple[Reason, ...]:
        return tuple(sorted(self.reasons, key=lambda r: -abs(r.points))[:n])

    def to_dict(self) -> dict[str, Any]:
        """The alert as JSON-ready data: what :func:`dataclasses.asdict` gives, built
        field by field. Every webhook delivery of a new alert serialises it, and asdict's
        recursive deep copy of each field was about a tenth of the dispatcher's CPU."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["milestone_before"] = _plain(self.milestone_before)
        data["milestone_after"] = _plain(self.milestone_after)
        data["reasons"] = tuple(_plain(r) for r in self.reasons)
        data["changes"] = tuple(_plain(c) for c in self.changes)
        data["facts"] = copy.deepcopy(self.facts) if self.facts else {}
        data["first_seen_at"] = self.first_seen_at.isoformat() if self.first_seen_at else None
        data["filed_at"] = self.filed_at.isoformat() if self.filed_at else None
        data["url"] = self.url
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        data = dict(data)
        data.pop("url", None)
        seen = data.get("first_seen_at")
        if isinstance(seen, str):
            data["first_seen_at"] = datetime.fromisoformat(seen)
        filed = data.get("filed_at")
        if isinstance(filed, str):
            data["filed_at"] = datetime.fromisoformat(filed)
        for key in ("milestone_before", "milestone_after"):
            if isinstance(data.get(key), dict):
                data[key] = MilestoneRef(**data[key])
        data["reasons"] = tuple(
            r if isinstance(r, Reason) else Reason(**r) for r in data.get("reasons", ())
        )
        data["changes"] = tuple(
            c if isinstance(c, FactChange) else FactChange(**c) for c in data.get("changes", ())
        )
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, slots=True)
class HeldAlerts:
    """The alerts a chat's quiet hours held, delivered together when they end, in the
    order they were held (:meth:`Notifier.send_held`)."""

    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class DigestMessage:
    """A digest already rendered in every format a notifier might want."""

    date: str  # YYYY-MM-DD (KST business day)
    lang: str
    subject: str
    text: str  # plain text
    markdown: str
    html: str
    json: str
    text_parts: tuple[str, ...] = ()  # text split at section boundaries (Telegram-sized)
    attachments: dict[str, str] = field(default_factory=dict)  # file name -> content

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DigestMessage:
        data = dict(data)
        data["text_parts"] = tuple(data.get("text_parts", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


# --- the interface -------------------------------------------------------------------


class NotifierSettings(BaseSettings):
    """Base for a notifier's own settings block (read from the environment and .env).

    Subclasses set ``model_config = SettingsConfigDict(env_prefix="WEBHOOK_")``; the
    rest of the configuration below is inherited (pydantic merges the two).
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
        populate_by_name=True,
    )

    def secret_values(self) -> list[str]:
        """Every secret value set in this block, for log redaction."""
        found: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                if isinstance(item, SecretStr) and item.get_secret_value():
                    found.append(item.get_secret_value())
        return found


class Notifier(abc.ABC):
    """A destination kind. Subclasses declare their limits; the dispatcher honours them.

    ``destinations()`` lists the fixed destinations of a single-target notifier
    (webhook, e-mail, console, file: ``["default"]``). Notifiers whose destinations
    are subscribers (Telegram) return ``[]`` and get one row per subscriber instead.
    """

    name: ClassVar[str] = ""
    settings_model: ClassVar[type[NotifierSettings] | None] = None
    #: messages per second across all destinations (None = unlimited)
    rate_per_second: ClassVar[float | None] = None
    #: minimum seconds between two messages to the same destination
    per_destination_interval: ClassVar[float] = 0.0
    #: maximum message size in characters (None = unlimited)
    max_message_chars: ClassVar[int | None] = None
    #: whether the notifier wants alerts, digests or both
    accepts_alerts: ClassVar[bool] = True
    accepts_digests: ClassVar[bool] = True
    #: fan out per subscriber (True) or use destinations() (False)
    per_subscriber: ClassVar[bool] = False
    #: alerts held through a chat's quiet hours arrive as one summary (send_held);
    #: otherwise each is sent on its own when the hours end
    summarizes_held: ClassVar[bool] = False

    def destinations(self) -> list[str]:
        return [] if self.per_subscriber else ["default"]

    def rate_limit(self) -> float | None:
        """Messages per second across all destinations, as configured (defaults to the
        class's declaration; a notifier whose limit depends on its settings overrides)."""
        return self.rate_per_second

    def min_interval_for(self, destination: str) -> float:
        """Minimum seconds between two messages to *destination*."""
        return self.per_destination_interval

    def secrets(self) -> list[str]:
        """Secret values this notifier holds (tokens, passwords, secret URLs), for the
        caller to register with its log redaction. By default every ``SecretStr`` of the
        ``settings`` attribute, when the notifier keeps its settings block there."""
        settings = getattr(self, "settings", None)
        if isinstance(settings, NotifierSettings):
            return settings.secret_values()
        return []

    async def start(self) -> None:  # noqa: B027  (optional hook)
        """Open connections; called once before the first send."""

    async def close(self) -> None:  # noqa: B027  (optional hook)
        """Release connections; called once at shutdown."""

    async def health(self) -> str:
        """A short human-readable status; raise :class:`NotifierError` when unhealthy."""
        return "ok"

    @abc.abstractmethod
    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        """Deliver one alert, or raise a :class:`NotifierError` subclass."""

    async def send_alert_silently(
        self, alert: Alert, destination: str, *, lang: str = "ko"
    ) -> None:
        """Deliver an alert the recipient asked to get without sound (``/silent``).
        Notifiers that have no such notion keep this default: a normal alert."""
        await self.send_alert(alert, destination, lang=lang)

    async def send_held(
        self, held: HeldAlerts, destination: str, *, lang: str = "ko", silent: bool = False
    ) -> None:
        """Deliver the alerts held through quiet hours as one summary message. Only
        called on notifiers that declare ``summarizes_held``."""
        raise PermanentError(f"the {self.name} notifier does not send held-alert summaries")

    async def send_digest(self, digest: DigestMessage, destination: str) -> None:
        """Deliver one digest; notifiers that do not take digests keep this default."""
        raise PermanentError(f"the {self.name} notifier does not send digests")

    async def send_text(self, text: str, destination: str) -> None:
        """Deliver a plain administrative text (broadcast, admin alert)."""
        raise PermanentError(f"the {self.name} notifier does not send plain texts")
