"""Keep the bot token out of logs and exception texts.

The token is part of every Bot API URL (``…/bot<token>/sendMessage``). httpx logs
request URLs at INFO, python-telegram-bot logs its base URL at DEBUG when a bot is
built, and exception texts may quote URLs. The daemon's log handler already scrubs
secrets, but any other handler (a test's caplog, a user's logging config) would see
them, so a filter is attached to the loggers where such records are *created*.
"""

from __future__ import annotations

import logging
import re
import traceback

REDACTED = "***"
_TOKEN_RE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")
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


def redact_token(text: str, *tokens: str) -> str:
    """*text* with the given tokens, and anything shaped like a bot token, replaced."""
    for token in tokens:
        if token:
            text = text.replace(token, REDACTED)
    return _TOKEN_RE.sub(REDACTED, text)


class TokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the event
            message = str(record.msg)
        record.msg = redact_token(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_token("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


_FILTER = TokenFilter()


def install_log_redaction() -> None:
    """Attach the token filter to every Telegram/httpx logger (idempotent)."""
    names = set(_KNOWN)
    names.update(name for name in logging.root.manager.loggerDict if name.startswith(_PREFIXES))
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
