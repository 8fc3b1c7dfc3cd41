"""DART's key-less RSS feed: the reader and the parser (docs/detection.md).

The feed is untrusted XML from the network, so it is parsed with ``defusedxml`` (no
entity expansion, no external references). An item's title names the *subject*
company, ``(시장)회사명 - 보고서명``; ``dc:creator`` is the filer and is kept only as
``flr_nm``, never used to decide whose filing it is. ``pubDate`` is the filing time in
GMT to the minute.

Errors (one tree, caught by the fast path, which then falls back to list.json)::

    FeedError
    ├── FeedUnavailable   connection failed, timed out, HTTP status other than 200/304
    └── FeedFormatError   HTML, truncated or malformed XML, another format, no usable item
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlparse
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

USER_AGENT = "dartwatch/0.1 (disclosure monitor; polls the public RSS feed every few seconds)"
MAX_FEED_BYTES = 5_000_000
DC = "{http://purl.org/dc/elements/1.1/}"
MARKETS = {"유가": "Y", "코스닥": "K", "코넥스": "N", "기타": "E"}
_TITLE_RE = re.compile(r"^\((유가|코스닥|코넥스|기타)\)(.+?) - (.+)$", re.DOTALL)
_RCEPT_RE = re.compile(r"^\d{14}$")


class FeedError(Exception):
    """The feed could not be read this time; the message says why in one line."""


class FeedUnavailable(FeedError):
    pass


class FeedFormatError(FeedError):
    pass


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One feed item, as the feed says it (not yet matched to a company)."""

    rcept_no: str
    market: str  # 유가 | 코스닥 | 코넥스 | 기타
    corp_name: str
    report_nm: str
    flr_nm: str | None
    filed_at: datetime | None  # UTC, minute precision

    @property
    def corp_cls(self) -> str:
        return MARKETS[self.market]

    @property
    def listed(self) -> bool:
        return self.market != "기타"


@dataclass(frozen=True, slots=True)
class Feed:
    items: list[FeedItem]
    rejected: int  # items without a usable title, receipt number or date


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def rcept_no_of(link: str) -> str | None:
    """The receipt number in ``…/link.jsp?rcpNo=20260826000445``."""
    values = parse_qs(urlparse(link).query).get("rcpNo") or []
    value = values[0].strip() if values else ""
    return value if _RCEPT_RE.match(value) else None


def parse_time(pub_date: str, dc_date: str) -> datetime | None:
    """``pubDate`` (RFC-822, GMT) or else ``dc:date`` (ISO-8601), as aware UTC."""
    for raw, parse in (
        (pub_date, parsedate_to_datetime),
        (dc_date, lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))),
    ):
        if not raw:
            continue
        try:
            moment = parse(raw)
        except (TypeError, ValueError, IndexError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    return None


def parse_item(element: Element) -> FeedItem | None:
    match = _TITLE_RE.match(_text(element, "title"))
    rcept_no = rcept_no_of(_text(element, "link")) or rcept_no_of(_text(element, "guid"))
    if match is None or rcept_no is None:
        return None
    market, corp_name, report_nm = (part.strip() for part in match.groups())
    if not corp_name or not report_nm:
        return None
    return FeedItem(
        rcept_no=rcept_no,
        market=market,
        corp_name=corp_name,
        report_nm=report_nm,
        flr_nm=_text(element, f"{DC}creator") or None,
        filed_at=parse_time(_text(element, "pubDate"), _text(element, f"{DC}date")),
    )


def parse_feed(body: bytes) -> Feed:
    """The items of an RSS 2.0 document; :class:`FeedFormatError` for anything else."""
    head = body[:200].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise FeedFormatError("an HTML page instead of RSS")
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise FeedFormatError(f"not well-formed XML ({exc.__class__.__name__})") from None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise FeedFormatError(f"not an RSS 2.0 feed (root <{root.tag[:40]}>)")
    elements = channel.findall("item")
    items = [item for item in (parse_item(e) for e in elements) if item is not None]
    if elements and not items:
        raise FeedFormatError(f"none of {len(elements)} items has a DART title and link")
    return Feed(items=items, rejected=len(elements) - len(items))


class FeedReader:
    """GETs the feed with conditional requests (ETag / Last-Modified when the server
    sends them), an honest User-Agent and a bounded timeout. ``read`` returns None when
    the server says nothing changed (304)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/rss+xml, text/xml"},
            transport=transport,
            follow_redirects=True,
        )
        self._etag: str | None = None
        self._modified: str | None = None
        self.requests = 0
        self.not_modified = 0

    async def read(self) -> Feed | None:
        headers = {}
        if self._etag:
            headers["If-None-Match"] = self._etag
        if self._modified:
            headers["If-Modified-Since"] = self._modified
        self.requests += 1
        try:
            async with self._client.stream("GET", self.url, headers=headers) as response:
                if response.status_code == 304:
                    self.not_modified += 1
                    return None
                if response.status_code != 200:
                    raise FeedUnavailable(f"HTTP {response.status_code}")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_FEED_BYTES:
                        raise FeedFormatError(f"larger than {MAX_FEED_BYTES} bytes")
                    chunks.append(chunk)
                body = b"".join(chunks)
                ctype = response.headers.get("content-type", "").lower()
                etag = response.headers.get("etag")
                modified = response.headers.get("last-modified")
        except httpx.TimeoutException:
            raise FeedUnavailable("timed out") from None
        except httpx.HTTPError as exc:
            raise FeedUnavailable(f"connection failed ({exc.__class__.__name__})") from None
        if "html" in ctype:
            raise FeedFormatError("an HTML page instead of RSS")
        feed = parse_feed(body)
        # Remember validators only for a feed that parsed: a damaged answer must not
        # make the next request conditional on it.
        self._etag, self._modified = etag, modified
        return feed

    async def aclose(self) -> None:
        await self._client.aclose()
