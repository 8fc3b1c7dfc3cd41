"""The Telegram notifier: alerts, digests and texts to subscribers' chats.

Destinations are subscribers (one outbox row per chat), so ``per_subscriber`` is
True. Limits are Telegram's (Bot FAQ): about 30 messages/s overall, 1/s per chat,
20/min per group — :meth:`TelegramNotifier.min_interval_for` tells the dispatcher
which applies to a chat. The notifier paces nothing itself except the parts of one
multi-part message; it classifies every failure into the types of
:mod:`notifiers.base` so the dispatcher can decide.

The bot token is in every request URL: errors are re-raised with redacted texts and
without their cause chain, and the token filter is installed on httpx/PTB loggers.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Protocol, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from notifiers.base import (
    Alert,
    DestinationGone,
    DestinationMoved,
    DigestMessage,
    GoneMemory,
    HeldAlerts,
    Notifier,
    NotifierConfigError,
    NotifierError,
    NotifierSettings,
    Pacer,
    PermanentError,
    TransientError,
    is_loopback_host,
)
from notifiers.redaction import install_log_redaction, redact_token
from notifiers.render_cache import RenderCache
from notifiers.telegram_format import (
    MAX_CHARS,
    digest_parts,
    format_alert_html,
    format_held_html,
    held_chunks,
    split_text,
)

log = logging.getLogger("dartwatch.telegram")

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
PRIVATE_INTERVAL = 1.0  # seconds between messages to one chat
FREE_RATE = 30.0  # messages per second over all chats (Bot FAQ)
PAID_RATE = 1000.0  # with allow_paid_broadcast (Bot API 7.11), paid in Stars
GROUP_INTERVAL = 3.0  # 20 messages per minute per group or channel
# How long a chat that answered "gone" (blocked, chat not found) is refused without a
# request: long enough for every message already queued for it, short enough that a
# user who unblocks the bot and sends /start again is reachable.
GONE_MEMORY_SECONDS = 60.0


class TelegramSettings(NotifierSettings):
    """``TELEGRAM_*`` settings (the token, base URL and webhook URL are shared with the
    daemon's settings object under the same names)."""

    model_config = SettingsConfigDict(
        env_prefix="TELEGRAM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

    bot_token: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    connection_pool: int = Field(default=64, ge=1, le=1024)
    # Opt in to allow_paid_broadcast: up to 1000 messages/s, 0.1 Star per message above
    # the free ~30/s, for bots Telegram has made eligible (docs/telegram.md).
    paid_broadcast: bool = False

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org/bot")
        # The bot token is part of every request path: never in clear over a network.
        if value.startswith("http://") and not is_loopback_host(urlsplit(value).hostname or ""):
            raise ValueError(
                "must be https:// (it carries the bot token; plain http:// only to loopback: "
                "127.0.0.0/8, ::1, localhost)"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and -.
        if value is not None:
            raw = value.get_secret_value()
            if not (1 <= len(raw) <= 256) or not all(c.isalnum() or c in "_-" for c in raw):
                raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramSettings:
        # Without the secret, anyone who reaches the listener can forge updates.
        if self.webhook_url and self.webhook_url.strip() and self.webhook_secret is None:
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET: not set; webhook mode (TELEGRAM_WEBHOOK_URL) needs it"
            )
        return self

    def require_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise NotifierConfigError(
                "TELEGRAM_BOT_TOKEN: not set; create a bot with @BotFather and put its token here"
            )
        return self.bot_token.get_secret_value().strip()


def make_request(settings: TelegramSettings, *, pool: int | None = None) -> HTTPXRequest:
    timeout = settings.timeout_seconds
    return HTTPXRequest(
        connection_pool_size=pool or settings.connection_pool,
        read_timeout=timeout,
        write_timeout=timeout,
        connect_timeout=timeout,
        pool_timeout=timeout,
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB warns about the int/timedelta change unless PTB_TIMEDELTA is set.
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def classify(exc: TelegramError, *tokens: str) -> NotifierError:
    """A python-telegram-bot error as the dispatcher's error type, with a clean text.

    Order matters: ``BadRequest`` and ``TimedOut`` are subclasses of ``NetworkError``.
    """
    text = redact_token(f"{type(exc).__name__}: {exc.message}", *tokens)
    if isinstance(exc, ChatMigrated):
        return DestinationMoved(text, str(exc.new_chat_id))
    if isinstance(exc, RetryAfter):
        return TransientError(text, retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return DestinationGone(text)
    if isinstance(exc, BadRequest):
        if "chat not found" in exc.message.lower():
            return DestinationGone(text)
        return PermanentError(text)
    if isinstance(exc, TimedOut):
        # The message may have gone out; a retry risks a duplicate, losing it is worse.
        return TransientError(text)
    if isinstance(exc, InvalidToken):
        return TransientError(f"{text} (check TELEGRAM_BOT_TOKEN)")
    if isinstance(exc, NetworkError):
        return TransientError(text)
    return TransientError(text)


def chat_id_of(destination: str) -> int | str:
    """Outbox destinations are chat ids as text; ``@channelname`` is allowed too."""
    destination = destination.strip()
    if destination.startswith("@") and len(destination) > 1:
        return destination
    try:
        return int(destination)
    except ValueError:
        raise PermanentError(f"not a Telegram chat id: {destination[:40]!r}") from None


class MessageLog(Protocol):
    """Where sent alerts' message ids are kept, so a correction or withdrawal of a
    filing can answer the alert it is about (the app wires one over the outbox)."""

    async def sent(self, ref: str, destination: str, message_id: int) -> None: ...

    async def original(self, ref: str, destination: str) -> int | None: ...


class TelegramNotifier(Notifier):
    name: ClassVar[str] = "telegram"
    settings_model: ClassVar[type[NotifierSettings] | None] = TelegramSettings
    rate_per_second: ClassVar[float | None] = 30.0
    per_destination_interval: ClassVar[float] = PRIVATE_INTERVAL
    max_message_chars: ClassVar[int | None] = MAX_CHARS
    accepts_alerts: ClassVar[bool] = True
    accepts_digests: ClassVar[bool] = True
    per_subscriber: ClassVar[bool] = True
    summarizes_held: ClassVar[bool] = True

    def __init__(self, settings: TelegramSettings | None = None, *, bot: Bot | None = None):
        self.settings = settings or TelegramSettings()
        self._token = self.settings.require_token()
        install_log_redaction()
        self._bot = bot or Bot(
            self._token,
            base_url=self.settings.base_url,
            request=make_request(self.settings),
        )
        self._started = False
        self._spacer = Pacer(self.rate_limit())
        self._gone = GoneMemory(GONE_MEMORY_SECONDS)
        # Per chat: the lock that orders its sends, and how many sends use it.
        self._chat_turns: dict[str, tuple[asyncio.Lock, int]] = {}
        self.messages: MessageLog | None = None
        self._rendered: RenderCache[tuple[str, InlineKeyboardMarkup]] = RenderCache()

    @property
    def bot(self) -> Bot:
        return self._bot

    def rate_limit(self) -> float:
        """30 messages/s, or 1000/s when paid broadcasts are on (the dispatcher paces
        every Telegram delivery by this)."""
        return PAID_RATE if self.settings.paid_broadcast else FREE_RATE

    @property
    def _paid(self) -> bool | None:
        return True if self.settings.paid_broadcast else None

    def min_interval_for(self, destination: str) -> float:
        """Seconds between two messages to *destination*: groups and channels (negative
        ids, ``@names``) get 20/min, private chats 1/s."""
        dest = destination.strip()
        if dest.startswith(("-", "@")):
            return GROUP_INTERVAL
        return PRIVATE_INTERVAL

    def _refuse_if_gone(self, chat_id: int | str) -> None:
        """Messages to a chat wait in the spacer (a 429 pause can hold them for
        seconds); one that answered "gone" meanwhile gets no further request."""
        ago = self._gone.ago(str(chat_id))
        if ago is not None:
            raise DestinationGone(f"chat {chat_id} answered gone {ago:.1f} s ago; not sent")

    async def _send_message(self, chat_id: int | str, **kwargs: Any) -> Message:
        """Send in the chat's turn: a chat's next message waits until the previous one
        is answered, so after a "gone" answer nothing more is sent there (a spacer
        interval shorter than the answer let queued messages through)."""
        key = str(chat_id)
        turn, users = self._chat_turns.get(key, (asyncio.Lock(), 0))
        self._chat_turns[key] = (turn, users + 1)
        try:
            async with turn:
                await self._spacer.wait()
                self._refuse_if_gone(chat_id)
                try:
                    return await self._call(self._bot.send_message(chat_id=chat_id, **kwargs))
                except DestinationGone:
                    self._gone.remember(key)
                    raise
        finally:
            turn, users = self._chat_turns[key]
            if users > 1:
                self._chat_turns[key] = (turn, users - 1)
            else:
                del self._chat_turns[key]  # no chat keeps a lock once it is quiet

    async def _call(self, action: Awaitable[T]) -> T:
        try:
            return await action
        except TelegramError as exc:
            error = classify(exc, self._token)
            if isinstance(error, TransientError) and error.retry_after:
                self._spacer.pause(error.retry_after)
            raise error from None
        except Exception as exc:  # httpx/transport surprises PTB did not wrap
            message = redact_token(f"{type(exc).__name__}: {exc}", self._token)
            raise TransientError(message) from None

    async def start(self) -> None:
        if not self._started:
            await self._call(self._bot.initialize())
            self._started = True

    async def close(self) -> None:
        if self._started:
            self._started = False
            try:
                await self._bot.shutdown()
            except Exception as exc:  # closing must never fail the shutdown
                log.warning("closing the Telegram client: %s", redact_token(str(exc), self._token))

    async def health(self) -> str:
        me = await self._call(self._bot.get_me())
        return f"ok (@{me.username})"

    async def send_alert(
        self, alert: Alert, destination: str, *, lang: str = "ko", silent: bool = False
    ) -> None:
        await self.start()
        text, markup = self._rendered.get(
            alert, lang, "html", lambda: format_alert_html(alert, lang)
        )
        reply = await self._thread_of(alert, destination)
        message = await self._send_html(
            chat_id_of(destination), text, markup, silent=silent, reply_to=reply
        )
        await self._remember((alert,), destination, message.message_id)

    async def _send_html(
        self,
        chat_id: int | str,
        text: str,
        markup: InlineKeyboardMarkup,
        *,
        silent: bool,
        reply_to: int | None = None,
    ) -> Message:
        """One alert-shaped message: HTML, no link preview, paid broadcast when enabled,
        a reply to *reply_to* when given (sent unthreaded if that message is gone)."""
        return await self._send_message(
            chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            allow_paid_broadcast=self._paid,
            disable_notification=silent,
            reply_parameters=(
                ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                if reply_to is not None
                else None
            ),
        )

    async def _remember(self, alerts: Sequence[Alert], destination: str, message_id: int) -> None:
        """Keep the message the new filings of *alerts* became in this chat, so their
        corrections and withdrawals answer it (an alert, or the quiet-hours summary that
        carried it)."""
        if self.messages is None:
            return
        for alert in alerts:
            if alert.event != "new":
                continue
            try:
                await self.messages.sent(alert.rcept_no, destination, message_id)
            except Exception as exc:  # the alert is out: a lost thread id must not resend it
                log.warning("message id of %s not kept: %s", alert.rcept_no, type(exc).__name__)

    async def _thread_of(self, alert: Alert, destination: str) -> int | None:
        """The message a correction (the corrected filing's alert) or a withdrawal (the
        filing's own alert) answers in this chat, when it is known."""
        if self.messages is None:
            return None
        original = alert.rcept_no if alert.event == "withdrawn" else alert.corrects
        if not original:
            return None
        try:
            return await self.messages.original(original, destination)
        except Exception as exc:  # threading is a nicety: send unthreaded
            log.warning("thread of %s unknown: %s", alert.rcept_no, type(exc).__name__)
            return None

    async def send_alert_silently(
        self, alert: Alert, destination: str, *, lang: str = "ko"
    ) -> None:
        await self.send_alert(alert, destination, lang=lang, silent=True)

    async def send_held(
        self, held: HeldAlerts, destination: str, *, lang: str = "ko", silent: bool = False
    ) -> None:
        """The alerts held through quiet hours as one message: a line per filing and a
        numbered DART button for each (a second message only past its size)."""
        parts = format_held_html(held.alerts, lang)
        if not parts:
            raise PermanentError("nothing to send: no held alerts")
        await self.start()
        chat_id = chat_id_of(destination)
        interval = self.min_interval_for(destination)
        carrying = held_chunks(held.alerts)
        for index, ((text, markup), carried) in enumerate(zip(parts, carrying, strict=True)):
            if index:
                await asyncio.sleep(interval)
            message = await self._send_html(chat_id, text, markup, silent=silent)
            await self._remember(carried, destination, message.message_id)

    async def _send_parts(self, parts: list[str], destination: str) -> None:
        chat_id = chat_id_of(destination)
        if not parts:
            raise PermanentError("nothing to send: the message is empty")
        await self.start()
        interval = self.min_interval_for(destination)
        for index, part in enumerate(parts):
            if index:
                # One chat takes about one message per second (20/min for groups).
                await asyncio.sleep(interval)
            await self._send_message(
                chat_id,
                text=part,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_paid_broadcast=self._paid,
            )

    async def send_digest(self, digest: DigestMessage, destination: str) -> None:
        await self._send_parts(digest_parts(digest), destination)

    async def send_text(self, text: str, destination: str) -> None:
        await self._send_parts(split_text(text), destination)
