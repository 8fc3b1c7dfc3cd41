"""Shared pieces for the Telegram bot tests: an in-memory BotServices and a started bot
talking to the fake Bot API over loopback."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from monitor.bot import BotConfig, CompanyInfo, Resolution, RunningBot, start_bot
from monitor.bot.services import CategoryInfo, RecordCheck, RecordRequest
from monitor.core.loopback import serve_in_thread
from notifiers.base import Alert
from storage.db import Database
from testkit.fakes.telegram_api import TOKEN, FakeTelegram, Limits, SentMessage

ADMIN = 900001
NAVER, SKT, SK, LG, NC = "00266961", "00159023", "00181712", "00120021", "00261443"

COMPANIES = (
    CompanyInfo(
        NAVER,
        "NAVER",
        "NAVER",
        "035420",
        ("네이버",),
        "네이버클라우드",
        "Naver Cloud",
        "eliminated",
    ),
    CompanyInfo(
        SKT,
        "SK텔레콤",
        "SK Telecom",
        "017670",
        ("SKT", "에스케이텔레콤"),
        "SK텔레콤",
        "SK Telecom",
        "active",
    ),
    CompanyInfo(
        SK,
        "SK",
        "SK Inc.",
        "034730",
        ("SK", "SK주식회사", "에스케이", "SK(주)"),
        "SK텔레콤",
        "SK Telecom",
        "active",
    ),
    CompanyInfo(
        LG, "LG", "LG Corp.", "003550", ("LG", "엘지"), "LG AI연구원", "LG AI Research", "active"
    ),
    CompanyInfo(
        NC, "엔씨소프트", "NCSOFT", "036570", ("엔씨", "NC"), "NC AI", "NC AI", "eliminated"
    ),
)


@dataclass
class FakeServices:
    companies_: tuple[CompanyInfo, ...] = COMPANIES
    alerts: list[Alert] = field(default_factory=list)
    broadcasts: list[str] = field(default_factory=list)
    records: list[RecordRequest] = field(default_factory=list)
    fail_latest: bool = False
    full: bool = False  # no room for one more followed company
    timeline: str = "현재 단계: 2차 <평가> & 준비\n다음: 2026-07 2차 평가 (D-170)"

    async def companies(self) -> Sequence[CompanyInfo]:
        return self.companies_

    async def categories(self) -> Sequence[CategoryInfo]:
        return (
            CategoryInfo("investment", "투자·지분 취득", "Investment"),
            CategoryInfo("ownership", "지분 변동", "Ownership"),
            CategoryInfo("rumour", "조회공시·풍문 해명", "Rumour clarification"),
        )

    async def resolve(self, query: str) -> Resolution:
        if query in ("삼성전자", "00126380", "005930"):
            return Resolution("00126380", "삼성전자")
        if query == "셀트리온":
            return Resolution(
                candidates=(("00413046", "셀트리온"), ("00421045", "셀트리온헬스케어"))
            )
        if query in ("00413046", "00421045"):
            return Resolution(query, "셀트리온" if query == "00413046" else "셀트리온헬스케어")
        return Resolution()

    async def can_follow(self, corp_code: str) -> bool:
        return not self.full or corp_code in {c.corp_code for c in self.companies_}

    async def timeline_text(self, lang: str) -> str:
        return self.timeline if lang == "ko" else "Current phase: 2nd <evaluation> & prep"

    async def latest(self, corp_code: str | None, limit: int) -> Sequence[Alert]:
        if self.fail_latest:
            raise RuntimeError("database is down")
        found = [a for a in self.alerts if corp_code is None or a.corp_code == corp_code]
        return found[:limit]

    async def latest_page(
        self, corp_codes: Sequence[str] | None, *, ai_only: bool, offset: int, limit: int
    ) -> Sequence[Alert]:
        if self.fail_latest:
            raise RuntimeError("database is down")
        found = [
            a
            for a in self.alerts
            if (corp_codes is None or a.corp_code in corp_codes) and (a.ai_related or not ai_only)
        ]
        return found[offset : offset + limit]

    async def filing_alert(self, rcept_no: str, event: str = "new") -> Alert | None:
        for alert in self.alerts:
            if alert.rcept_no == rcept_no:
                return replace(alert, event=event)
        return None

    async def stats(self) -> Mapping[str, int | str]:
        return {"alerts_today": 3, "requests_today": 120, "failed_deliveries": 0}

    async def broadcast(self, text: str) -> int:
        self.broadcasts.append(text)
        return 7

    async def check_record(self, request: RecordRequest, lang: str) -> RecordCheck:
        if request.milestone != "stage2-result":
            return RecordCheck(errors=(f"unknown milestone {request.milestone!r}",))
        return RecordCheck(preview=f"{request.milestone} → {request.outcome}")

    async def write_record(self, request: RecordRequest, lang: str) -> str:
        self.records.append(request)
        return f"{request.milestone} · custom-0000 · re-matched 2 changed"


@dataclass
class BotEnv:
    api: FakeTelegram
    url: str
    bot: RunningBot
    services: FakeServices
    db: Database

    async def say(
        self, chat_id: int, text: str, *, replies: int = 1, language_code: str | None = "ko"
    ) -> list[SentMessage]:
        """A private message from *chat_id*; return the bot's new replies."""
        before = len(self.api.sent_messages(chat_id))
        self.api.private_text(chat_id, text, language_code=language_code)
        msgs = await self.api.wait_sent(chat_id, before + replies)
        return msgs[before:]

    async def silent(self, chat_id: int, push: object) -> None:
        """Assert the update pushed by *push* got no reply: a /help sent after it is
        answered (updates are handled in order), and nothing else arrived."""
        before = len(self.api.sent_messages(chat_id))
        self.api.private_text(chat_id, "/help")
        msgs = await self.api.wait_sent(chat_id, before + 1)
        assert len(msgs) == before + 1, [m.text[:60] for m in msgs[before:]]


@contextlib.asynccontextmanager
async def running_bot(
    db: Database,
    *,
    services: FakeServices | None = None,
    limits: Limits | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    admin_user_ids: frozenset[int] = frozenset({ADMIN}),
    admin_chat_ids: frozenset[int] = frozenset(),
    command_budget: tuple[float, float] | None = (1000.0, 1000.0),
) -> AsyncIterator[BotEnv]:
    # Conversation tests are about replies, not flood limits: a roomy per-chat burst
    # (Telegram's and the command budget; the flood tests pass the real ones).
    api = FakeTelegram(limits=limits or Limits(private_burst=1000, overall_burst=1000))
    services = services or FakeServices()
    with serve_in_thread(api) as url:
        config = BotConfig(
            token=TOKEN,
            base_url=f"{url}/bot",
            admin_chat_ids=admin_chat_ids,
            admin_user_ids=admin_user_ids,
            command_budget=command_budget,
            reply_burst=api.limits.private_burst,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            poll_timeout=1.0,
            request_timeout=5.0,
        )
        bot = await start_bot(config, db, services)
        try:
            yield BotEnv(api, url, bot, services, db)
        finally:
            await bot.stop()
