"""The local OpenDART's RSS feeds, read over a real socket: DART's item format,
consistency with list.json, conditional requests and every injectable fault."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from monitor.core.kcalendar import KST
from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart, ManualClock
from monitor.fakedart.feeds import FEED_FAULTS
from tests.conftest import TEST_KEY

NAVER, LG = "00266961", "00120021"
START = datetime(2026, 11, 27, 16, 0, tzinfo=KST)  # a Friday afternoon in KST
DC = "{http://purl.org/dc/elements/1.1/}"


class Switch:
    app: FakeDart | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Switch]]:
    switch = Switch()
    with serve_in_thread(switch) as url:
        yield url, switch


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def fake(clock: ManualClock, server: tuple[str, Switch]) -> FakeDart:
    fake = FakeDart(clock=clock, noise_per_day=40, noise_companies=300)
    server[1].app = fake
    return fake


@pytest.fixture
async def client(server: tuple[str, Switch], fake: FakeDart) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server[0]}/api", timeout=5) as http:
        yield http


def items(body: bytes) -> list[ET.Element]:
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel.findall("item")


async def test_today_feed_lists_todays_filings_of_every_market_in_darts_format(
    fake: FakeDart, client: httpx.AsyncClient
) -> None:
    row = fake.publish({"corp_code": NAVER, "report_nm": "주요사항보고서(유상증자결정)"})
    response = await client.get("/todayRSS.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    found = items(response.content)
    expected = fake.feed_rows()
    assert [e.findtext("link") for e in found] == [
        f"https://dart.fss.or.kr/api/link.jsp?rcpNo={r.rcept_no}" for r in expected
    ]
    assert all(r.rcept_dt == "20261127" for r in expected)
    mine = next(e for e in found if row.rcept_no in (e.findtext("guid") or ""))
    assert mine.findtext("title") == "(유가)NAVER - 주요사항보고서(유상증자결정)"
    assert mine.findtext("link") == mine.findtext("guid")
    assert mine.findtext("category") == "유가"
    assert mine.findtext(f"{DC}creator") == row.flr_nm
    # Filing time: 16:00 KST = 07:00 GMT, minute precision, in both date fields.
    assert mine.findtext("pubDate") == "Fri, 27 Nov 2026 07:00:00 GMT"
    assert mine.findtext(f"{DC}date") == "2026-11-27T07:00:00Z"
    # Consistent with list.json: every named company's item is a visible list row.
    listed = {r["rcept_no"] for r in fake.visible_rows()}
    named = [r for r in expected if r.corp_code in {c.corp_code for c in fake.companies[:5]}]
    assert named and all(r.rcept_no in listed for r in named)


async def test_company_feed_lists_one_companys_filings_without_category(
    fake: FakeDart, client: httpx.AsyncClient
) -> None:
    row = fake.publish({"corp_code": LG, "report_nm": "임원ㆍ주요주주특정증권등소유상황보고서"})
    response = await client.get("/companyRSS.xml", params={"crpCd": LG})
    found = items(response.content)
    assert found and all((e.findtext("title") or "").startswith("(유가)LG - ") for e in found)
    assert row.rcept_no in (found[0].findtext("link") or "")
    assert found[0].find("category") is None
    empty = await client.get("/companyRSS.xml", params={"crpCd": "abc"})
    assert empty.status_code == 200 and items(empty.content) == []


async def test_conditional_request_gets_304_until_the_feed_changes(
    fake: FakeDart, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    first = await client.get("/todayRSS.xml")
    etag = first.headers["etag"]
    assert first.headers["last-modified"].endswith("GMT")
    again = await client.get("/todayRSS.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    clock.advance(60)
    fake.publish({"corp_code": NAVER, "report_nm": "기업설명회(IR)개최(안내공시)"})
    changed = await client.get("/todayRSS.xml", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    fake.feed_conditional = False
    plain = await client.get("/todayRSS.xml", headers={"If-None-Match": changed.headers["etag"]})
    assert plain.status_code == 200 and "etag" not in plain.headers


async def test_feed_requests_need_no_key_and_are_counted_apart(
    fake: FakeDart, client: httpx.AsyncClient
) -> None:
    await client.get("/todayRSS.xml")
    await client.get("/list.json", params={"crtfc_key": TEST_KEY})
    assert fake.count("todayRSS.xml") == 1 and fake.count("list.json") == 1


async def test_late_and_never_listed_rows_show_in_the_feed_first(
    fake: FakeDart, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    late = fake.publish(
        {"corp_code": NAVER, "report_nm": "주요사항보고서(자기주식취득결정)"},
        clock() + timedelta(seconds=90),
        feed_at=clock(),
    )
    never = fake.publish({"corp_code": LG, "report_nm": "기타시장안내"}, listed=False)
    missed = fake.publish({"corp_code": NAVER, "report_nm": "공정공시"}, in_feed=False)
    links = " ".join(
        e.findtext("link") or "" for e in items((await client.get("/todayRSS.xml")).content)
    )
    listed = {r["rcept_no"] for r in fake.visible_rows()}
    assert late.rcept_no in links and late.rcept_no not in listed
    assert never.rcept_no in links and never.rcept_no not in listed
    assert missed.rcept_no not in links and missed.rcept_no in listed
    clock.advance(120)
    listed = {r["rcept_no"] for r in fake.visible_rows()}
    assert late.rcept_no in listed and never.rcept_no not in listed


async def test_stale_feed_keeps_serving_the_frozen_view(
    fake: FakeDart, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    fake.freeze_feed()
    clock.advance(30)
    row = fake.publish({"corp_code": NAVER, "report_nm": "주요사항보고서(유상증자결정)"})
    stale = await client.get("/todayRSS.xml")
    assert stale.status_code == 200 and row.rcept_no not in stale.text
    fake.thaw_feed()
    assert row.rcept_no in (await client.get("/todayRSS.xml")).text


async def test_shuffled_feed_has_the_same_items_out_of_order(
    fake: FakeDart, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    for minute in range(6):
        fake.publish(
            {"corp_code": NAVER, "report_nm": f"기업설명회(IR)개최(안내공시) {minute}"},
            clock() - timedelta(minutes=minute),
        )
    ordered = [e.findtext("link") for e in items((await client.get("/todayRSS.xml")).content)]
    fake.set_feed_order("shuffled")
    shuffled = [e.findtext("link") for e in items((await client.get("/todayRSS.xml")).content)]
    assert sorted(map(str, ordered)) == sorted(map(str, shuffled)) and ordered != shuffled


async def test_unlisted_namesake_is_a_separate_company_in_the_feed(
    fake: FakeDart, client: httpx.AsyncClient
) -> None:
    from monitor.fakedart.model import Company

    fake.add_company(Company(corp_code="01999999", corp_name="LG", corp_cls="E"))
    row = fake.publish({"corp_code": "01999999", "report_nm": "감사보고서제출"})
    body = (await client.get("/todayRSS.xml")).content
    mine = next(e for e in items(body) if row.rcept_no in (e.findtext("link") or ""))
    assert mine.findtext("title") == "(기타)LG - 감사보고서제출"


@pytest.mark.parametrize("kind", FEED_FAULTS)
async def test_every_feed_fault_is_served_once_then_the_feed_recovers(
    fake: FakeDart, client: httpx.AsyncClient, kind: str
) -> None:
    fake.inject_feed(kind, seconds=0.3)
    try:
        broken = await client.get("/todayRSS.xml", timeout=0.2 if kind == "slow" else 5)
    except httpx.HTTPError:
        assert kind in ("down", "slow")
    else:
        assert kind not in ("down", "slow")
        if kind in ("503", "blocked"):
            assert broken.status_code >= 400
        else:
            with pytest.raises(ET.ParseError if kind != "otherformat" else AssertionError):
                items(broken.content)
    healthy = await client.get("/todayRSS.xml")
    assert healthy.status_code == 200 and items(healthy.content) is not None
    assert fake.records("todayRSS.xml")[0].fault == kind


def test_unknown_feed_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown feed fault"):
        FakeDart(noise_per_day=0, noise_companies=0).inject_feed("gone")


def test_filing_time_is_the_feed_moment_in_gmt() -> None:
    fake = FakeDart(clock=ManualClock(START), noise_per_day=0, noise_companies=0)
    row = fake.publish({"corp_code": NAVER, "report_nm": "x"}, START + timedelta(seconds=59))
    from monitor.fakedart.feeds import filed_minute

    assert filed_minute(row) == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


async def test_feed_faults_and_states_are_controllable_over_http(
    fake: FakeDart, client: httpx.AsyncClient, server: tuple[str, Switch]
) -> None:
    async with httpx.AsyncClient(base_url=f"{server[0]}/_fake", timeout=5) as control:
        assert (
            await control.post("/inject_feed", params={"kind": "503", "count": "2"})
        ).json() == {"queued": 2}
        assert (await client.get("/todayRSS.xml")).status_code == 503
        await control.post("/clear_feed_faults")
        assert (await client.get("/todayRSS.xml")).status_code == 200
        assert (await control.post("/freeze_feed")).json() == {"frozen": True}
        assert (await control.post("/thaw_feed")).json() == {"frozen": False}
        assert (await control.post("/feed_order", params={"order": "shuffled"})).json() == {
            "order": "shuffled"
        }
        bad = await control.post("/inject_feed", params={"kind": "gone"})
        assert bad.status_code == 400 and "unknown feed fault" in bad.json()["error"]
