"""Hostile content: what a crafted OpenDART row or document can do, and why it can't.

- a document body of unclosed markup, a megabyte title of ``[기재정정]``: linear parsers,
  length caps at parse time, and body parsing off the event loop with a hard limit;
- XML with a DTD in any encoding: ``defusedxml`` refuses it;
- formula cells and Markdown block syntax in titles and filer names: neutralised;
- a chat that blocks the bot: no further send to it.

The proving tests listed in docs/untrusted-input.md failed on the code before their
defence; the others here pin what the new parsers must keep doing (words of adjacent
cells apart, entities literal, a 40 MB body bounded).
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from sqlmodel import select

from monitor.core.loopback import serve_in_thread
from monitor.core.offloop import BoundedRunner, OffloopTimeout
from monitor.delivery.pipeline import Pipeline
from monitor.digest import Digest, build_digest, render
from monitor.fakedart import DocumentSpec
from monitor.ingest.documents import cached_body, fetch_body
from monitor.kai.matcher import categorise, match_filing, rules_for
from monitor.kai.timeline import load_timeline
from monitor.opendart import errors, parsing
from monitor.opendart.parsing import (
    FLR_NM_MAX_CHARS,
    REPORT_NM_MAX_CHARS,
    document_text,
    parse_corp_codes,
    parse_document,
    parse_list_page,
    parse_status_xml,
)
from notifiers.base import DestinationGone
from notifiers.formatting import alert_markdown
from notifiers.telegram import TelegramNotifier, TelegramSettings
from storage import documents
from storage.db import Database
from storage.models import Filing, Match
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.faults.test_telegram_faults import tg_rig
from tests.helpers.digest import digest_inputs
from tests.helpers.ingest import plain_client, running_fake, settings_for

pytestmark = pytest.mark.faults

TL = load_timeline()
NAVER = "00266961"
RCEPT = "20260115000321"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _list_page(**row: str) -> bytes:
    base = {
        "corp_code": NAVER,
        "corp_name": "NAVER",
        "stock_code": "035420",
        "corp_cls": "Y",
        "report_nm": "기타경영사항(자율공시)",
        "rcept_no": RCEPT,
        "flr_nm": "NAVER",
        "rcept_dt": "20260115",
        "rm": "",
    }
    base.update(row)
    page = {"status": "000", "message": "정상", "page_no": 1, "page_count": 100,
            "total_count": 1, "total_page": 1, "list": [base]}  # fmt: skip
    return json.dumps(page, ensure_ascii=False).encode()


# ----------------------------------------------------------------------------- item 3
# Sizes that took the old regexes minutes (quadratic): 100 KB of "<" took 25 s.
CRAFTED_MARKUP = {
    "unclosed <": "<" * 100_000,
    "unclosed <script": "<script" * 30_000,
    "unclosed attribute": "<p a='" * 30_000,
    "unclosed comment": "<!--" * 30_000,
    "unclosed <style> then text": "<style>" + "x" * 100_000,
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("markup", CRAFTED_MARKUP.values(), ids=CRAFTED_MARKUP.keys())
def test_unclosed_markup_is_parsed_without_backtracking(markup: str) -> None:
    text = document_text(markup, 200_000)
    assert "<script" not in text.lower() or markup.startswith("<p")


def test_document_text_keeps_words_apart_and_expands_no_entity() -> None:
    markup = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<!DOCTYPE d [<!ENTITY boom "BOOMBOOMBOOM">]>'
        "<DOCUMENT><TITLE>투자판단</TITLE><BODY><P>하이퍼클로바X &amp; GPU &boom;</P>"
        "<TABLE><TR><TD>삼성</TD><TD>전자</TD></TR></TABLE>"
        "<script>alert(1)</script><SPAN>끝</SPAN></BODY></DOCUMENT>"
    )
    text = document_text(markup, 10_000)
    assert "하이퍼클로바X & GPU" in text
    assert "삼성 전자" in text  # cells stay apart: no false "삼성전자"
    assert "BOOM" not in text and "alert" not in text
    assert text.endswith("끝")


@pytest.mark.timeout(30)
def test_forty_megabyte_crafted_body_is_bounded() -> None:
    body = _zip({f"{RCEPT}.xml": b"<td>a" * 8_000_000})  # 40 MB of markup, 60 KB zipped
    started = time.perf_counter()
    doc = parse_document(body, RCEPT, max_bytes=40_000_000)
    elapsed = time.perf_counter() - started
    assert doc.truncated
    assert len(doc.text) <= parsing.DOCUMENT_MAX_CHARS
    assert elapsed < 20, f"{elapsed:.1f} s"  # the benchmark holds the real target


@pytest.mark.timeout(20)
def test_megabyte_title_of_correction_prefixes_is_linear() -> None:
    title = "[기재정정]" * 160_000 + "투자판단관련주요경영사항"
    category, prefix, _ = categorise(title, "", rules_for(TL))
    assert prefix == "기재정정"
    assert category != "other"


def test_titles_and_filer_names_are_capped_at_parse_time() -> None:
    page = parse_list_page(
        _list_page(report_nm="[기재정정]" * 100_000 + "사업보고서", flr_nm="가" * 100_000)
    )
    (row,) = page.rows
    assert len(row.report_nm) <= REPORT_NM_MAX_CHARS
    assert row.flr_nm is not None and len(row.flr_nm) <= FLR_NM_MAX_CHARS
    assert row.report_nm.endswith("…") and row.flr_nm.endswith("…")
    match = match_filing(row, TL)  # a capped title matches like any other
    assert match.category


def _slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _boom() -> None:
    raise ValueError("bad body")


async def test_runner_kills_work_past_its_limit_and_recovers() -> None:
    runner = BoundedRunner()
    try:
        assert await runner.run(_slow, 0.0, timeout=30) == "done"
        started = time.perf_counter()
        with pytest.raises(OffloopTimeout):
            await runner.run(_slow, 60.0, timeout=0.5)
        assert time.perf_counter() - started < 30
        with pytest.raises(ValueError, match="bad body"):
            await runner.run(_boom, timeout=30)
        assert await runner.run(_slow, 0.0, timeout=30) == "done"  # a fresh worker
    finally:
        runner.close()


async def _longest_stall(work: asyncio.Future[object], tick: float = 0.005) -> float:
    """The longest gap between heartbeats while *work* runs."""
    longest = 0.0
    last = time.perf_counter()
    while not work.done():
        await asyncio.sleep(tick)
        now = time.perf_counter()
        longest = max(longest, now - last - tick)
        last = now
    return longest


async def test_document_parse_does_not_stall_the_event_loop() -> None:
    markup = b"<" * 40_000  # ~4 s for the old regexes, on the loop
    with running_fake(dataset=False) as (fake, url):
        row = fake.publish(
            {"corp_code": NAVER, "report_nm": "기타경영사항"}, document=DocumentSpec(markup=markup)
        )
        async with plain_client(settings_for(url)) as client:
            await client.document(row.rcept_no, 1_000_000)  # the worker is started
            work = asyncio.ensure_future(client.document(row.rcept_no, 1_000_000))
            stall = await _longest_stall(work)
            doc = await work
    assert doc.text.startswith("<<<")
    assert stall < 0.5, f"event loop stalled {stall:.2f} s"


async def test_body_past_the_parse_limit_is_unparseable_final_and_still_alerts(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsing, "DOCUMENT_PARSE_SECONDS", 0.01)
    markup = b"<td>a" * 800_000  # 4 MB of cells: far longer than 10 ms to parse
    with running_fake(dataset=False) as (fake, url):
        row = fake.publish(
            {"corp_code": NAVER, "report_nm": "투자판단관련주요경영사항(하이퍼클로바X 투자)"},
            document=DocumentSpec(markup=markup),
        )
        async with sqlite_db.session() as s:
            s.add(Filing(rcept_no=row.rcept_no, corp_code=NAVER, corp_name="NAVER",
                         report_nm=row.report_nm, rcept_dt=row.rcept_no[:8]))  # fmt: skip
            await s.commit()
        async with plain_client(settings_for(url)) as client:
            with pytest.raises(errors.DocumentUnparseable):
                await client.document(row.rcept_no, 1_000_000)
            sent = client.requests_sent
            assert sent == 1  # not retried as if it were a glitch
            await Pipeline(sqlite_db, TL, {}, documents=client).run()
            again = await fetch_body(
                sqlite_db, client, row.rcept_no, max_bytes=1_000_000, timeout=5
            )
            assert client.requests_sent == sent + 1  # the pipeline's one; none after
    assert again.status == "unparseable" and again.cached
    far = await cached_body(sqlite_db, row.rcept_no, now=datetime.now(UTC) + timedelta(days=365))
    assert far is not None and far.status == "unparseable"  # never retried
    async with sqlite_db.session() as s:
        stored = (await s.exec(select(Match))).one()
        doc_row = await documents.get_document(s, row.rcept_no)
    assert stored.body_used is False
    assert doc_row is not None and doc_row.status == documents.UNPARSEABLE
    assert stored.ai_related  # matched (and alerted) on its title


# ----------------------------------------------------------------------------- item 6
_BOMB = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    '<!DOCTYPE result [<!ENTITY a "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    "<result><list><corp_code>00266961</corp_code><corp_name>&b;</corp_name>"
    "<stock_code>035420</stock_code><modify_date>20260101</modify_date></list></result>"
)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8"])
def test_corpcode_with_an_internal_entity_is_refused_in_any_encoding(encoding: str) -> None:
    xml = _BOMB.format(enc=encoding[:6].upper()).encode(encoding)
    if encoding == "utf-16-le":
        xml = b"\xff\xfe" + xml
    with pytest.raises(errors.BadPayload, match="DTD"):
        parse_corp_codes(_zip({"CORPCODE.xml": xml}))


def test_status_xml_with_a_dtd_is_not_read() -> None:
    xml = _BOMB.replace("<list>", "<status>&b;</status><list>").format(enc="UTF-16")
    assert parse_status_xml(xml.encode("utf-16"), "document.xml") is None


# ----------------------------------------------------------------------------- item 5
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
INJECTED = "NAVER\n# 긴급: 전량 매도\n- [클릭](http://evil.example)\n\n> 인용"


def _digest_with(**changes: object) -> Digest:
    inputs = digest_inputs()
    alerts = [dataclasses.replace(inputs["alerts"][0], **changes), *inputs["alerts"][1:]]
    return build_digest(
        inputs["day"],
        alerts,
        inputs["trend_counts"],
        inputs["timeline_box"],
        inputs["lang"],
        companies=inputs["companies"],
        markers=inputs["markers"],
    )


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_digest_cells_never_start_a_formula(formula: str) -> None:
    digest = _digest_with(report_nm=formula, flr_nm=formula, corp_name=formula)
    rows = list(csv.reader(io.StringIO(render(digest, "csv"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert f"'{formula}" in cells  # kept, shown as text


def test_opendart_text_fields_are_one_line_at_parse_time() -> None:
    page = parse_list_page(
        _list_page(
            flr_nm=INJECTED,
            report_nm="사업보고서\r\n(2025.12)",
            corp_name="NAVER\n\n#",
            rm="유\n정",
        )
    )
    (row,) = page.rows
    for value in (row.flr_nm, row.report_nm, row.corp_name, row.rm):
        assert value is not None and "\n" not in value and "\r" not in value
    assert row.report_nm == "사업보고서 (2025.12)"


def _block_lines(markdown: str) -> list[str]:
    """Lines an injected value would have opened: a heading, a list item, a quote."""
    return [ln for ln in markdown.splitlines() if re.match(r"\s*(#|> |[-+*] \[|[-+*] 인용)", ln)]


def test_markdown_digest_keeps_a_hostile_filer_name_inline() -> None:
    clean = _block_lines(render(_digest_with(), "md"))
    hostile = render(_digest_with(flr_nm=INJECTED, corp_name=INJECTED), "md")
    assert _block_lines(hostile) == clean
    assert "긴급" in hostile and "\n# 긴급" not in hostile


@pytest.mark.parametrize("field", ["flr_nm", "corp_name", "report_nm"])
def test_markdown_alert_keeps_hostile_text_inline(field: str) -> None:
    alert = dataclasses.replace(_digest_with().items[0].alert, **{field: INJECTED})
    for lang in ("ko", "en"):
        text = alert_markdown(alert, lang)
        assert "\n# " not in text and "\n- [" not in text and "\n> " not in text
        assert not any(line.startswith("#") for line in text.splitlines())


# ----------------------------------------------------------------------------- item 8
def _sends_to(api: FakeTelegram, chat: int) -> list[dict[str, object]]:
    return [c for c in api.calls("sendMessage") if str(c.get("chat_id")) == str(chat)]


@pytest.mark.slow
async def test_chat_that_blocks_the_bot_gets_exactly_one_send_attempt(sqlite_url: str) -> None:
    """Four filings for a chat that has blocked the bot, with Telegram answering slower
    than the chat's 1 s spacing: the next row's turn comes before the 403 does."""
    good, blocked = 3501, 3600
    async with tg_rig(sqlite_url) as rig:
        rig.api.add_chat(good)
        rig.api.add_chat(blocked)
        rig.api.block(blocked)
        rig.api.slow(1.5, "sendMessage")
        await rig.audience([good, blocked])
        await rig.filings(4)
        counts = await rig.settle(60)
        assert len(_sends_to(rig.api, blocked)) == 1
        assert len(_sends_to(rig.api, good)) == 4
        assert counts == {"sent": 4, "dropped": 4}
        assert not (await rig.subscriber(blocked)).active


class _TwoPerSecond(TelegramNotifier):
    rate_per_second: ClassVar[float | None] = 2.0


@pytest.mark.parametrize("chat", [3700, 3800], ids=["blocked", "chat not found"])
async def test_messages_waiting_in_the_notifier_spacer_skip_a_gone_chat(chat: int) -> None:
    api = FakeTelegram()
    with serve_in_thread(api) as url:
        if chat == 3700:
            api.add_chat(chat)
            api.block(chat)
        notifier = _TwoPerSecond(TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot"))
        await notifier.start()
        try:
            first = asyncio.create_task(notifier.send_text("하나", str(chat)))
            queued = [asyncio.create_task(notifier.send_text("둘", str(chat))) for _ in range(3)]
            results = await asyncio.gather(first, *queued, return_exceptions=True)
        finally:
            await notifier.close()
    assert all(isinstance(r, DestinationGone) for r in results)
    assert len(_sends_to(api, chat)) == 1
