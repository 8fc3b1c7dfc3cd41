"""Table models.

Field names follow OpenDART where the value is OpenDART's (``rcept_no``, ``corp_code``,
``report_nm``, ``rcept_dt``, ``rm``, ``flr_nm``). Every timestamp is timezone-aware UTC;
KST is a presentation concern.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Re-exported: the states are older here than their own module.
from storage.states import AlertState as AlertState
from storage.states import DeliveryStatus as DeliveryStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class CorpCode(SQLModel, table=True):
    """One entry of OpenDART's corpCode.xml: the registry used to resolve names."""

    __tablename__ = "corp_codes"

    corp_code: str = Field(primary_key=True, max_length=8)
    corp_name: str = Field(index=True)
    corp_eng_name: str | None = Field(default=None)
    stock_code: str | None = Field(default=None, index=True, max_length=6)
    modify_date: str | None = Field(default=None, max_length=8)


class Company(SQLModel, table=True):
    """A company on the watchlist (resolved to its corp code)."""

    __tablename__ = "companies"

    corp_code: str = Field(primary_key=True, max_length=8)
    corp_name: str
    corp_eng_name: str | None = None
    stock_code: str | None = Field(default=None, max_length=6)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    watched: bool = True
    added_at: datetime = Field(default_factory=utcnow)


class Filing(SQLModel, table=True):
    """A filing as OpenDART lists it, plus what dartwatch knows about when it saw it."""

    __tablename__ = "filings"
    __table_args__ = (Index("ix_filings_corp_dt", "corp_code", "rcept_dt"),)

    rcept_no: str = Field(primary_key=True, max_length=14)
    corp_code: str = Field(index=True, max_length=8)
    corp_name: str
    stock_code: str | None = Field(default=None, max_length=6)
    corp_cls: str | None = Field(default=None, max_length=1)
    report_nm: str
    flr_nm: str | None = None
    rcept_dt: str = Field(index=True, max_length=8)
    rm: str = ""
    first_seen_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    # The filing time DART's RSS feed gives (minute precision); None when only
    # list.json, which has no time, has listed it.
    filed_at: datetime | None = None
    # When list.json first listed it; None while only the RSS feed has shown it.
    listed_at: datetime | None = None
    amended: bool = False
    withdrawn: bool = False
    # Filings stored by a backfill are history: they never produce alerts. "rss": the
    # feed showed it before list.json did.
    source: str = Field(default="poll", max_length=16)
    # pending -> done once matched and its deliveries written (one transaction), or
    # suppressed (backfill). A crash between storing and matching leaves it pending,
    # and the next pipeline run picks it up: nothing is lost.
    alert_state: str = Field(default=AlertState.PENDING.value, max_length=16, index=True)


class FilingEvent(SQLModel, table=True):
    """A change seen on a stored filing (``rm`` gaining 정 or 철)."""

    __tablename__ = "filing_events"

    id: int | None = Field(default=None, primary_key=True)
    rcept_no: str = Field(index=True, max_length=14)
    kind: str = Field(max_length=32)
    old_rm: str = ""
    new_rm: str = ""
    at: datetime = Field(default_factory=utcnow)
    # Like Filing.alert_state: the pipeline turns events into alerts exactly once.
    processed: bool = Field(default=False, index=True)


class FilingDocument(SQLModel, table=True):
    """Plain text extracted from document.xml (size-capped), or why there is none."""

    __tablename__ = "filing_documents"

    rcept_no: str = Field(primary_key=True, max_length=14)
    status: str = Field(max_length=16)  # ok | missing | error | too_large | skipped | unparseable
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    size_bytes: int = 0
    fetched_at: datetime = Field(default_factory=utcnow)
    detail: str = ""


class FilingFacts(SQLModel, table=True):
    """What a filing says (key facts), stored once per filing, or why there are none.

    ``status``: extracted | none | unparseable, or retry while the structured API has
    no row yet (a bounded number of ``attempts``). ``corrects`` links a [기재정정]
    filing to the filing it corrects.
    """

    __tablename__ = "filing_facts"

    rcept_no: str = Field(primary_key=True, max_length=14)
    family: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=16)
    reason: str = ""
    source: str = Field(default="", max_length=8)
    facts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    corrections: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    corrects: str | None = Field(default=None, max_length=14, index=True)
    attempts: int = 0
    extracted_at: datetime = Field(default_factory=utcnow)


class PollRun(SQLModel, table=True):
    """One poll cycle: what it asked, what it found, how it ended."""

    __tablename__ = "poll_runs"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    kind: str = Field(default="poll", max_length=16)  # poll | backfill
    status: str = Field(default="running", max_length=16)  # running | ok | failed | quota | fatal
    requests: int = 0
    listed: int = 0
    new_filings: int = 0
    updated_filings: int = 0
    error: str = ""


class RequestDay(SQLModel, table=True):
    """OpenDART requests made on one KST day, persisted so restarts keep counting."""

    __tablename__ = "request_days"

    day: date = Field(primary_key=True)
    requests: int = 0
    quota_hit_at: datetime | None = None


class Meta(SQLModel, table=True):
    """Small durable facts: corpCode refresh time, quota pause, fatal key state, leader."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class Match(SQLModel, table=True):
    """A filing placed on the K-AI timeline (the matcher's result, stored)."""

    __tablename__ = "matches"

    rcept_no: str = Field(primary_key=True, max_length=14)
    timeline_version: str = Field(max_length=64)
    team: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=64)
    phase: str | None = Field(default=None, max_length=64)
    category: str = Field(max_length=64)
    relevance: int = 0
    ai_related: bool = False
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    body_used: bool = False
    matched_at: datetime = Field(default_factory=utcnow)


class Subscriber(SQLModel, table=True):
    """A chat that receives alerts (Telegram private chat, group or channel)."""

    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("notifier", "chat_id", name="uq_subscriber_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    notifier: str = Field(default="telegram", max_length=32)
    chat_id: int = Field(sa_type=BigInteger)
    chat_type: str = Field(default="private", max_length=16)
    title: str = ""
    language: str = Field(default="ko", max_length=2)
    filter: str = Field(default="all", max_length=8)  # all | ai
    quiet_start: int | None = None  # hour 0-23 KST
    quiet_end: int | None = None
    digest: bool = False
    active: bool = True
    deactivated_reason: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Per-chat filters (see docs/telegram.md): words are stored normalized (NFKC, casefolded).
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)  # /keyword: any must match
    excludes: list[str] = Field(default_factory=list, sa_type=JSON)  # /exclude: none may match
    hidden_types: list[str] = Field(default_factory=list, sa_type=JSON)  # /types switched off
    min_relevance: int = 0  # /filter N
    silent_below: int | None = None  # /silent N: quieter alerts ring without sound
    # /mute: corp_code -> ISO-8601 UTC end, or "" for "until /unmute".
    mutes: dict[str, str] = Field(default_factory=dict, sa_type=JSON)


class Subscription(SQLModel, table=True):
    """A subscriber's interest in one company."""

    __tablename__ = "subscriptions"

    subscriber_id: int = Field(foreign_key="subscribers.id", primary_key=True, ondelete="CASCADE")
    corp_code: str = Field(primary_key=True, max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox: one row per (message, destination), written with the match.

    ``status`` (:class:`DeliveryStatus`): pending -> sending -> sent, or -> dead after the
    last attempt; ``dropped`` when the destination went away. A row held for a
    subscriber's quiet hours is pending with ``next_attempt_at`` at their end.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("kind", "ref", "notifier", "destination", name="uq_delivery"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # alert | digest | broadcast | admin
    ref: str = Field(max_length=64)  # rcept_no for alerts, date for digests
    notifier: str = Field(max_length=32)
    destination: str = Field(max_length=64)  # chat id, or "default" for single-target notifiers
    subscriber_id: int | None = Field(default=None, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    last_error: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # The message the destination holds (Telegram message_id), so a correction or a
    # withdrawal can be sent as a reply to the alert it is about.
    message_id: int | None = Field(default=None, sa_type=BigInteger)
