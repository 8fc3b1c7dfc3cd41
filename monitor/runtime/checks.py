"""``dartwatch check``: every part of a configuration tried against the real services,
one verdict a part, so an operator learns what is wrong before waiting for a filing.

Each check is a small async function of :class:`CheckContext` returning a
:class:`CheckResult`: ``OK``, ``WARN`` (works, but look) or ``FAIL`` (will not work),
with the fix in one line. A check never sends a subscriber anything; the ones that
must send to prove a destination works (the webhook's ``test`` event) say so.
Every check is bounded in time and every text passes the log redaction, so a
secret never reaches the output.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Literal

import httpx

from monitor.core import kcalendar
from monitor.core.logs import redact
from monitor.core.settings import Settings
from notifiers.base import Notifier, NotifierConfigError, NotifierError
from storage.db import Database, is_sqlite, sync_url

Verdict = Literal["OK", "WARN", "FAIL"]

#: Seconds any one check may take; a hung service is a FAIL, not a hung command.
CHECK_TIMEOUT = 20.0
#: The timeline's sources may be this old before the check warns.
TIMELINE_MAX_AGE = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class CheckResult:
    part: str
    verdict: Verdict
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(slots=True)
class CheckContext:
    settings: Settings
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    notifier_error: str | None = None
    db: Database | None = None  # set once the database check found it migrated
    secrets: list[str] = field(default_factory=list)


CheckFn = Callable[[CheckContext], Awaitable[list[CheckResult]]]


def _safe(ctx: CheckContext, text: str) -> str:
    return " ".join(redact(text, ctx.secrets).split())[:300]


# --- settings ----------------------------------------------------------------------------


async def check_settings(ctx: CheckContext) -> list[CheckResult]:
    s = ctx.settings
    backend = "SQLite" if is_sqlite(s.database_url) else "PostgreSQL"
    names = ", ".join(s.notifiers) or "none"
    if ctx.notifier_error is not None:
        return [
            CheckResult(
                "settings",
                "FAIL",
                _safe(ctx, ctx.notifier_error),
                "set the named setting in .env (see .env.example), then run check again",
            )
        ]
    if not s.notifiers:
        return [
            CheckResult(
                "settings",
                "FAIL",
                "NOTIFIERS is empty: no alert would go anywhere",
                "set NOTIFIERS=telegram (and TELEGRAM_BOT_TOKEN) or NOTIFIERS=console",
            )
        ]
    return [CheckResult("settings", "OK", f"notifiers: {names}; database: {backend}")]


# --- database ----------------------------------------------------------------------------


def _revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    target = sync_url(url)
    args = {} if target.get_backend_name() == "sqlite" else {"connect_timeout": 5}
    engine = create_engine(target, poolclass=pool.NullPool, connect_args=args)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _missing_sqlite_file(url: str) -> str | None:
    """The SQLite file *url* names when it does not exist (connecting would create it)."""
    if not is_sqlite(url):
        return None
    path = sync_url(url).database
    return path if path and path != ":memory:" and not os.path.exists(path) else None


async def check_database(ctx: CheckContext) -> list[CheckResult]:
    from storage.copy import copy_marker
    from storage.migrate import head_revision

    url = ctx.settings.database_url
    path = _missing_sqlite_file(url)
    if path is not None:
        return [
            CheckResult(
                "database",
                "WARN",
                f"{path} does not exist yet",
                "`dartwatch run` creates it at start (or run `dartwatch db upgrade`)",
            )
        ]
    try:
        current = await asyncio.to_thread(_revision, url)
    except Exception as exc:
        return [
            CheckResult(
                "database",
                "FAIL",
                f"cannot connect: {_safe(ctx, f'{type(exc).__name__}: {exc}')}",
                "check DATABASE_URL, that the server runs and the user may connect",
            )
        ]
    head = head_revision()
    if current is None:
        return [
            CheckResult(
                "database",
                "WARN",
                "reachable, empty (no schema yet)",
                "`dartwatch run` migrates at start (or run `dartwatch db upgrade`)",
            )
        ]
    if current != head:
        return [
            CheckResult(
                "database",
                "WARN",
                f"reachable, schema at {current}, this version needs {head}",
                "run `dartwatch db upgrade` (`dartwatch run` also does it at start)",
            )
        ]
    ctx.db = Database(url)
    source = await copy_marker(ctx.db)
    if source is not None:
        return [
            CheckResult(
                "database",
                "FAIL",
                f"holds an unfinished `dartwatch db copy` from {source}",
                "run that `dartwatch db copy --to ...` again to finish it",
            )
        ]
    return [CheckResult("database", "OK", f"reachable, migrated (revision {current})")]


# --- OpenDART ----------------------------------------------------------------------------


async def check_dart_key(ctx: CheckContext) -> list[CheckResult]:
    from monitor.opendart.budget import RequestBudget
    from monitor.opendart.client import DartClient
    from monitor.opendart.errors import (
        BudgetExhausted,
        DartError,
        InvalidKey,
        KeyRejected,
        QuotaExceeded,
        QuotaPaused,
    )

    s = ctx.settings
    if s.dart_api_key is None:
        return [
            CheckResult(
                "OpenDART key",
                "FAIL",
                "DART_API_KEY is not set",
                "get a key at https://opendart.fss.or.kr, then `dartwatch init` or set it in .env",
            )
        ]
    key = s.dart_api_key.get_secret_value()
    budget = None
    if ctx.db is not None:
        budget = RequestBudget(
            ctx.db, daily_budget=s.dart_daily_budget, per_minute=s.dart_max_per_minute, key=key
        )
    client = DartClient(s, budget=budget, max_retries=0)
    today = kcalendar.today_kst()
    try:
        await client.list_page(bgn_de=today, end_de=today, page_count=1)
    except InvalidKey as exc:
        return [CheckResult("OpenDART key", "FAIL", _safe(ctx, str(exc)), _KEY_FIX)]
    except KeyRejected as exc:
        return [
            CheckResult(
                "OpenDART key",
                "FAIL",
                f"rejected at an earlier poll: {_safe(ctx, str(exc))}",
                "fix DART_API_KEY, or `dartwatch poll --force` once the key works again",
            )
        ]
    except (QuotaExceeded, QuotaPaused, BudgetExhausted) as exc:
        return [
            CheckResult(
                "OpenDART key",
                "WARN",
                f"no requests left today: {_safe(ctx, str(exc))}",
                "wait for 00:00 KST, or raise DART_DAILY_BUDGET (OpenDART allows 20,000)",
            )
        ]
    except DartError as exc:
        return [
            CheckResult(
                "OpenDART key",
                "FAIL",
                f"OpenDART did not answer: {_safe(ctx, str(exc))}",
                f"check the network and DART_BASE_URL ({s.dart_api_root})",
            )
        ]
    finally:
        await client.aclose()
    counted = "counted in today's budget" if budget is not None else "not counted: no database"
    return [CheckResult("OpenDART key", "OK", f"accepted (1 request, {counted})")]


_KEY_FIX = "copy the key again from https://opendart.fss.or.kr (My page > API key)"


async def check_dart_feed(ctx: CheckContext) -> list[CheckResult]:
    """The RSS feed, only where this version has a feed setting at all."""
    url = getattr(ctx.settings, "dart_rss_url", None)
    if not isinstance(url, str) or not url:
        return []
    try:
        async with httpx.AsyncClient(timeout=10, follow_redirects=True) as http:
            response = await http.get(url)
    except httpx.HTTPError as exc:
        return [
            CheckResult(
                "DART feed",
                "FAIL",
                f"unreachable: {_safe(ctx, type(exc).__name__ + ': ' + str(exc))}",
                "check the network and DART_RSS_URL; polling still works without the feed",
            )
        ]
    if response.status_code != 200 or b"<rss" not in response.content[:2000].lower():
        return [
            CheckResult(
                "DART feed",
                "FAIL",
                f"HTTP {response.status_code}, not an RSS document",
                "check DART_RSS_URL; polling still works without the feed",
            )
        ]
    return [CheckResult("DART feed", "OK", f"reachable ({len(response.content)} bytes)")]


# --- notifiers ---------------------------------------------------------------------------


async def check_telegram(ctx: CheckContext) -> list[CheckResult]:
    s = ctx.settings
    if "telegram" not in s.notifiers and s.telegram_bot_token is None:
        return []
    if s.telegram_bot_token is None:
        return [
            CheckResult(
                "Telegram token",
                "FAIL",
                "TELEGRAM_BOT_TOKEN is not set",
                "create a bot with @BotFather, then `dartwatch init` or set it in .env",
            )
        ]
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(connect_timeout=5, read_timeout=10)
    bot = Bot(
        s.telegram_bot_token.get_secret_value(),
        base_url=s.telegram_base_url,
        request=request,
        get_updates_request=HTTPXRequest(connect_timeout=5, read_timeout=10),
    )
    try:
        me = await bot.get_me()
        info = await bot.get_webhook_info()
    except InvalidToken:
        return [
            CheckResult(
                "Telegram token",
                "FAIL",
                "Telegram rejected the token",
                "copy the token again from @BotFather (/mybots > API Token)",
            )
        ]
    except TelegramError as exc:
        return [
            CheckResult(
                "Telegram token",
                "FAIL",
                f"Bot API did not answer: {_safe(ctx, f'{type(exc).__name__}: {exc}')}",
                "check the network and TELEGRAM_BASE_URL",
            )
        ]
    finally:
        await request.shutdown()
    results = [CheckResult("Telegram token", "OK", f"accepted: @{me.username}")]
    results.append(_webhook_state(s.telegram_webhook_url, info.url, info.last_error_message))
    return results


def _webhook_state(wanted: str | None, actual: str, last_error: str | None) -> CheckResult:
    """What Telegram's webhook setting means for the mode the settings ask for."""
    host = httpx.URL(actual).host if actual else ""
    if wanted is None:
        if actual:
            return CheckResult(
                "Telegram webhook",
                "WARN",
                f"a webhook to {host} is set, but TELEGRAM_WEBHOOK_URL is empty",
                "`dartwatch run` removes it for long polling; make sure no other program "
                "uses this bot",
            )
        return CheckResult("Telegram webhook", "OK", "none set (long polling)")
    if actual != wanted:
        return CheckResult(
            "Telegram webhook",
            "OK",
            f"not set to TELEGRAM_WEBHOOK_URL yet ({'none' if not actual else host})",
            "`dartwatch run` sets it at start",
        )
    if last_error:
        return CheckResult(
            "Telegram webhook",
            "WARN",
            f"set, but Telegram's last delivery failed: {last_error[:200]}",
            "check that the proxy in front of TELEGRAM_WEBHOOK_PORT answers over HTTPS",
        )
    return CheckResult("Telegram webhook", "OK", f"set to {host}")


async def check_email(ctx: CheckContext) -> list[CheckResult]:
    notifier = ctx.notifiers.get("email")
    if notifier is None:
        return []
    try:
        detail = await notifier.health()
    except NotifierError as exc:
        return [
            CheckResult(
                "SMTP login",
                "FAIL",
                _safe(ctx, str(exc)),
                "check SMTP_HOST, SMTP_PORT, SMTP_SECURITY, SMTP_USERNAME and SMTP_PASSWORD",
            )
        ]
    return [CheckResult("SMTP login", "OK", _safe(ctx, detail))]


async def check_webhook(ctx: CheckContext) -> list[CheckResult]:
    from notifiers.webhook import PAYLOAD_VERSION, WebhookNotifier, text_payload

    notifier = ctx.notifiers.get("webhook")
    if not isinstance(notifier, WebhookNotifier):
        return []
    text = "dartwatch check: a test event (no filing)"
    mode = notifier.settings.mode
    payload = (
        {"type": "test", "version": PAYLOAD_VERSION, "text": text}
        if mode == "json"
        else text_payload(text, mode)
    )
    try:
        await notifier.post(payload, event="test", ident=f"test:{int(time.time())}")
    except NotifierError as exc:
        return [
            CheckResult(
                "webhook",
                "FAIL",
                f"the test event failed: {_safe(ctx, str(exc))}",
                "check WEBHOOK_URL and that the receiver answers 2xx",
            )
        ]
    finally:
        await notifier.close()
    if notifier.settings.secret is None and mode == "json":
        return [
            CheckResult(
                "webhook",
                "WARN",
                f"{notifier.where} accepted an unsigned test event",
                "set WEBHOOK_SECRET so the receiver can verify X-Dartwatch-Signature",
            )
        ]
    signed = "signed " if notifier.settings.secret is not None else ""
    return [CheckResult("webhook", "OK", f"{notifier.where} accepted a {signed}test event")]


async def check_apprise(ctx: CheckContext) -> list[CheckResult]:
    notifier = ctx.notifiers.get("apprise")
    if notifier is None:
        return []
    try:
        detail = await notifier.health()
    except NotifierError as exc:
        return [CheckResult("Apprise URLs", "FAIL", _safe(ctx, str(exc)), "check APPRISE_URLS")]
    return [
        CheckResult(
            "Apprise URLs",
            "OK",
            f"{_safe(ctx, detail)}; `dartwatch notify test --notifier apprise` sends one",
        )
    ]


async def check_other_notifiers(ctx: CheckContext) -> list[CheckResult]:
    """Console, file and plugins: their own ``health()``."""
    done = {"telegram", "email", "webhook", "apprise"}
    results = []
    for name, notifier in ctx.notifiers.items():
        if name in done:
            continue
        try:
            detail = await notifier.health()
        except NotifierError as exc:
            results.append(
                CheckResult(f"notifier {name}", "FAIL", _safe(ctx, str(exc)), "see its settings")
            )
            continue
        results.append(CheckResult(f"notifier {name}", "OK", _safe(ctx, detail)))
    return results


# --- data --------------------------------------------------------------------------------


async def check_timeline(ctx: CheckContext) -> list[CheckResult]:
    from monitor.core.settings import ConfigError
    from monitor.kai.timeline import TimelineError, timeline_for

    def fail(exc: TimelineError) -> Exception:
        return ConfigError(str(exc.errors[0]) if exc.errors else str(exc))

    try:
        timeline = timeline_for(ctx.settings, on_error=fail)
    except ConfigError as exc:
        return [
            CheckResult(
                "timeline", "FAIL", _safe(ctx, str(exc)), "`dartwatch timeline validate FILE`"
            )
        ]
    end = timeline.meta.sources_end
    origin = f"{timeline.origin} timeline"
    if end is None:
        return [CheckResult("timeline", "OK", f"{origin} {timeline.version}")]
    # The last day the sources cover: the end of the month when the day is unknown.
    last = date(end.year, end.month, end.day or 1)
    if end.day is None:
        last = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    age = kcalendar.today_kst() - last
    label = f"{end.year:04d}-{end.month:02d}" + (f"-{end.day:02d}" if end.day else "")
    if age > TIMELINE_MAX_AGE:
        return [
            CheckResult(
                "timeline",
                "WARN",
                f"{origin}: sources end {label} ({age.days} days ago); later milestones "
                "are planned dates, not known outcomes",
                "record what happened since in your TIMELINE_FILE (check it with `dartwatch "
                "timeline validate FILE`)",
            )
        ]
    return [CheckResult("timeline", "OK", f"{origin}: sources end {label}")]


CHECKS: list[CheckFn] = [
    check_settings,
    check_database,
    check_dart_key,
    check_telegram,
    check_email,
    check_webhook,
    check_apprise,
    check_other_notifiers,
    check_dart_feed,
    check_timeline,
]


async def _bounded(fn: CheckFn, ctx: CheckContext) -> list[CheckResult]:
    part = fn.__name__.removeprefix("check_").replace("_", " ")
    try:
        return await asyncio.wait_for(fn(ctx), timeout=CHECK_TIMEOUT)
    except TimeoutError:
        return [CheckResult(part, "FAIL", f"no answer within {CHECK_TIMEOUT:.0f} s", "")]
    except Exception as exc:  # one broken part must not hide the others
        return [CheckResult(part, "FAIL", _safe(ctx, f"{type(exc).__name__}: {exc}"), "")]


async def run_checks(settings: Settings) -> list[CheckResult]:
    """Every check in order. Notifiers are built as ``run`` builds them; a notifier
    configuration error is the ``settings`` line's FAIL."""
    from notifiers.registry import load_notifier_map

    ctx = CheckContext(settings, secrets=settings.secrets())
    try:
        ctx.notifiers = load_notifier_map(settings.notifiers)
    except NotifierConfigError as exc:
        ctx.notifier_error = str(exc)
    for notifier in ctx.notifiers.values():
        ctx.secrets.extend(notifier.secrets())
    results: list[CheckResult] = []
    try:
        for fn in CHECKS:
            results.extend(await _bounded(fn, ctx))
    finally:
        for notifier in ctx.notifiers.values():
            await notifier.close()
        if ctx.db is not None:
            await ctx.db.dispose()
    return results


def exit_code(results: list[CheckResult]) -> int:
    """0 when nothing FAILs (warnings pass), else 1."""
    return 1 if any(r.verdict == "FAIL" for r in results) else 0
