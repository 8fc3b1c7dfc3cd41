"""Keep secrets out of logs and exception texts: the one redaction of the project.

OpenDART's key rides in the query string (``crtfc_key=``) and the Telegram token in
every Bot API URL (``…/bot<token>/sendMessage``); other secrets (a webhook's signing
secret, SMTP passwords) are registered by value. httpx logs request URLs at INFO,
python-telegram-bot logs its base URL at DEBUG when a bot is built, and exception
texts may quote URLs. The daemon's handler filter (``monitor.core.logs``) scrubs every
record it formats; any other handler (a test's caplog, a user's logging config) would
still see them, so the same filter is also attached to the loggers where such records
are *created* (:func:`install_log_redaction`).
"""

from __future__ import annotations

import logging
import re
import traceback

REDACTED = "***"
_TOKEN_RE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")
_KEY_RE = re.compile(r"(crtfc_key=)[^&\s'\"]+", re.IGNORECASE)
_PREFIXES = ("httpx", "httpcore", "telegram", "dartwatch.telegram")
# Loggers python-telegram-bot creates lazily; named here so the filter is on them
# before they log for the first time.
_KNOWN = (
    "httpx",
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.ext.AIORateLimiter",
    "telegram.ext.JobQueue",
    "telegram.ext.ConversationHandler",
    "telegram.request",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "dartwatch.telegram",
    "dartwatch.telegram.bot",
)


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """*text* with the given secrets, OpenDART keys in query strings and anything
    shaped like a bot token replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _KEY_RE.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_RE.sub(REDACTED, text)


def redact_token(text: str, *tokens: str) -> str:
    """:func:`redact` for callers that hold the bot token."""
    return redact(text, tokens)


class RedactingFilter(logging.Filter):
    """Scrub a record's message, arguments and exception text before any handler
    formats it (the arguments are folded into the message)."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = list(secrets or [])

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the event
            message = str(record.msg)
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(
                "".join(traceback.format_exception(*record.exc_info)), self.secrets
            )
            record.exc_info = None
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Attach the filter to every Telegram/httpx logger (idempotent)."""
    names = set(_KNOWN)
    names.update(name for name in logging.root.manager.loggerDict if name.startswith(_PREFIXES))
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
