"""The bot's python-telegram-bot ``Application``: built, routed, started and stopped.

The daemon owns the event loop (APScheduler shares it), so ``run_polling`` is never
used: :func:`start_bot` initializes the application, registers the command menus,
and starts long polling — or, with a webhook URL, registers the webhook and returns
an ASGI app for the daemon to serve. :meth:`RunningBot.stop` undoes it.

Routing is done here rather than with ``CommandHandler`` because commands must work
in channel posts too (CommandHandler ignores them) and unknown commands need a
reply in private chats but silence in groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    Message,
    Update,
)
from telegram.constants import ChatID, ChatMemberStatus, ChatType
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from monitor.bot.alert_actions import on_alert_button
from monitor.bot.flood import ChatRateLimiter, CommandBudget, PerChatOrder
from monitor.bot.handlers import COMMANDS, BotDeps, Request, on_button
from monitor.bot.services import BotServices
from notifiers.base import NotifierConfigError
from notifiers.redaction import install_log_redaction, redact_token
from notifiers.telegram_buttons import PREFIX as ALERT_PREFIX
from notifiers.telegram_buttons import changes_settings
from notifiers.telegram_texts import command_descriptions, normalize_language, t
from storage import subscribers as subs
from storage.db import Database

if TYPE_CHECKING:
    from monitor.core.settings import Settings
    from storage.models import Subscriber

log = logging.getLogger("dartwatch.telegram.bot")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "callback_query", "my_chat_member"]
MAX_WEBHOOK_BODY = 1_000_000
#: Senders that stand for no person (python-telegram-bot's ``ChatID``): an anonymous
#: group admin, a message sent on behalf of a channel, Telegram's service chat.
ANONYMOUS_SENDERS = frozenset({ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL, ChatID.SERVICE_CHAT})
SECRET_HEADER = b"x-telegram-bot-api-secret-token"
WEBHOOK_SECRET_MISSING = (
    "TELEGRAM_WEBHOOK_SECRET: not set; webhook mode (TELEGRAM_WEBHOOK_URL) needs it, "
    "otherwise anyone who reaches the listener can post forged updates"
)
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?$")


class BotStartError(Exception):
    """The bot could not start (Telegram unreachable); the text is safe to log."""


@dataclass(frozen=True)
class BotConfig:
    token: str
    base_url: str = DEFAULT_BASE_URL  # passed to PTB unchanged: {base_url}{token}/{method}
    admin_chat_ids: frozenset[int] = frozenset()  # deprecated: private chats only
    admin_user_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_secret: str | None = None
    #: Per-chat budget for answered updates: (burst, per second); None turns it off.
    command_budget: tuple[float, float] | None = (5.0, 1.0)
    #: Replies one private chat may get at once before they are paced at 1/s.
    reply_burst: float = 3.0
    poll_timeout: float = 10.0  # getUpdates long-poll seconds
    request_timeout: float = 10.0

    @property
    def admin_users(self) -> frozenset[int]:
        """Users with admin rights: ``ADMIN_USER_IDS`` plus the private chats of the
        legacy ``ADMIN_CHAT_IDS`` (a private chat's id is its user's id); group and
        channel ids there grant nothing."""
        return self.admin_user_ids | frozenset(i for i in self.admin_chat_ids if i > 0)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, webhook_secret: str | None = None, request_timeout: float = 10.0
    ) -> BotConfig:
        """The bot's one configuration object, built from the settings."""
        token = settings.telegram_bot_token
        if token is None:
            raise NotifierConfigError("TELEGRAM_BOT_TOKEN: not set; the Telegram bot needs it")
        return cls(
            token=token.get_secret_value(),
            base_url=settings.telegram_base_url,
            admin_chat_ids=frozenset(int(i) for i in settings.admin_chat_ids),
            admin_user_ids=frozenset(int(i) for i in settings.admin_user_ids),
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=webhook_secret,
            request_timeout=request_timeout,
        )


# --- routing ------------------------------------------------------------------------


def parse_command(message: Message) -> tuple[str, str | None, str] | None:
    """(command, @target or None, argument text) when the message is a bot command."""
    text = message.text or ""
    entities = message.entities or ()
    if not text or not entities or entities[0].type != "bot_command" or entities[0].offset != 0:
        return None
    token = text[: entities[0].length]
    m = _COMMAND_RE.match(token)
    if not m:
        return None
    return m.group(1).lower(), m.group(2), text[entities[0].length :].strip()


async def _language(
    deps: BotDeps, chat_id: int, user_language: str | None
) -> tuple[str, Subscriber | None]:
    async with deps.db.session() as s:
        sub = await subs.get(s, chat_id)
    if sub is not None:
        return sub.language, sub
    return normalize_language(user_language), None


async def _request(
    deps: BotDeps, update: Update, context: ContextTypes.DEFAULT_TYPE, command: str, args: str
) -> Request | None:
    chat = update.effective_chat
    if chat is None:
        return None
    user = update.effective_user
    user_lang = normalize_language(user.language_code if user else None)
    lang, sub = await _language(deps, chat.id, user.language_code if user else None)
    message = update.effective_message
    anonymous = (
        user is None
        or user.id in ANONYMOUS_SENDERS
        or (message is not None and message.sender_chat is not None)
    )
    return Request(
        bot=context.bot,
        deps=deps,
        chat_id=chat.id,
        chat_type=chat.type,
        chat_title=chat.title or chat.full_name or "",
        lang=lang,
        command=command,
        args=args,
        user_language=user_lang,
        subscriber=sub,
        user_id=None if anonymous or user is None else user.id,
        private=chat.type == ChatType.PRIVATE,
    )


async def _safe_reply(req: Request, key: str, **values: object) -> None:
    try:
        await req.reply(t(req.lang, key, **values))
    except TelegramError as exc:
        log.warning("could not reply in chat %s: %s", req.chat_id, redact_token(str(exc)))


async def route_message(deps: BotDeps, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message or update.channel_post
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if message.migrate_to_chat_id:
        async with deps.db.session() as s:
            await subs.migrate_chat(s, chat.id, message.migrate_to_chat_id)
        log.info("group %s moved to %s", chat.id, message.migrate_to_chat_id)
        return
    private = chat.type == ChatType.PRIVATE
    parsed = parse_command(message)
    if parsed is None:
        # Groups and channels: everything that is not a command is none of our business.
        if private and (message.text or message.sticker or message.effective_attachment):
            req = await _request(deps, update, context, "", "")
            if req is not None:
                await _safe_reply(req, "not_a_command")
        return
    name, target, args = parsed
    if target is not None and target.lower() != (context.bot.username or "").lower():
        return  # /cmd@otherbot in a group
    command = COMMANDS.get(name)
    req = await _request(deps, update, context, name, args)
    if req is None:
        return
    if command is None:
        if _answers_unknown(private, target, chat.type):
            await _safe_reply(req, "unknown_command", command=f"/{name}"[:65])
        return
    if command.settings and not await may_change_settings(req, message):
        await _safe_reply(req, "group_admins_only")
        return
    if command.admin and not req.is_admin:
        log.warning("chat %s (user %s) tried admin command /%s", chat.id, req.user_id, name)
        if private:  # in groups and channels, admin commands do not exist
            await _safe_reply(req, "admin_only")
        return
    try:
        await command.handler(req)
    except Exception as exc:
        log.error(
            "/%s in chat %s failed: %s: %s",
            name,
            chat.id,
            type(exc).__name__,
            redact_token(str(exc), deps_token(context)),
        )
        await _safe_reply(req, "error")


GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
SETTINGS_BUTTONS = ("sub:", "unsub:", "kw:", "type:")


async def may_change_settings(req: Request, message: Message | None) -> bool:
    """In a group, only its administrators change what the group receives (Bot API
    getChatMember); an anonymous administrator posts as the group itself. Private
    chats and channels (where only administrators can post) are never refused."""
    if req.chat_type not in GROUP_TYPES:
        return True
    sender_chat = message.sender_chat if message is not None else None
    if sender_chat is not None:
        return sender_chat.id == req.chat_id
    if req.user_id is None:
        return False
    try:
        member = await req.bot.get_chat_member(req.chat_id, req.user_id)
    except TelegramError as exc:
        log.warning("could not check rights in chat %s: %s", req.chat_id, redact_token(str(exc)))
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def _answers_unknown(private: bool, target: str | None, chat_type: str) -> bool:
    # In groups other bots' commands are common: answer only when addressed to us.
    return private or (target is not None and chat_type != ChatType.CHANNEL)


def will_answer(update: object, bot_username: str) -> bool:
    """Whether the bot replies to *update* (what the per-chat budget counts): button
    presses, anything in a private chat, and commands meant for this bot elsewhere."""
    if not isinstance(update, Update) or update.edited_message is not None:
        return False
    if update.callback_query is not None:
        return True
    message = update.message or update.channel_post
    chat = update.effective_chat
    if message is None or chat is None or message.migrate_to_chat_id:
        return False
    private = chat.type == ChatType.PRIVATE
    parsed = parse_command(message)
    if parsed is None:
        return private and bool(message.text or message.sticker or message.effective_attachment)
    name, target, _ = parsed
    if target is not None and target.lower() != bot_username.lower():
        return False
    return name in COMMANDS or _answers_unknown(private, target, chat.type)


def deps_token(context: ContextTypes.DEFAULT_TYPE) -> str:
    return str(context.bot.token)


async def route_edited(deps: BotDeps, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edited messages are ignored on purpose: re-running a command because its text was
    edited would surprise users (and in groups, spam)."""
    chat = update.effective_chat
    log.debug("ignored an edited message in chat %s", chat.id if chat else "?")


async def route_button(deps: BotDeps, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    user_lang = normalize_language(query.from_user.language_code if query.from_user else None)
    message = query.message
    if message is None:
        with contextlib.suppress(TelegramError):
            await query.answer(t(user_lang, "button_expired"))
        return
    req = await _request(deps, update, context, "button", "")
    if req is None:
        return
    req.message_id = message.message_id
    data = query.data or ""
    settings = data.startswith(SETTINGS_BUTTONS) or changes_settings(data)
    if settings and not await may_change_settings(req, None):
        with contextlib.suppress(TelegramError):
            await query.answer(html.unescape(t(req.lang, "group_admins_only"))[:200])
        return
    try:
        if data.startswith(ALERT_PREFIX):
            toast, markup = await on_alert_button(req, data)
        else:
            toast, markup = await on_button(req, data)
    except Exception as exc:
        log.error("button in chat %s failed: %s", req.chat_id, type(exc).__name__)
        toast, markup = html.unescape(t(req.lang, "error")), None
    try:
        await query.answer(toast[:200])
    except TelegramError as exc:
        log.info("could not answer a button press: %s", redact_token(str(exc)))
    if markup is not None:
        try:
            await context.bot.edit_message_reply_markup(
                chat_id=req.chat_id, message_id=message.message_id, reply_markup=markup
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.info("could not update buttons: %s", redact_token(str(exc)))
        except TelegramError as exc:
            log.info("could not update buttons: %s", redact_token(str(exc)))


async def route_membership(
    deps: BotDeps, update: Update, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """The bot was blocked, kicked or removed: stop sending there before a send fails."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        async with deps.db.session() as s:
            await subs.deactivate_chat(s, change.chat.id, f"bot {status} (my_chat_member)")
        log.info("chat %s removed the bot (%s): deactivated", change.chat.id, status)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Last resort for errors outside the handlers' own guards; never echoes the token."""
    error = context.error
    log.error(
        "error while handling an update: %s: %s",
        type(error).__name__,
        redact_token(str(error), deps_token(context)),
    )


# --- building -----------------------------------------------------------------------


def build_application(config: BotConfig, deps: BotDeps) -> AnyApplication:
    install_log_redaction()

    def request(pool: int, extra_read: float = 0.0) -> HTTPXRequest:
        timeout = config.request_timeout
        return HTTPXRequest(
            connection_pool_size=pool,
            read_timeout=timeout + extra_read,
            write_timeout=timeout,
            connect_timeout=timeout,
            pool_timeout=timeout,
        )

    # A flood is counted when updates arrive, not when handled: a chat whose replies
    # wait for its own Telegram limit would otherwise refill its budget meanwhile.
    budget = CommandBudget(*config.command_budget) if config.command_budget else None

    def admit(update: object, chat_id: int) -> bool:
        if budget is None or not will_answer(update, str(application.bot.username or "")):
            return True
        return budget.allow(chat_id)

    order = PerChatOrder(admit=admit)
    application: AnyApplication = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.base_url)
        .request(request(32))
        .get_updates_request(request(1, extra_read=config.poll_timeout))
        .rate_limiter(ChatRateLimiter(private_burst=config.reply_burst, max_retries=2))
        .concurrent_updates(order)
        .job_queue(None)
        .build()
    )

    def bind(fn: Any) -> Any:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await fn(deps, update, context)

        return callback

    messages = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    application.add_handler(MessageHandler(messages, bind(route_message)))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, bind(route_edited)))
    application.add_handler(CallbackQueryHandler(bind(route_button)))
    application.add_handler(
        ChatMemberHandler(bind(route_membership), ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(on_error)
    return application


async def register_commands(application: AnyApplication, admin_chat_ids: frozenset[int]) -> None:
    """Command menus: Korean by default, English for ``language_code=en``, and the
    admin commands added in each admin's private chat (its id is the user's)."""
    bot = application.bot
    for code, lang in ((None, "ko"), ("en", "en")):
        names = command_descriptions(lang)
        public = [BotCommand(n, names[n]) for n, c in COMMANDS.items() if c.public]
        everything = [BotCommand(n, names[n]) for n in COMMANDS]
        await bot.set_my_commands(public, language_code=code)
        for chat_id in sorted(admin_chat_ids):
            try:
                await bot.set_my_commands(
                    everything, scope=BotCommandScopeChat(chat_id), language_code=code
                )
            except TelegramError as exc:  # an admin who never opened the bot
                log.warning("admin menu for chat %s: %s", chat_id, redact_token(str(exc)))


@dataclass
class RunningBot:
    """A started bot. ``webhook_app`` is set in webhook mode: serve it (POST) on the
    address Telegram calls (``TELEGRAM_WEBHOOK_URL``, usually behind a TLS proxy)."""

    application: AnyApplication
    mode: str  # polling | webhook
    webhook_app: WebhookApp | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def username(self) -> str:
        return str(self.application.bot.username)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop polling, finish the update in hand, close connections (bounded)."""
        if self._stopped:
            return
        self._stopped = True
        app = self.application
        steps = []
        if app.updater is not None and app.updater.running:
            steps.append(app.updater.stop())
        if app.running:
            steps.append(app.stop())
        steps.append(app.shutdown())
        for step in steps:
            try:
                await asyncio.wait_for(step, timeout)
            except Exception as exc:
                log.warning("stopping the bot: %s: %s", type(exc).__name__, redact_token(str(exc)))


async def start_bot(config: BotConfig, db: Database, services: BotServices) -> RunningBot:
    """Build and start the bot on the running loop; raise NotifierConfigError for a
    rejected token and BotStartError when Telegram cannot be reached."""
    if config.webhook_url and not config.webhook_secret:
        raise NotifierConfigError(WEBHOOK_SECRET_MISSING)
    deps = BotDeps(db=db, services=services, admin_user_ids=config.admin_users)
    application = build_application(config, deps)
    try:
        await application.initialize()  # getMe: checks the token
        await register_commands(application, config.admin_users)
        await application.start()
        if config.webhook_url and config.webhook_secret:
            await application.bot.set_webhook(
                url=config.webhook_url,
                secret_token=config.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            running = RunningBot(
                application, "webhook", WebhookApp(application, config.webhook_secret)
            )
        else:
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=0.0,
                timeout=int(config.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                error_callback=_polling_error,
            )
            running = RunningBot(application, "polling")
    except InvalidToken:
        await RunningBot(application, "failed").stop()
        raise NotifierConfigError(
            "TELEGRAM_BOT_TOKEN: rejected by the Bot API (check the token from @BotFather)"
        ) from None
    except Exception as exc:
        await RunningBot(application, "failed").stop()
        text = redact_token(f"{type(exc).__name__}: {exc}", config.token)
        raise BotStartError(f"the Telegram bot could not start: {text}") from None
    log.info("telegram bot @%s started (%s)", application.bot.username, running.mode)
    return running


async def stop_bot(running: RunningBot) -> None:
    await running.stop()


def _polling_error(exc: TelegramError) -> None:
    # PTB retries polling with backoff by itself; one redacted line per failure.
    log.warning(
        "polling Telegram failed, retrying: %s: %s", type(exc).__name__, redact_token(str(exc))
    )


# --- webhook ------------------------------------------------------------------------


class WebhookApp:
    """A minimal ASGI app that accepts Telegram's webhook POSTs and queues the updates.

    Telegram sends the secret given to setWebhook in ``X-Telegram-Bot-Api-Secret-Token``.
    Anyone who can reach the listener could otherwise post an update claiming to come
    from any chat, so the secret is mandatory and every request without exactly that
    header is refused (403) before its body is read. The comparison is constant-time
    over the raw header bytes, so a header that is not ASCII is simply wrong.
    """

    def __init__(self, application: AnyApplication, secret: str) -> None:
        if not secret:
            raise NotifierConfigError(WEBHOOK_SECRET_MISSING)
        self.application = application
        self._secret = secret.encode("utf-8")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        status, body = await self._handle(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})

    async def _handle(self, scope: dict[str, Any], receive: Any) -> tuple[int, str]:
        if scope.get("method") != "POST":
            return 405, "method not allowed"
        if not self._authentic(scope.get("headers") or ()):
            return 403, "forbidden"
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if len(body) > MAX_WEBHOOK_BODY:
                return 413, "too large"
            if not event.get("more_body"):
                break
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.application.bot)
        except Exception as exc:
            log.warning("webhook: unreadable update (%s)", type(exc).__name__)
            return 400, "bad update"
        if update is None:
            return 400, "bad update"
        await self.application.update_queue.put(update)
        return 200, "ok"

    def _authentic(self, headers: Any) -> bool:
        supplied = [v for k, v in headers if bytes(k).lower() == SECRET_HEADER]
        # Exactly one header, equal byte for byte; compare_digest takes bytes of any value.
        return len(supplied) == 1 and hmac.compare_digest(bytes(supplied[0]), self._secret)
