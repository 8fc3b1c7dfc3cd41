"""Document bodies for the matcher: fetched through the OpenDART client, cached in
``filing_documents``, size-capped and time-boxed.

A body is a bonus, never a precondition: whatever goes wrong (slow server, missing
file, oversized ZIP, quota, a body the parser cannot finish in time)
:func:`fetch_body` returns ``BodyResult(None, status)`` and the match is made from the
title, saying so. Permanent outcomes (``ok``, ``missing``, ``too_large``,
``unparseable``, a malformed file) are cached so a filing costs at most one document
request; transient ones (timeout, quota, network) are not, so a later rematch may still
get the body. Parsing runs in a worker process (see :mod:`monitor.core.offloop`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from monitor.core.logs import redact
from monitor.opendart import errors as dart_errors
from storage import documents
from storage.db import Database

if TYPE_CHECKING:
    from monitor.core.settings import Settings

log = logging.getLogger(__name__)


class DocumentSource(Protocol):
    """What :func:`fetch_body` needs from the OpenDART client: the document text of a
    filing, refusing (with an error) files larger than *max_bytes*."""

    async def document(self, rcept_no: str, max_bytes: int) -> Any: ...


@dataclass(frozen=True, slots=True)
class BodyResult:
    text: str | None
    status: str  # a matcher body status: ok, disabled, timeout, too_large, missing,
    # unparseable, error
    cached: bool = False
    # The document's markup when freshly fetched (facts are read from its tables);
    # None for cached bodies, whose facts were stored when they were fetched.
    markup: str | None = None


def _text_of(result: Any) -> str:
    """The client may hand back text, bytes or a parsed document with ``.text``."""
    if isinstance(result, str):
        return result
    if isinstance(result, bytes | bytearray):
        for encoding in ("utf-8", "cp949"):
            try:
                return bytes(result).decode(encoding)
            except UnicodeDecodeError:
                continue
        return bytes(result).decode("utf-8", errors="replace")
    text = getattr(result, "text", None)
    if isinstance(text, str):
        return text
    raise TypeError(f"document source returned {type(result).__name__}, not text")


def _too_large(exc: BaseException) -> bool:
    too_large = getattr(dart_errors, "DocumentTooLarge", None)
    return (isinstance(too_large, type) and isinstance(exc, too_large)) or "TooLarge" in type(
        exc
    ).__name__


def _classify(exc: BaseException) -> tuple[str, bool]:
    """``(status, cache_it)`` for a failed fetch."""
    if _too_large(exc):
        return "too_large", True
    if isinstance(exc, dart_errors.DocumentUnparseable):
        return documents.UNPARSEABLE, True
    if isinstance(exc, dart_errors.FileMissing):
        return "missing", True
    if isinstance(exc, dart_errors.BadPayload | dart_errors.InvalidRequest | TypeError):
        return "error", True
    return "error", False


# How long a malformed answer (not a ZIP, unreadable XML) stands before the next
# match of the filing (`dartwatch rematch`, `explain`) asks OpenDART again; a missing
# file (014) or a too-large one is final.
ERROR_RETRY_AFTER = timedelta(hours=6)


def _expired(fetched_at: datetime, now: datetime | None) -> bool:
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - fetched_at > ERROR_RETRY_AFTER


async def cached_body(
    db: Database, rcept_no: str, *, now: datetime | None = None
) -> BodyResult | None:
    """The cached outcome for *rcept_no*, or None when it was never fetched (or when
    it failed with a malformed answer long enough ago to be worth another try)."""
    async with db.session() as session:
        row = await documents.get_document(session, rcept_no)
    if row is None:
        return None
    if row.status == documents.OK:
        return BodyResult(row.text, "ok", cached=True)
    if row.status == documents.ERROR and _expired(row.fetched_at, now):
        return None  # a malformed answer may have been a passing fault: ask once more
    final = ("missing", "too_large", "error", "skipped", documents.UNPARSEABLE)
    status = row.status if row.status in final else "error"
    return BodyResult(None, status, cached=True)


async def fetch_body(
    db: Database,
    source: DocumentSource | None,
    rcept_no: str,
    *,
    max_bytes: int,
    timeout: float,
    enabled: bool = True,
    cache_missing: bool = True,
) -> BodyResult:
    """The body of *rcept_no* from the cache, else from *source* within *timeout* s.

    ``cache_missing=False`` for a filing only the RSS feed has shown: its document may
    simply not be published yet, so a 014 then is not final."""
    if not enabled or source is None:
        return BodyResult(None, "disabled")
    cached = await cached_body(db, rcept_no)
    if cached is not None:
        return cached
    try:
        result = await asyncio.wait_for(source.document(rcept_no, max_bytes), timeout)
        text = _text_of(result)
    except TimeoutError:
        log.info("document %s: no answer within %.1f s; matching on the title", rcept_no, timeout)
        return BodyResult(None, "timeout")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a body must never stop an alert
        status, cache_it = _classify(exc)
        cache_it = cache_it and (cache_missing or status != "missing")
        detail = redact(f"{type(exc).__name__}: {exc}")
        log.info("document %s: %s (%s); matching on the title", rcept_no, status, detail)
        if cache_it:
            async with db.session() as session:
                await documents.save_document(session, rcept_no, status, detail=detail)
        return BodyResult(None, status)
    text = text[:max_bytes]
    size = getattr(result, "size_bytes", None)
    async with db.session() as session:
        await documents.save_document(
            session,
            rcept_no,
            documents.OK,
            text=text,
            size_bytes=size if isinstance(size, int) else len(text.encode()),
            detail="truncated" if getattr(result, "truncated", False) is True else "",
        )
    markup = getattr(result, "markup", None)
    return BodyResult(text, "ok", markup=markup if isinstance(markup, str) and markup else None)


async def body_for(
    db: Database, source: DocumentSource | None, rcept_no: str, settings: Settings
) -> BodyResult:
    """:func:`fetch_body` with the DOCUMENT_* settings."""
    return await fetch_body(
        db,
        source,
        rcept_no,
        max_bytes=settings.document_max_bytes,
        timeout=settings.document_timeout_seconds,
        enabled=settings.document_fetch,
    )
