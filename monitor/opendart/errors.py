"""OpenDART failures as types, so callers decide by class and never by message text.

OpenDART answers errors with HTTP 200 and a ``status`` in the body; the mapping from
status to class lives in :func:`error_for_status`. 013 ("no data") is not here on
purpose: it is an empty result.

Every message built here is safe to log: URLs pass through :func:`monitor.core.logs.redact`
first, because httpx puts the full request URL (with ``crtfc_key=``) in its exception
texts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitor.core.kcalendar import KST, now_kst
from monitor.core.logs import redact

FATAL_STATUSES = frozenset({"010", "011", "012", "901"})
QUOTA_STATUS = "020"
TRANSIENT_STATUSES = frozenset({"800", "900"})
NO_DATA_STATUS = "013"
FILE_MISSING_STATUS = "014"

_FATAL_HINTS = {
    "010": "the key is not registered",
    "011": "the key is suspended",
    "012": "this IP address is not allowed for the key",
    "901": "the key's account expired (contact opendart@fss.or.kr)",
}


def safe_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """*text* with the key (and anything key-shaped in a URL) removed, on one line."""
    return " ".join(redact(text, secrets).split())


def next_quota_reset(moment: datetime | None = None) -> datetime:
    """The next 00:00 KST after *moment*: when OpenDART's daily quota starts afresh."""
    local = (moment or now_kst()).astimezone(KST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=1)


class DartError(Exception):
    """Any OpenDART failure. ``retryable`` tells the retry policy what to do."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(safe_text(message))

    @property
    def message(self) -> str:
        return str(self)


class DartStatusError(DartError):
    """OpenDART answered with a non-000 ``status``."""

    def __init__(self, status: str, message: str, *, endpoint: str = "") -> None:
        self.status = status
        self.dart_message = safe_text(message)
        self.endpoint = endpoint
        where = f" ({endpoint})" if endpoint else ""
        super().__init__(f"OpenDART status {status}{where}: {self.dart_message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Documents are parsed in a worker process (monitor.core.offloop), and an error
        # found there (a status XML body) must reach the caller as its own type.
        state = (self.status, self.dart_message, self.endpoint, self.args, dict(self.__dict__))
        return (_rebuild_status_error, (type(self), *state))


class InvalidKey(DartStatusError):
    """010/011/012/901: the key cannot be used. Fatal: retrying only burns requests."""

    def __init__(self, status: str, message: str, *, endpoint: str = "") -> None:
        super().__init__(status, message, endpoint=endpoint)
        hint = _FATAL_HINTS.get(status, "the key cannot be used")
        self.args = (f"OpenDART refused the key (status {status}: {hint}); fix DART_API_KEY",)


class QuotaExceeded(DartStatusError):
    """020: the daily quota is spent. No OpenDART call may happen before ``resume_at``."""

    def __init__(
        self,
        status: str = QUOTA_STATUS,
        message: str = "요청 제한을 초과하였습니다.",
        *,
        endpoint: str = "",
        resume_at: datetime | None = None,
    ) -> None:
        super().__init__(status, message, endpoint=endpoint)
        self.resume_at = resume_at or next_quota_reset()
        self.args = (
            f"OpenDART quota exceeded (status {status}); no requests until "
            f"{self.resume_at.astimezone(KST):%Y-%m-%d %H:%M} KST",
        )


class InvalidRequest(DartStatusError):
    """100/101/021 and unknown statuses: our request was wrong; retrying will not help."""


class FileMissing(DartStatusError):
    """014: the requested file (document.xml) does not exist."""


class TransientDartError(DartError):
    """800/900, HTTP 5xx, HTML error pages, bad JSON, timeouts, resets: retry later."""

    retryable = True


class TransientStatusError(TransientDartError, DartStatusError):
    """800 (maintenance) or 900 (undefined server error): a status that may clear."""

    def __init__(self, status: str, message: str, *, endpoint: str = "") -> None:
        DartStatusError.__init__(self, status, message, endpoint=endpoint)


class BadPayload(TransientDartError):
    """An answer whose content is not what OpenDART promises (wrong types, missing
    fields, a ZIP that is not a ZIP). The message names the field. Retried like any
    transient failure: a broken page is usually a glitch, and the retries are bounded."""


class DocumentUnparseable(DartError):
    """A document body that could not be turned into text within the parse time limit
    (or that crashed the parser): a crafted or pathological file. Final: it is recorded
    and never fetched again; the filing is matched on its title."""


class BudgetExhausted(DartError):
    """Our own daily budget (DART_DAILY_BUDGET) is spent: the call was not made."""

    def __init__(self, used: int, budget: int, resume_at: datetime) -> None:
        self.used = used
        self.budget = budget
        self.resume_at = resume_at
        super().__init__(
            f"daily OpenDART budget spent ({used}/{budget} requests, DART_DAILY_BUDGET); "
            f"next request allowed at {resume_at.astimezone(KST):%Y-%m-%d %H:%M} KST"
        )


class QuotaPaused(DartError):
    """A 020 earlier today paused all calls; this one was not made."""

    def __init__(self, resume_at: datetime) -> None:
        self.resume_at = resume_at
        super().__init__(
            "OpenDART quota was exceeded; no requests until "
            f"{resume_at.astimezone(KST):%Y-%m-%d %H:%M} KST"
        )


class KeyRejected(DartError):
    """A fatal key status was recorded earlier; no call is made until the key changes
    or ``dartwatch poll --force`` clears the marker."""

    def __init__(self, status: str, detail: str) -> None:
        self.status = status
        super().__init__(
            f"OpenDART rejected the key earlier (status {status}: {detail}); polling is "
            "stopped. Fix DART_API_KEY (or run `dartwatch poll --force` to try again)"
        )


def _rebuild_status_error(
    cls: type[DartStatusError],
    status: str,
    message: str,
    endpoint: str,
    args: tuple[Any, ...],
    state: dict[str, Any],
) -> DartStatusError:
    error = cls(status, message, endpoint=endpoint)
    error.__dict__.update(state)
    error.args = args
    return error


def error_for_status(status: str, message: str, *, endpoint: str = "") -> DartStatusError:
    """The typed error for a non-000, non-013 OpenDART status."""
    if status in FATAL_STATUSES:
        return InvalidKey(status, message, endpoint=endpoint)
    if status == QUOTA_STATUS:
        return QuotaExceeded(status, message, endpoint=endpoint)
    if status in TRANSIENT_STATUSES:
        return TransientStatusError(status, message, endpoint=endpoint)
    if status == FILE_MISSING_STATUS:
        return FileMissing(status, message, endpoint=endpoint)
    return InvalidRequest(status, message, endpoint=endpoint)
