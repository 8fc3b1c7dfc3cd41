"""Date arguments for the ingestion verbs, parsed in the handler so a bad value is one
line (``dartwatch: --since: ...``) with exit code 2, not argparse's usage dump."""

from __future__ import annotations

from datetime import date, datetime

from monitor.core.errors import UsageError


def parse_day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UsageError(f"{flag}: expected a date YYYY-MM-DD, got {value!r}")
