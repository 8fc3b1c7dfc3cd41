"""The local OpenDART, exercised as the client sees it: a real httpx.AsyncClient over a
real socket to the fake served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import io
import json
import math
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from monitor.core.kcalendar import KST
from monitor.core.loopback import serve_in_thread
from monitor.fakedart import (
    FAULT_KINDS,
    THREE_MONTHS_MESSAGE,
    DocumentSpec,
    FakeDart,
    ManualClock,
    replay_script,
)
from monitor.fakedart.server import months_back
from tests.conftest import TEST_KEY

NAVER, SKT, SK, LG, NC = "00266961", "00159023", "00181712", "00120021", "00261443"
FLITTO = "99000006"  # a synthetic corp code for a KOSDAQ partner (see tools/fakedart_generate.py)
NAVER_CLOUD = "00777272"  # unlisted
ROW_KEYS = [
    "corp_code",
    "corp_name",
    "stock_code",
    "corp_cls",
    "report_nm",
    "rcept_no",
    "flr_nm",
    "rcept_dt",
    "rm",
]
START = datetime(2026, 11, 27, 16, 0, tzinfo=KST)  # a Friday afternoon in KST


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def fake(clock: ManualClock) -> FakeDart:
    return FakeDart(clock=clock, noise_per_day=40, noise_companies=300)


class Switch:
    """One server for the module; each test plugs in its own fake (start-up is the
    slow part of a loopback test, a fresh FakeDart is not)."""

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
def serve(server: tuple[str, Switch]) -> Any:
    def plug(fake: FakeDart) -> str:
        server[1].app = fake
        return f"{server[0]}/api"

    return plug


@pytest.fixture
def base_url(fake: FakeDart, serve: Any) -> str:
    return str(serve(fake))


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        yield http


async def get(client: httpx.AsyncClient, endpoint: str, **params: str) -> httpx.Response:
    params.setdefault("crtfc_key", TEST_KEY)
    return await client.get(f"/{endpoint}", params=params)


async def get_json(client: httpx.AsyncClient, endpoint: str, **params: str) -> dict[str, Any]:
    response = await get(client, endpoint, **params)
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


# ------------------------------------------------------------------------ list.json


async def test_paging_fields_are_integers_and_pages_cover_every_row(
    client: httpx.AsyncClient, fake: FakeDart
) -> None:
    first = await get_json(
        client, "list.json", corp_code=NAVER, bgn_de="20250601", end_de="20261127", page_count="7"
    )
    assert first["status"] == "000" and first["message"] == "정상"
    for name in ("page_no", "page_count", "total_count", "total_page"):
        assert type(first[name]) is int
    assert first["total_page"] == math.ceil(first["total_count"] / 7)
    assert list(first["list"][0]) == ROW_KEYS
    assert all(type(v) is str for row in first["list"] for v in row.values())

    rows = list(first["list"])
    for page in range(2, first["total_page"] + 1):
        data = await get_json(
            client,
            "list.json",
            corp_code=NAVER,
            bgn_de="20250601",
            end_de="20261127",
            page_count="7",
            page_no=str(page),
        )
        assert data["page_no"] == page
        rows.extend(data["list"])
    assert len(rows) == first["total_count"] > 100
    assert rows == fake.visible_rows([NAVER], bgn_de=date(2025, 6, 1))
    dates = [r["rcept_dt"] for r in rows]
    assert dates == sorted(dates, reverse=True)  # sort=date, sort_mth=desc by default


async def test_013_body_is_status_and_message_only(client: httpx.AsyncClient) -> None:
    response = await get(client, "list.json", corp_code=NAVER, bgn_de="20240101", end_de="20240105")
    assert response.status_code == 200
    assert response.content == '{"status":"013","message":"조회된 데이타가 없습니다."}'.encode()


async def test_more_than_three_months_without_corp_code_is_100(client: httpx.AsyncClient) -> None:
    too_wide = await get_json(client, "list.json", bgn_de="20260826", end_de="20261127")
    assert too_wide == {"status": "100", "message": THREE_MONTHS_MESSAGE}
    exactly_three = await get_json(client, "list.json", bgn_de="20260827", end_de="20261127")
    assert exactly_three["status"] == "000"
    with_company = await get_json(
        client, "list.json", corp_code=SK, bgn_de="20250601", end_de="20261127"
    )
    assert with_company["status"] == "000"
    assert months_back(date(2026, 5, 31), 3) == date(2026, 2, 28)


async def test_key_is_checked(clock: ManualClock, serve: Any) -> None:
    fake = FakeDart(clock=clock, keys=[TEST_KEY], noise_per_day=0, noise_companies=0)
    other = "f" * 40
    async with httpx.AsyncClient(base_url=serve(fake), timeout=5) as client:
        for key in ("", "short", other):
            data = await get_json(client, "list.json", crtfc_key=key)
            assert data == {"status": "010", "message": "등록되지 않은 키입니다."}
        fake.set_key_status(TEST_KEY, "012")
        assert (await get_json(client, "list.json"))["status"] == "012"
        fake.set_key_status(TEST_KEY, "000")
        assert (await get_json(client, "list.json"))["status"] in ("000", "013")
    assert all(TEST_KEY not in json.dumps(r.params) for r in fake.request_log)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"corp_code": "0026696"}, "corp_code가 필드의 부적절한 값입니다."),
        ({"corp_code": "NAVER000"}, "corp_code가 필드의 부적절한 값입니다."),
        ({"page_count": "101"}, "page_count가 필드의 부적절한 값입니다."),
        ({"page_count": "0"}, "page_count가 필드의 부적절한 값입니다."),
        ({"bgn_de": "2026-11-01"}, "bgn_de가 필드의 부적절한 값입니다."),
        ({"last_reprt_at": "X"}, "last_reprt_at가 필드의 부적절한 값입니다."),
    ],
)
async def test_bad_parameters_are_100(
    client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    assert await get_json(client, "list.json", **params) == {"status": "100", "message": message}


async def test_defaults_are_today_in_kst(
    client: httpx.AsyncClient, fake: FakeDart, clock: ManualClock
) -> None:
    # 23:30 UTC on the 27th is 08:30 KST on the 28th: "today" is the 28th.
    clock.set(datetime.fromisoformat("2026-11-27T23:30:00+00:00"))
    fake.publish({"corp_code": SK, "report_nm": "기타경영사항(자율공시)"})
    today = await get_json(client, "list.json", corp_code=SK)
    assert [row["rcept_dt"] for row in today["list"]] == ["20261128"]
    yesterday = await get_json(client, "list.json", corp_code=SK, end_de="20261127")
    assert {row["rcept_dt"] for row in yesterday["list"]} == {"20261127"}


async def test_rows_become_visible_over_time(
    client: httpx.AsyncClient, fake: FakeDart, clock: ManualClock
) -> None:
    row = fake.publish(
        {"corp_code": LG, "report_nm": "기타경영사항(자율공시)"},
        visible_at=START + timedelta(seconds=30),
    )
    before = await get_json(client, "list.json", corp_code=LG)
    assert row.rcept_no not in {r["rcept_no"] for r in before.get("list", [])}
    clock.advance(31)
    after = await get_json(client, "list.json", corp_code=LG)
    assert after["list"][0]["rcept_no"] == row.rcept_no


async def test_receipt_numbers_carry_their_origin(
    client: httpx.AsyncClient, fake: FakeDart
) -> None:
    kospi = fake.publish({"corp_code": SKT, "report_nm": "현금ㆍ현물배당결정"})
    kosdaq = fake.publish({"corp_code": FLITTO, "report_nm": "단일판매ㆍ공급계약체결"})
    dart = fake.publish(
        {"corp_code": SKT, "report_nm": "주식등의대량보유상황보고서(일반)", "pblntf_ty": "D"}
    )
    unlisted = fake.publish(
        {"corp_code": NAVER_CLOUD, "report_nm": "대규모내부거래에대한이사회의결", "pblntf_ty": "J"}
    )
    rows = {
        r["rcept_no"]: r for r in (await get_json(client, "list.json", page_count="100"))["list"]
    }
    assert rows[kospi.rcept_no]["rm"] == "유" and kospi.rcept_no[8:10] == "80"
    assert rows[kosdaq.rcept_no]["rm"] == "코" and kosdaq.rcept_no[8:10] == "90"
    assert rows[dart.rcept_no]["rm"] == "" and dart.rcept_no[8:10] == "00"
    assert (
        rows[unlisted.rcept_no]["stock_code"] == "" and rows[unlisted.rcept_no]["corp_cls"] == "E"
    )
    # Published later, yet a DART number sorts below the KRX ones: never a high-water mark.
    assert dart.rcept_no < kospi.rcept_no


async def test_amendment_adds_a_row_and_marks_the_original(
    client: httpx.AsyncClient, fake: FakeDart, clock: ManualClock
) -> None:
    original = fake.publish({"corp_code": SKT, "report_nm": "신규시설투자등"})
    amended = fake.amend(original.rcept_no, START + timedelta(seconds=10))
    withdrawn = fake.publish({"corp_code": SKT, "report_nm": "기타경영사항(자율공시)"})
    fake.withdraw(withdrawn.rcept_no, START + timedelta(seconds=10))

    async def rows() -> dict[str, dict[str, str]]:
        data = await get_json(client, "list.json", corp_code=SKT)
        return {r["rcept_no"]: r for r in data["list"]}

    now = await rows()
    assert amended.rcept_no not in now and now[original.rcept_no]["rm"] == "유"
    clock.advance(11)
    now = await rows()
    assert now[amended.rcept_no]["report_nm"] == "[기재정정]신규시설투자등"
    assert now[amended.rcept_no]["rm"] == "유"
    assert now[original.rcept_no]["rm"] == "유정"
    assert now[withdrawn.rcept_no]["rm"] == "유철"
    final_only = await get_json(client, "list.json", corp_code=SKT, last_reprt_at="Y")
    assert original.rcept_no not in {r["rcept_no"] for r in final_only["list"]}


async def test_rows_vanish_and_reappear(
    client: httpx.AsyncClient, fake: FakeDart, clock: ManualClock
) -> None:
    row = fake.publish({"corp_code": NC, "report_nm": "기타경영사항(자율공시)"})
    fake.hide(row.rcept_no, START + timedelta(seconds=5))
    fake.unhide(row.rcept_no, START + timedelta(seconds=10))
    seen = []
    for _ in range(3):
        data = await get_json(client, "list.json", corp_code=NC)
        seen.append(row.rcept_no in {r["rcept_no"] for r in data.get("list", [])})
        clock.advance(5)
    assert seen == [True, False, True]


# ---------------------------------------------------------------- the ZIP endpoints


def unzip(content: bytes) -> zipfile.ZipFile:
    assert content[:4] == b"PK\x03\x04"
    return zipfile.ZipFile(io.BytesIO(content))


@pytest.mark.parametrize("eng", [True, False])
async def test_corpcode_zip_in_both_shapes(clock: ManualClock, serve: Any, eng: bool) -> None:
    fake = FakeDart(clock=clock, corp_eng_name=eng, ncsoft_renamed=eng, noise_companies=200)
    async with httpx.AsyncClient(base_url=serve(fake), timeout=5) as client:
        response = await get(client, "corpCode.xml")
    archive = unzip(response.content)
    assert archive.namelist() == ["CORPCODE.xml"]
    root = ET.fromstring(archive.read("CORPCODE.xml"))
    entries = {e.findtext("corp_code", ""): e for e in root.iter("list")}
    assert len(entries) > 200
    assert [child.tag for child in entries[NAVER]] == [
        "corp_code",
        "corp_name",
        *(["corp_eng_name"] if eng else []),
        "stock_code",
        "modify_date",
    ]
    assert entries[NAVER_CLOUD].findtext("stock_code") == " "
    assert entries[NC].findtext("corp_name") == ("NC" if eng else "엔씨소프트")
    named_sk = [code for code, e in entries.items() if e.findtext("corp_name") == "SK"]
    assert sorted(named_sk) == ["00144155", SK]
    stock = {e.findtext("stock_code"): code for code, e in entries.items()}
    assert stock["300080"] == FLITTO and stock["035420"] == NAVER


async def test_document_zip_and_its_errors(client: httpx.AsyncClient, fake: FakeDart) -> None:
    ai_rows = [r for r in fake.visible_rows([SKT]) if r["report_nm"] == "신규시설투자등"]
    response = await get(client, "document.xml", rcept_no=ai_rows[-1]["rcept_no"])
    archive = unzip(response.content)
    main = archive.read(f"{ai_rows[-1]['rcept_no']}.xml")
    assert len(main) > 200_000  # a large document (benchmarks)
    text = main.decode("utf-8")
    assert "<DOCUMENT" in text and "인공지능" in text and "GPU" in text and "데이터센터" in text

    euc = next(
        r for r in (fake.row(x["rcept_no"]) for x in fake.visible_rows()) if r and r.document.euc_kr
    )
    body = unzip((await get(client, "document.xml", rcept_no=euc.rcept_no)).content).read(
        f"{euc.rcept_no}.xml"
    )
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert euc.corp_name in body.decode("euc-kr")

    with_attachment = fake.publish(
        {"corp_code": LG, "report_nm": "주주총회소집공고", "pblntf_ty": "E"},
        document=DocumentSpec(attachment=True),
    )
    names = unzip(
        (await get(client, "document.xml", rcept_no=with_attachment.rcept_no)).content
    ).namelist()
    assert names == [f"{with_attachment.rcept_no}.xml", f"{with_attachment.rcept_no}_00760.xml"]

    missing = await get(client, "document.xml", rcept_no="20990101000001")
    assert missing.status_code == 200
    assert (
        missing.content
        == (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<result><status>014</status><message>파일이 존재하지 않습니다.</message></result>"
        ).encode()
    )
    bad = ET.fromstring((await get(client, "document.xml", rcept_no="123")).content)
    assert bad.findtext("status") == "100"


async def test_company_json_is_flat(client: httpx.AsyncClient) -> None:
    data = await get_json(client, "company.json", corp_code=NAVER)
    assert data["status"] == "000" and data["corp_name"] == "NAVER"
    assert data["stock_code"] == "035420" and data["corp_name_eng"]
    assert all(type(v) is str for v in data.values())
    unknown = await get_json(client, "company.json", corp_code="00000001")
    assert unknown["status"] == "013"


# ------------------------------------------------------------------------- faults


@pytest.mark.parametrize("kind", ["800", "900", "010", "011", "012", "901"])
async def test_status_faults_once_then_healthy(
    client: httpx.AsyncClient, fake: FakeDart, kind: str
) -> None:
    fake.inject(kind)
    fake.inject(kind, endpoint="corpCode.xml")
    assert (await get_json(client, "list.json", corp_code=NAVER))["status"] == kind
    xml = await get(client, "corpCode.xml")
    assert ET.fromstring(xml.content).findtext("status") == kind
    assert (await get_json(client, "list.json", corp_code=NAVER))["status"] == "000"


async def test_quota_is_sticky_until_reset(client: httpx.AsyncClient, fake: FakeDart) -> None:
    fake.inject("020")
    first = await get_json(client, "list.json", corp_code=NAVER)
    assert first["status"] == "020" and first["message"].startswith("요청 제한을 초과하였습니다.")
    assert (await get_json(client, "company.json", corp_code=NAVER))["status"] == "020"
    xml = await get(client, "document.xml", rcept_no="20261127000001")
    assert ET.fromstring(xml.content).findtext("status") == "020"
    assert fake.statuses["020"] == 3 and fake.quota_exhausted
    fake.reset_quota()
    assert (await get_json(client, "list.json", corp_code=NAVER))["status"] == "000"


async def test_daily_limit_turns_into_020(clock: ManualClock, serve: Any) -> None:
    fake = FakeDart(clock=clock, daily_limit=3, noise_per_day=0, noise_companies=0)
    async with httpx.AsyncClient(base_url=serve(fake), timeout=5) as client:
        statuses = [
            (await get_json(client, "company.json", corp_code=LG))["status"] for _ in range(5)
        ]
    assert statuses == ["000", "000", "000", "020", "020"]


async def test_html_pages(client: httpx.AsyncClient, fake: FakeDart) -> None:
    fake.inject("html502")
    fake.inject("html200")
    bad_gateway = await get(client, "list.json")
    assert bad_gateway.status_code == 502 and "text/html" in bad_gateway.headers["content-type"]
    maintenance = await get(client, "list.json")
    assert maintenance.status_code == 200 and maintenance.text.lstrip().startswith("<!DOCTYPE html")
    with pytest.raises(json.JSONDecodeError):
        maintenance.json()


@pytest.mark.parametrize("kind", ["truncated", "malformed"])
async def test_broken_json(client: httpx.AsyncClient, fake: FakeDart, kind: str) -> None:
    fake.inject(kind)
    response = await get(client, "list.json", corp_code=NAVER, bgn_de="20250601")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_wrong_types(client: httpx.AsyncClient, fake: FakeDart) -> None:
    violations = set()
    for _ in range(12):
        fake.inject("wrongtypes")
        data = await get_json(client, "list.json", corp_code=NAVER, bgn_de="20250601")
        if type(data.get("page_no")) is not int or type(data.get("total_count")) is not int:
            violations.add("paging")
        if not isinstance(data.get("list"), list):
            violations.add("list")
        elif any(
            "rcept_no" not in r or not isinstance(r.get("rcept_dt"), str) for r in data["list"]
        ):
            violations.add("row")
        if data.get("total_page") is None:
            violations.add("null")
    assert violations == {"paging", "list", "row", "null"}


async def test_slow_response_times_out_and_server_recovers(
    client: httpx.AsyncClient, fake: FakeDart
) -> None:
    fake.inject("slow", seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/list.json", params={"crtfc_key": TEST_KEY, "corp_code": LG}, timeout=0.3)
    assert (await get_json(client, "list.json", corp_code=LG))["status"] == "000"


async def test_reset_drops_the_connection(client: httpx.AsyncClient, fake: FakeDart) -> None:
    fake.inject("reset")
    with pytest.raises(httpx.TransportError) as caught:
        await get(client, "list.json", corp_code=LG)
    assert isinstance(caught.value, (httpx.ReadError, httpx.RemoteProtocolError))
    assert fake.request_log[-1].status == "reset" and fake.request_log[-1].http_status == 0
    assert (await get_json(client, "list.json", corp_code=LG))["status"] == "000"


async def test_not_a_zip(client: httpx.AsyncClient, fake: FakeDart) -> None:
    fake.inject("notzip")
    fake.inject("badzip")
    not_zip = await get(client, "corpCode.xml")
    assert not_zip.status_code == 200 and not not_zip.content.startswith(b"PK")
    bad_zip = await get(client, "corpCode.xml")
    assert bad_zip.content.startswith(b"PK\x03\x04")
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(bad_zip.content)).read("CORPCODE.xml")


async def test_zip_only_faults_wait_for_a_zip_endpoint(
    client: httpx.AsyncClient, fake: FakeDart
) -> None:
    fake.inject("notzip")
    assert (await get_json(client, "list.json", corp_code=LG))["status"] == "000"
    assert not (await get(client, "corpCode.xml")).content.startswith(b"PK")


async def test_random_faults_are_seeded(client: httpx.AsyncClient, fake: FakeDart) -> None:
    fake.set_random_faults(0.5, ["800", "900", "html502"], seed=7)
    codes = []
    for _ in range(30):
        response = await get(client, "company.json", corp_code=LG)
        codes.append("502" if response.status_code == 502 else response.json()["status"])
    assert 5 < codes.count("000") < 25
    assert {"800", "900", "502"} <= set(codes)
    fake.set_random_faults(0)
    assert (await get_json(client, "company.json", corp_code=LG))["status"] == "000"
    assert set(FAULT_KINDS) >= {"020", "reset", "slow", "wrongtypes"}


# -------------------------------------------------------------- counters, control


async def test_counters_and_log_never_hold_the_key(
    client: httpx.AsyncClient, fake: FakeDart
) -> None:
    await get(client, "list.json", corp_code=NAVER)
    await get(client, "company.json", corp_code=NAVER)
    fake.inject("020")
    await get(client, "list.json", corp_code=NAVER)
    assert fake.requests == {"list.json": 2, "company.json": 1}
    assert [r.status for r in fake.request_log] == ["000", "000", "020"]
    assert fake.request_log[0].params == {"corp_code": NAVER}
    assert fake.count() == 3 and fake.count("company.json") == 1


async def test_control_endpoints_need_no_key(base_url: str, fake: FakeDart) -> None:
    root = base_url.removesuffix("/api")
    async with httpx.AsyncClient(base_url=root, timeout=5) as http:
        await http.post("/_fake/inject", params={"kind": "900", "count": "2"})
        published = await http.post(
            "/_fake/publish", json={"corp_code": LG, "report_nm": "기타경영사항(자율공시)"}
        )
        assert published.json()["rcept_no"][8:10] == "80"
        for _ in range(3):
            await http.get("/api/list.json", params={"crtfc_key": TEST_KEY, "corp_code": LG})
        stats = (await http.get("/_fake/stats")).json()
    assert stats["requests"] == {"list.json": 3}
    assert stats["statuses"] == {"900": 2, "000": 1}
    assert stats["quota_exhausted"] is False


# ------------------------------------------------------------ replay and streams


async def test_replay_day(client: httpx.AsyncClient, fake: FakeDart, clock: ManualClock) -> None:
    rows = fake.replay_day(START + timedelta(seconds=1), span_seconds=60)
    assert 15 <= len(rows) <= 25 and len(rows) == len(replay_script())
    assert {r.corp_code for r in rows} == {NAVER, SKT, SK, LG, NC}
    assert any(r.ai for r in rows)
    amendment = next(r for r in rows if r.report_nm.startswith("[기재정정]"))

    first = await get_json(client, "list.json", bgn_de="20261127", page_count="100")
    seen = {r["rcept_no"] for r in first["list"]}
    assert not seen & {r.rcept_no for r in rows}
    clock.advance(62)
    listed: list[dict[str, str]] = []
    data = await get_json(client, "list.json", page_count="100")
    for page in range(1, data["total_page"] + 1):
        listed += (await get_json(client, "list.json", page_count="100", page_no=str(page)))["list"]
    by_no = {r["rcept_no"]: r for r in listed}
    assert {r.rcept_no for r in rows} <= set(by_no)
    corrected = next(
        r for r in rows if r.report_nm == amendment.report_nm.removeprefix("[기재정정]")
    )
    assert "정" in by_no[corrected.rcept_no]["rm"]


def test_publish_stream_ends_with_everything_visible(fake: FakeDart, clock: ManualClock) -> None:
    rows = fake.publish_stream(200, start=START, span_seconds=60, seed=3)
    originals = [r for r in rows if not r.report_nm.startswith("[기재정정]")]
    assert len(originals) == 200 and len(rows) > 200
    assert any(e.kind == "hide" for r in rows for e in r.events)
    assert any(e.letter == "철" for r in rows for e in r.events)
    midway = len(fake.visible_rows())
    clock.advance(60)
    visible = {r["rcept_no"] for r in fake.visible_rows()}
    assert {r.rcept_no for r in rows} <= visible
    assert len(visible) > midway


async def test_market_wide_noise_is_deterministic(clock: ManualClock) -> None:
    one = FakeDart(clock=clock, dataset=False, noise_companies=400)
    two = FakeDart(clock=clock, dataset=False, noise_companies=400)
    params = {
        "crtfc_key": TEST_KEY,
        "bgn_de": "20261126",
        "end_de": "20261126",
        "page_count": "100",
    }
    first = json.loads(one.handle("list.json", params).body)
    assert first == json.loads(two.handle("list.json", params).body)
    assert 400 <= first["total_count"] <= 600 and first["total_page"] == math.ceil(
        first["total_count"] / 100
    )
    numbers = [r["rcept_no"] for r in first["list"]]
    assert {n[8:10] for n in numbers} >= {"00", "80", "90"}  # by time, not by number
    for page in range(2, first["total_page"] + 1):
        params["page_no"] = str(page)
        numbers += [r["rcept_no"] for r in json.loads(one.handle("list.json", params).body)["list"]]
    assert len(set(numbers)) == len(numbers) == first["total_count"]
