"""The RSS parser (pure) and reader (against the local OpenDART's feed)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from monitor.core.kcalendar import KST
from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart, ManualClock
from monitor.opendart.rss import (
    USER_AGENT,
    FeedFormatError,
    FeedReader,
    FeedUnavailable,
    parse_feed,
    rcept_no_of,
)

# The shape of a real companyRSS capture (docs/detection.md): the filer in dc:creator
# differs from the subject company in the title.
REAL = """<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>
<title>DART : (유가)삼성전자의 공시</title><link>https://dart.fss.or.kr</link>
<pubDate>Thu, 27 Aug 2026 15:41:07 GMT</pubDate>
<item><title>(유가)삼성전자 - 임원ㆍ주요주주특정증권등소유상황보고서</title>
<link>https://dart.fss.or.kr/api/link.jsp?rcpNo=20260826000445</link>
<pubDate>Wed, 26 Aug 2026 06:02:00 GMT</pubDate>
<guid>https://dart.fss.or.kr/api/link.jsp?rcpNo=20260826000445</guid>
<dc:creator>김경륜</dc:creator><dc:date>2026-08-26T06:02:00Z</dc:date></item>
<item><title>(코스닥)알엔티엑스 - [기재정정]주요사항보고서(전환사채권발행결정)</title>
<link>http://dart.fss.or.kr/api/link.jsp?rcpNo=20260826900012</link>
<dc:creator>알엔티엑스</dc:creator><dc:date>2026-08-26T07:44:00Z</dc:date></item>
<item><title>no market prefix</title><link>https://dart.fss.or.kr/api/link.jsp?rcpNo=1</link></item>
</channel></rss>""".encode()


def test_real_item_shape_parses_subject_company_filer_and_gmt_time() -> None:
    feed = parse_feed(REAL)
    assert feed.rejected == 1
    first, second = feed.items
    assert (first.rcept_no, first.market, first.corp_name) == ("20260826000445", "유가", "삼성전자")
    assert first.report_nm == "임원ㆍ주요주주특정증권등소유상황보고서"
    assert first.flr_nm == "김경륜" and first.corp_cls == "Y" and first.listed
    assert first.filed_at == datetime(2026, 8, 26, 6, 2, tzinfo=UTC)
    # No pubDate: dc:date is used; the amendment prefix stays in the report name.
    assert second.filed_at == datetime(2026, 8, 26, 7, 44, tzinfo=UTC)
    assert second.report_nm.startswith("[기재정정]") and second.corp_cls == "K"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("<!DOCTYPE html><html><body>점검</body></html>".encode(), "HTML"),
        (REAL[: len(REAL) // 2], "well-formed"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "RSS 2.0"),
        (
            b"<rss><channel><item><title>x</title><link>y</link></item></channel></rss>",
            "none of 1 items",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b"<rss><channel><title>&b;</title></channel></rss>",
            "well-formed",
        ),
        (b"", "well-formed"),
    ],
)
def test_anything_but_a_dart_rss_feed_is_a_format_error(body: bytes, why: str) -> None:
    with pytest.raises(FeedFormatError, match=why):
        parse_feed(body)


def test_empty_channel_is_a_valid_empty_feed() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>DART</title></channel></rss>')
    assert feed.items == [] and feed.rejected == 0


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://dart.fss.or.kr/api/link.jsp?rcpNo=20260826000445", "20260826000445"),
        ("https://dart.fss.or.kr/api/link.jsp?rcpNo=2026", None),
        ("https://dart.fss.or.kr/dsaf001/main.do", None),
        ("", None),
    ],
)
def test_receipt_number_from_link(link: str, expected: str | None) -> None:
    assert rcept_no_of(link) == expected


async def test_reader_is_conditional_honest_and_typed_on_failure() -> None:
    fake = FakeDart(
        clock=ManualClock(datetime(2026, 11, 27, 16, 0, tzinfo=KST)),
        noise_per_day=30,
        noise_companies=100,
    )
    with serve_in_thread(fake) as url:
        reader = FeedReader(f"{url}/api/todayRSS.xml", timeout=0.5)
        try:
            feed = await reader.read()
            assert feed is not None and len(feed.items) == len(fake.feed_rows())
            assert await reader.read() is None and reader.not_modified == 1
            fake.inject_feed("503")
            with pytest.raises(FeedUnavailable, match="HTTP 503"):
                await reader.read()
            fake.inject_feed("html")
            with pytest.raises(FeedFormatError, match="HTML"):
                await reader.read()
            fake.inject_feed("slow", seconds=2)
            with pytest.raises(FeedUnavailable, match="timed out"):
                await reader.read()
            fake.inject_feed("down")
            with pytest.raises(FeedUnavailable, match="connection failed"):
                await reader.read()
            # A damaged answer did not replace the validators: still 304.
            assert await reader.read() is None
        finally:
            await reader.aclose()
    assert all(r.params == {} for r in fake.records("todayRSS.xml"))  # no key sent


async def test_reader_refuses_a_huge_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["user-agent"] == USER_AGENT
        return httpx.Response(200, content=b"<rss>" + b" " * 6_000_000)

    reader = FeedReader("http://dart.test/api/todayRSS.xml", transport=httpx.MockTransport(handler))
    try:
        with pytest.raises(FeedFormatError, match="larger than"):
            await reader.read()
    finally:
        await reader.aclose()
