"""The OpenDART client: one ``httpx.AsyncClient``, typed errors, bounded retries, and
every request counted against the budget before it is sent.

The key travels in the query string (OpenDART's design), so it must not leak through
the three usual channels: httpx's request log line (a redacting filter sits on the
``httpx``/``httpcore``/``tenacity`` loggers), exception texts (httpx exceptions are
re-raised as :class:`DartError` with redacted text and no chained cause), and
tenacity's retry messages (ours, written with redacted text).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Any, Self

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from monitor.core.offloop import OffloopError, run_bounded
from monitor.core.settings import Settings
from monitor.opendart import parsing
from monitor.opendart.budget import RequestBudget
from monitor.opendart.errors import (
    BadPayload,
    DartError,
    DocumentUnparseable,
    InvalidKey,
    InvalidRequest,
    QuotaExceeded,
    TransientDartError,
    safe_text,
)
from notifiers.redaction import RedactingFilter

log = logging.getLogger("dartwatch.dart")

PAGE_COUNT = 100
_REDACTED_LOGGERS = ("httpx", "httpcore", "tenacity", "dartwatch.dart")
_log_filter = RedactingFilter()


def _protect_logs(secret: str) -> None:
    """Scrub the key from records of the loggers that see URLs, at the logger itself,
    so every handler (including a test's capture) receives clean records."""
    if secret and secret not in _log_filter.secrets:
        _log_filter.secrets.append(secret)
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _log_filter not in logger.filters:
            logger.addFilter(_log_filter)


class DocumentTooLarge(DartError):
    """document.xml is larger than the cap (``DOCUMENT_MAX_BYTES``); not downloaded."""


@dataclass(slots=True)
class ListResult:
    rows: list[parsing.FilingRow] = field(default_factory=list)
    rejected: list[parsing.RejectedRow] = field(default_factory=list)
    total_count: int = 0
    pages: int = 0


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter between retries (seconds)."""

    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 1.0


class DartClient:
    """OpenDART over one pooled ``httpx.AsyncClient``.

    ``transport`` is the test seam (any httpx transport); ``budget`` counts and gates
    every request (``None``: no accounting, for tools that talk to a local fake only).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        budget: RequestBudget | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: Backoff | None = None,
        max_retries: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._key = settings.require_dart_key()
        _protect_logs(self._key)
        self._root = settings.dart_api_root
        self._budget = budget
        self._backoff = backoff or Backoff()
        self._max_retries = settings.dart_max_retries if max_retries is None else max_retries
        self._sleep = sleep
        self._document_timeout = settings.document_timeout_seconds
        timeout = settings.dart_timeout_seconds
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": "dartwatch (+https://github.com/dartwatch)"},
            follow_redirects=False,
        )
        self.requests_sent = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ plumbing
    def _safe(self, text: str) -> str:
        return safe_text(text, (self._key,))

    def _before_sleep(self, state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "OpenDART: %s; retry %d/%d in %.1f s",
            self._safe(str(error)),
            state.attempt_number,
            self._max_retries,
            wait,
        )

    async def _retrying(self, call: Callable[[], Awaitable[Any]]) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=wait_exponential_jitter(
                multiplier=self._backoff.initial,
                max=self._backoff.maximum,
                jitter=self._backoff.jitter,
            ),
            retry=retry_if_exception(lambda e: isinstance(e, DartError) and e.retryable),
            before_sleep=self._before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await call()
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _gate(self) -> None:
        if self._budget is not None:
            await self._budget.acquire()
        self.requests_sent += 1

    async def _record(self, error: DartError) -> None:
        if self._budget is None:
            return
        if isinstance(error, QuotaExceeded):
            await self._budget.record_quota(error)
        elif isinstance(error, InvalidKey):
            await self._budget.record_fatal(error)

    def _transport_error(self, endpoint: str, exc: httpx.HTTPError) -> TransientDartError:
        if isinstance(exc, httpx.TimeoutException):
            kind = "timed out"
        elif isinstance(exc, httpx.RemoteProtocolError):
            kind = "connection closed mid-response"
        elif isinstance(exc, httpx.ConnectError):
            kind = "cannot connect"
        else:
            kind = "network error"
        detail = self._safe(str(exc))
        text = f"{endpoint}: {kind} ({exc.__class__.__name__}{': ' + detail if detail else ''})"
        return TransientDartError(text)

    def _check_http(self, endpoint: str, response: httpx.Response) -> None:
        code = response.status_code
        if code == 200:
            return
        if code >= 500 or code in (408, 429):
            raise TransientDartError(f"{endpoint}: HTTP {code}")
        raise InvalidRequest(f"http-{code}", f"HTTP {code}", endpoint=endpoint)

    async def _get(
        self, endpoint: str, params: dict[str, str], timeout: float | None = None
    ) -> bytes:
        """One counted GET returning the body; errors typed, key scrubbed."""
        await self._gate()
        query = {"crtfc_key": self._key, **params}
        try:
            response = await self._http.get(
                f"{self._root}/{endpoint}",
                params=query,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(endpoint, exc) from None
        self._check_http(endpoint, response)
        return response.content

    async def _call(self, endpoint: str, parse: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await self._retrying(parse)
        except DartError as error:
            await self._record(error)
            raise

    # ------------------------------------------------------------------ list.json
    async def list_page(
        self,
        *,
        bgn_de: date,
        end_de: date,
        page_no: int = 1,
        corp_code: str | None = None,
        page_count: int = PAGE_COUNT,
    ) -> parsing.ListPage:
        """One page of list.json (``last_reprt_at=N``: every submission, amendments too)."""
        params = {
            "bgn_de": bgn_de.strftime("%Y%m%d"),
            "end_de": end_de.strftime("%Y%m%d"),
            "last_reprt_at": "N",
            "page_no": str(page_no),
            "page_count": str(page_count),
        }
        if corp_code is not None:
            params["corp_code"] = corp_code

        async def attempt() -> parsing.ListPage:
            return parsing.parse_list_page(await self._get("list.json", params))

        page: parsing.ListPage = await self._call("list.json", attempt)
        if page.rejected:
            for bad in page.rejected:
                log.warning(
                    "list.json: row %d%s rejected: %s",
                    bad.index,
                    f" ({bad.rcept_no})" if bad.rcept_no else "",
                    bad.reason,
                )
        return page

    async def iter_filing_pages(
        self,
        *,
        bgn_de: date,
        end_de: date,
        corp_code: str | None = None,
    ) -> AsyncIterator[parsing.ListPage]:
        """Every page of a search, in order. Pages are yielded as they arrive so the
        caller can store each before asking for the next (a crash loses nothing)."""
        first = await self.list_page(bgn_de=bgn_de, end_de=end_de, corp_code=corp_code)
        yield first
        if first.empty:
            return
        total_page = first.total_page
        page_no = 2
        while page_no <= total_page:
            page = await self.list_page(
                bgn_de=bgn_de, end_de=end_de, corp_code=corp_code, page_no=page_no
            )
            if page.empty:
                return  # rows vanished since page 1; the next poll re-reads the window
            # The list may grow between pages; follow it rather than the first count.
            total_page = max(total_page, page.total_page)
            yield page
            page_no += 1

    async def list_filings(
        self, *, bgn_de: date, end_de: date, corp_code: str | None = None
    ) -> ListResult:
        """Every row of a search (full paging at 100 rows a page)."""
        result = ListResult()
        async for page in self.iter_filing_pages(bgn_de=bgn_de, end_de=end_de, corp_code=corp_code):
            result.rows.extend(page.rows)
            result.rejected.extend(page.rejected)
            result.total_count = max(result.total_count, page.total_count)
            result.pages += 1
        return result

    # ------------------------------------------------------------------ corpCode / company
    async def corp_codes(self) -> list[parsing.CorpCodeEntry]:
        async def attempt() -> list[parsing.CorpCodeEntry]:
            return parsing.parse_corp_codes(await self._get("corpCode.xml", {}))

        entries: list[parsing.CorpCodeEntry] = await self._call("corpCode.xml", attempt)
        return entries

    async def company(self, corp_code: str) -> parsing.CompanyInfo | None:
        async def attempt() -> parsing.CompanyInfo | None:
            return parsing.parse_company(await self._get("company.json", {"corp_code": corp_code}))

        info: parsing.CompanyInfo | None = await self._call("company.json", attempt)
        return info

    async def check_budget(self) -> None:
        """Raise the stop that would refuse the next request (budget spent, 020 pause,
        rejected key) without sending anything: for batch jobs that must stop cleanly."""
        if self._budget is not None:
            await self._budget.check()

    # ------------------------------------------------------------------ DS005 / DS004
    async def major_events(
        self, endpoint: str, *, corp_code: str, bgn_de: date, end_de: date
    ) -> list[dict[str, str]]:
        """Rows of a DS005 major-event endpoint (``tsstkAqDecsn`` …) for one company;
        the window filters on the ORIGINAL filing date. 013 is an empty list."""
        if not endpoint.isalnum():
            raise InvalidRequest("100", f"not a DS005 endpoint: {endpoint!r}")
        name = f"{endpoint}.json"
        params = {
            "corp_code": corp_code,
            "bgn_de": bgn_de.strftime("%Y%m%d"),
            "end_de": end_de.strftime("%Y%m%d"),
        }

        async def attempt() -> list[dict[str, str]]:
            return parsing.parse_rows(await self._get(name, params), name)

        rows: list[dict[str, str]] = await self._call(name, attempt)
        return rows

    async def ownership(self, endpoint: str, *, corp_code: str) -> list[dict[str, str]]:
        """Rows of a DS004 endpoint (``majorstock`` or ``elestock``): the company's
        whole history in one request."""
        if endpoint not in ("majorstock", "elestock"):
            raise InvalidRequest("100", f"not a DS004 endpoint: {endpoint!r}")
        name = f"{endpoint}.json"

        async def attempt() -> list[dict[str, str]]:
            return parsing.parse_rows(await self._get(name, {"corp_code": corp_code}), name)

        rows: list[dict[str, str]] = await self._call(name, attempt)
        return rows

    # ------------------------------------------------------------------ document.xml
    async def _download(self, rcept_no: str, max_bytes: int) -> bytes:
        await self._gate()
        endpoint = "document.xml"
        params = {"crtfc_key": self._key, "rcept_no": rcept_no}
        chunks: list[bytes] = []
        size = 0
        try:
            async with self._http.stream(
                "GET", f"{self._root}/{endpoint}", params=params, timeout=self._document_timeout
            ) as response:
                self._check_http(endpoint, response)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise DocumentTooLarge(
                        f"document.xml {rcept_no}: {declared} bytes, more than {max_bytes}"
                    )
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise DocumentTooLarge(
                            f"document.xml {rcept_no}: more than {max_bytes} bytes"
                        )
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise self._transport_error(endpoint, exc) from None
        return b"".join(chunks)

    def _parse_limit(self) -> float:
        # Within the fetch's own limit (DOCUMENT_TIMEOUT_SECONDS), with room left for
        # the download: a body cut by that outer limit would count as a passing
        # timeout, not as the unparseable file it is.
        return min(parsing.DOCUMENT_PARSE_SECONDS, self._document_timeout / 2)

    async def document(self, rcept_no: str, max_bytes: int) -> parsing.DocumentText:
        """The plain text of a filing's document.xml (ZIP checked, size capped, decoded
        defensively). 014 raises :class:`FileMissing`; a body the parser cannot finish
        within ``DOCUMENT_PARSE_SECONDS`` raises :class:`DocumentUnparseable`.

        The body is parsed in a worker process (:mod:`monitor.core.offloop`), never on the
        event loop that the bot, the dispatcher and the scheduler share."""
        if not rcept_no.isdigit() or len(rcept_no) != 14:
            raise InvalidRequest("100", f"rcept_no must be 14 digits, got {rcept_no!r}")

        async def attempt() -> parsing.DocumentText:
            body = await self._download(rcept_no, max_bytes)
            try:
                parse = functools.partial(parsing.parse_document, max_bytes=max_bytes * 8)
                return await run_bounded(parse, body, rcept_no, timeout=self._parse_limit())
            except OffloopError as exc:
                raise DocumentUnparseable(f"document.xml {rcept_no}: {exc}") from None

        text: parsing.DocumentText = await self._call("document.xml", attempt)
        return text


__all__ = ["Backoff", "BadPayload", "DartClient", "DocumentTooLarge", "ListResult"]
