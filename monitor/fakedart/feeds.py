"""DART's key-less RSS feeds as the fake serves them (docs/detection.md, "The feeds").

``todayRSS.xml`` lists the day's filings of every market; ``companyRSS.xml?crpCd=``
the recent filings *about* one company (third-party filings included). An item's
title is ``(시장)회사명 - 보고서명`` (the subject company, never the filer), its
``link``/``guid`` is ``…/api/link.jsp?rcpNo=<rcept_no>``, ``pubDate`` is RFC-822 in GMT
with minute precision, ``dc:creator`` is the filer and ``dc:date`` the same moment in
ISO-8601 ``Z``. ``<category>`` (the market) appears in todayRSS only.

Pure rendering over :class:`DartRow`; the fake's state and faults live in ``app.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from monitor.fakedart.model import DartRow

MARKETS = {"Y": "유가", "K": "코스닥", "N": "코넥스", "E": "기타"}
LINK = "https://dart.fss.or.kr/api/link.jsp?rcpNo="
RSS_TYPE = b"text/xml;charset=UTF-8"

# Kinds of feed fault (``FakeDart.inject_feed``): what a reader of the feed must survive.
FEED_FAULTS = ("down", "503", "blocked", "html", "truncated", "malformed", "otherformat", "slow")

_HTML_ERROR = (
    '<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8"><title>DART 전자공시시스템'
    "</title></head><body><p>일시적으로 서비스를 이용할 수 없습니다.</p></body></html>"
).encode()
_BLOCKED = b"<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>"
# Another format at the same address: an Atom feed, which has no <item> elements.
_ATOM = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
    "<title>DART</title><entry><title>오늘의 공시</title></entry></feed>"
).encode()


def filed_minute(row: DartRow) -> datetime:
    """The filing time the feed prints: the moment it reached the feed, to the minute."""
    moment = row.feed_moment.astimezone(UTC)
    return moment.replace(second=0, microsecond=0)


def title(row: DartRow) -> str:
    return f"({MARKETS.get(row.corp_cls, '기타')}){row.corp_name} - {row.report_nm}"


def _item(row: DartRow, *, category: bool) -> str:
    at = filed_minute(row)
    link = escape(LINK + row.rcept_no)
    parts = [
        "<item>",
        f"<title>{escape(title(row))}</title>",
        f"<link>{link}</link>",
    ]
    if category:
        parts.append(f"<category>{escape(MARKETS.get(row.corp_cls, '기타'))}</category>")
    parts += [
        f"<pubDate>{format_datetime(at, usegmt=True)}</pubDate>",
        f"<guid>{link}</guid>",
        f"<dc:creator>{escape(row.flr_nm)}</dc:creator>",
        f"<dc:date>{at:%Y-%m-%dT%H:%M:%SZ}</dc:date>",
        "</item>",
    ]
    return "".join(parts)


def render(rows: Sequence[DartRow], *, heading: str, now: datetime, category: bool) -> bytes:
    """The feed document for *rows* (already in the order to serve)."""
    stamp = now.astimezone(UTC).replace(microsecond=0)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        f"<title>{escape(heading)}</title><link>https://dart.fss.or.kr</link>"
        f"<description>{escape(heading)} 정보를 확인할 수 있습니다.</description>"
        "<language>ko</language><copyright>DART</copyright>"
        f"<pubDate>{format_datetime(stamp, usegmt=True)}</pubDate>"
        "<dc:creator>DART</dc:creator>"
        f"<dc:date>{stamp:%Y-%m-%dT%H:%M:%SZ}</dc:date>"
        "<dc:language>ko</dc:language><dc:rights>DART</dc:rights>"
    )
    body = "".join(_item(r, category=category) for r in rows)
    return (head + body + "</channel></rss>").encode()


def fault_body(kind: str, good: bytes) -> tuple[int, bytes, bytes]:
    """(HTTP status, content type, body) of a damaged answer of *kind*."""
    if kind == "503":
        return 503, b"text/html", _HTML_ERROR
    if kind == "blocked":
        return 403, b"text/html", _BLOCKED
    if kind == "html":
        return 200, b"text/html;charset=UTF-8", _HTML_ERROR
    if kind == "truncated":
        return 200, RSS_TYPE, good[: max(len(good) // 2, 20)]
    if kind == "malformed":
        return 200, RSS_TYPE, b'<?xml version="1.0"?><rss><channel><item><title>x</item></rss>'
    if kind == "otherformat":
        return 200, b"application/atom+xml", _ATOM
    raise ValueError(f"no body for feed fault {kind!r}")
