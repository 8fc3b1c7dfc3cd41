"""Logging: one line per event, text or JSON, with secrets redacted.

httpx logs every request URL at INFO; OpenDART's key rides in the query string and
the Telegram token in the URL path, so a filter (``notifiers.redaction``, the one
redaction of the project; ``redact`` is re-exported here) scrubs both from every
record before any handler formats it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from notifiers.redaction import REDACTED as REDACTED
from notifiers.redaction import RedactingFilter
from notifiers.redaction import redact as redact

if TYPE_CHECKING:
    from monitor.core.settings import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in getattr(record, "__dict__", {}).items():
            if key.startswith("ev_"):
                data[key[3:]] = value
        if record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


_filter = RedactingFilter()


def add_secrets(*secrets: str) -> None:
    """Register more values to scrub (e.g. a notifier's webhook secret)."""
    _filter.secrets.extend(s for s in secrets if s)


def setup_logging(settings: Settings, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_filter)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    _filter.secrets = settings.secrets()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # httpx logs each request at INFO; keep it at WARNING unless debugging.
    if settings.log_level != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
