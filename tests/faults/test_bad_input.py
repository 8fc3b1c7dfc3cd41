"""Bad input, generated: list.json rows, corpCode XML, document ZIPs, report names
through every renderer, timeline files, Telegram updates and command text. Nothing
raises an untyped exception, and every rejection says what was wrong.

(tests/test_dart_parsing.py fuzzes list.json's outer structure and tests/test_matcher_
properties.py the matcher's scores; these go further into the fields and the formats.)"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import re
import tempfile
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from telegram import Chat, Message, MessageEntity

from monitor.bot.application import WebhookApp, parse_command
from monitor.bot.resolve import split_names
from monitor.digest import build_digest, render
from monitor.kai.matcher import FilingInput, alert_from_match, match_filing
from monitor.kai.timeline import TimelineError, bundled_timeline, load_timeline
from monitor.opendart import errors
from monitor.opendart.parsing import (
    FLR_NM_MAX_CHARS,
    REPORT_NM_MAX_CHARS,
    document_text,
    parse_corp_codes,
    parse_document,
    parse_list_page,
)
from notifiers.formatting import alert_html
from notifiers.telegram_format import MAX_CHARS, format_alert_html, utf16_len
from testkit.fakes.telegram_api import parse_html
from testkit.telegram import COMPANIES
from tests.helpers.digest import digest_inputs

pytestmark = pytest.mark.faults

FIELDS = ("corp_code", "corp_name", "stock_code", "corp_cls", "report_nm", "rcept_no",
          "flr_nm", "rcept_dt", "rm")  # fmt: skip
HOSTILE = ["<script>alert(1)</script>", "<b>", "</a>", "&", "&amp;", "&#0;", "<", ">", '"',
           "'", "<a href='javascript:x'>", "\u202e", "\x00", "\ud7ff", "𝔘𝔫𝔦", "🙂",
           "[기재정정]", "ㆍ", "\n", "\t", " "]  # fmt: skip
texts = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(HOSTILE), max_size=8).map("".join),
    st.text(alphabet="0123456789 ", max_size=16),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)


# ----------------------------------------------------------------------------- list.json
def _row_values(field: str) -> st.SearchStrategy[Any]:
    valid = {
        "corp_code": st.sampled_from(["00266961", " 00120021 ", "0026696", "ABCDEFGH"]),
        "rcept_no": st.sampled_from(["20260115800001", "2026011580000", "2026-01-15-0001"]),
        "rcept_dt": st.sampled_from(["20260115", "20261340", "2026-01-15", "20260229"]),
        "stock_code": st.sampled_from(["035420", " ", "", "03542", "A03542"]),
    }.get(field, texts)
    return st.one_of(
        valid, scalars, st.lists(scalars, max_size=2), st.dictionaries(texts, scalars, max_size=2)
    )


rows = st.one_of(
    st.fixed_dictionaries({}, optional={f: _row_values(f) for f in FIELDS}),
    scalars,
    st.lists(scalars, max_size=2),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, max_size=6), st.integers(-1, 3), st.one_of(st.integers(0, 5), texts))
def test_list_rows_are_accepted_valid_or_rejected_with_their_field(
    raw_rows: list[Any], page_no: int, total_page: Any
) -> None:
    body = json.dumps(
        {"status": "000", "message": "정상", "page_no": page_no, "page_count": 100,
         "total_count": len(raw_rows), "total_page": total_page, "list": raw_rows},
        ensure_ascii=False,
    ).encode("utf-8", "surrogatepass")  # fmt: skip
    try:
        page = parse_list_page(body)
    except errors.DartError as exc:
        assert str(exc)  # a refused frame says which field
        return
    assert len(page.rows) + len(page.rejected) == len(raw_rows)
    for bad in page.rejected:
        assert "not an object" in bad.reason or any(f in bad.reason for f in FIELDS), bad
        assert "\n" not in bad.reason
    for row in page.rows:
        assert re.fullmatch(r"\d{14}", row.rcept_no) and re.fullmatch(r"\d{8}", row.corp_code)
        assert row.report_nm == " ".join(row.report_nm.split()) and row.report_nm
        assert isinstance(row.receipt_date, date)


# ----------------------------------------------------------------------------- corpCode.xml
def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


entries = st.lists(
    st.tuples(
        st.one_of(st.from_regex(r"\d{8}", fullmatch=True), texts),
        texts,
        st.one_of(st.none(), texts),
        st.one_of(st.just(" "), st.from_regex(r"\d{6}", fullmatch=True), texts),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries, st.one_of(st.none(), texts), st.booleans())
def test_corpcode_xml_keeps_valid_entries_and_refuses_junk(
    items: list[tuple[str, str, str | None, str]], junk: str | None, declare: bool
) -> None:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>' if declare else "", "<result>"]
    for code, name, eng, stock in items:
        parts.append(
            f"<list><corp_code>{_xml_text(code)}</corp_code><corp_name>{_xml_text(name)}"
            f"</corp_name>"
            + (f"<corp_eng_name>{_xml_text(eng)}</corp_eng_name>" if eng is not None else "")
            + f"<stock_code>{_xml_text(stock)}</stock_code><modify_date>20250101</modify_date>"
            "</list>"
        )
    if junk is not None:
        parts.append(junk)  # raw, unescaped: may break the document
    parts.append("</result>")
    try:
        xml = "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        assume(False)
        return
    try:
        got = parse_corp_codes(_zip({"CORPCODE.xml": xml}))
    except errors.DartError as exc:
        assert isinstance(exc, errors.BadPayload) and str(exc).startswith("corpCode.xml: ")
        return
    for entry in got:
        assert re.fullmatch(r"\d{8}", entry.corp_code) and entry.corp_name.strip()
        assert entry.stock_code is None or entry.stock_code == entry.stock_code.strip()
    if junk is None:
        valid = [
            i for i in items if re.fullmatch(r"\d{8}", i[0].strip()) and " ".join(i[1].split())
        ]
        assert len(got) == len(valid)


def test_corpcode_entity_expansion_and_zip_bomb_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><result>&b;</result>'
    )
    with pytest.raises(errors.BadPayload, match="DTD"):
        parse_corp_codes(_zip({"CORPCODE.xml": laughs}))
    bomb = _zip({"CORPCODE.xml": b"<result>" + b" " * 30_000_000 + b"</result>"})
    assert len(bomb) < 100_000
    with pytest.raises(errors.BadPayload, match="bytes"):
        parse_corp_codes(bomb, max_bytes=1_000_000)


# ----------------------------------------------------------------------------- document.xml
def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


member_names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
members = st.dictionaries(
    st.one_of(
        st.sampled_from(["20260115000001.xml", "20260115000001_00760.xml", "a/"]), member_names
    ),
    st.one_of(
        st.binary(max_size=300),
        st.tuples(texts, st.sampled_from(["utf-8", "cp949", "utf-16", "latin-1"])).map(
            lambda t: _encode(f"<?xml version='1.0'?><DOCUMENT><P>{t[0]}</P></DOCUMENT>", t[1])
        ),
    ),
    max_size=4,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        members.map(_zip),
        st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=200),
    )
)
def test_document_bodies_give_text_or_a_typed_error(body: bytes) -> None:
    try:
        doc = parse_document(body, "20260115000001", max_bytes=50_000, max_chars=5_000)
    except errors.DartError as exc:
        assert str(exc).startswith("document.xml: ") or "OpenDART" in str(exc), exc
        return
    assert isinstance(doc.text, str) and len(doc.text) <= 5_000
    assert doc.size_bytes == len(body) and doc.members


CRAFTED_PIECES = [
    "<",
    "<script",
    "<style>",
    "<!--",
    "<p a='",
    "&",
    "&#",
    "<![CDATA[",
    "</",
    "<!DOCTYPE x [<!ENTITY a 'AAAA'>]>",
    "&a;",
    "<TD>",
    ">",
    "텍스트",
    "\x00",
    "<?",
]


@pytest.mark.timeout(120)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CRAFTED_PIECES), min_size=1, max_size=6), st.integers(1, 20_000))
def test_unclosed_markup_gives_bounded_text_quickly(pieces: list[str], repeat: int) -> None:
    """Unclosed markup repeated up to ~200 KB: the old regexes took minutes on such
    bodies (each unclosed "<" scanned to the end); the parser is linear."""
    markup = "".join(pieces) * repeat
    text = document_text(markup, 5_000)
    assert len(text) <= 5_000
    assert "AAAA" not in text  # an entity declared in a DTD is never expanded
    doc = parse_document(_zip({"20260115000001.xml": markup.encode("utf-8", "replace")}),
                         "20260115000001", max_bytes=1_000_000, max_chars=5_000)  # fmt: skip
    assert len(doc.text) <= 5_000


@pytest.mark.timeout(120)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from([*HOSTILE, "[기재정정]", "[발행조건확정]"]), min_size=1, max_size=4)
)
def test_megabyte_titles_are_capped_and_matched(pieces: list[str]) -> None:
    unit = "".join(pieces)
    assume(unit.strip())
    huge = unit * (1_000_000 // len(unit) + 1)
    page = {
        "status": "000",
        "message": "정상",
        "page_no": 1,
        "page_count": 100,
        "total_count": 1,
        "total_page": 1,
        "list": [
            {
                "corp_code": "00266961",
                "corp_name": huge,
                "report_nm": huge,
                "rcept_no": "20260115000001",
                "flr_nm": huge,
                "rcept_dt": "20260115",
            }
        ],
    }
    parsed = parse_list_page(json.dumps(page).encode())
    if not parsed.rows:  # a title of whitespace only is rejected with its field
        assert "report_nm" in parsed.rejected[0].reason or "corp_name" in parsed.rejected[0].reason
        return
    (row,) = parsed.rows
    assert len(row.report_nm) <= REPORT_NM_MAX_CHARS and "\n" not in row.report_nm
    assert row.flr_nm is None or (len(row.flr_nm) <= FLR_NM_MAX_CHARS and "\n" not in row.flr_nm)
    match_filing(row, TL)
    stored = FilingInput("20260115000001", "00266961", "x", huge, "20260115", None, "f")
    match_filing(stored, TL)  # a long title already stored is matched in linear time too


_DTD_BODIES = [
    '<!DOCTYPE result [<!ENTITY a "AAAA">]><result><list><corp_code>00266961</corp_code>'
    "<corp_name>&a;</corp_name></list></result>",
    '<!DOCTYPE result [<!ENTITY % p "x">]><result/>',
    '<!DOCTYPE result SYSTEM "http://127.0.0.1:1/x.dtd"><result/>',
    '<!DOCTYPE result [<!ENTITY e SYSTEM "file:///etc/passwd">]><result>&e;</result>',
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_DTD_BODIES),
    st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-8", "utf-8-sig"]),
    st.booleans(),
)
def test_corpcode_with_a_dtd_is_refused_in_any_encoding(
    body: str, encoding: str, declare: bool
) -> None:
    declared = encoding.upper().replace("-LE", "").replace("-BE", "").replace("-SIG", "")
    xml = (f'<?xml version="1.0" encoding="{declared}"?>' if declare else "") + body
    data = xml.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + xml).encode(encoding)  # a BOM, as a real UTF-16 file has
    with pytest.raises(errors.BadPayload):
        parse_corp_codes(_zip({"CORPCODE.xml": data}))


# ----------------------------------------------------------------------------- report_nm
class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


TL = bundled_timeline()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, texts, texts, st.sampled_from(["ko", "en"]))
def test_report_names_render_safely_everywhere(
    title: str, corp_name: str, filer: str, lang: str
) -> None:
    """Whatever a title, company or filer name holds, the Telegram HTML passes
    Telegram's own parser (no 400 "can't parse entities") within 4,096 UTF-16 units,
    shows the text literally, and the notifier HTML carries no tag or attribute the
    input put there."""
    filing = FilingInput("20260115000001", "00266961", corp_name or "x", title, "20260115",
                         "035420", filer)  # fmt: skip
    alert = alert_from_match(filing, match_filing(filing, TL), None)
    text, _ = format_alert_html(alert, lang)
    shown, _ = parse_html(text)  # raises like Telegram on bad markup
    assert utf16_len(shown) <= MAX_CHARS
    if utf16_len(alert.report_nm) < 300 and alert.report_nm.strip():
        assert " ".join(alert.report_nm.split()) in " ".join(shown.split())
    tags = _Tags()
    tags.feed(alert_html(alert, lang))
    baseline = _Tags()
    baseline.feed(alert_html(alert_from_match(FilingInput(
        "20260115000001", "00266961", "x", "t", "20260115", "035420", "f"), match_filing(
        FilingInput("20260115000001", "00266961", "x", "t", "20260115", "035420", "f"), TL),
        None), lang))  # fmt: skip
    assert "script" not in tags.tags
    assert tags.tags <= baseline.tags | {"b", "i", "br", "a", "p", "div", "span", "ul", "li"}
    assert not {a for a in tags.attrs if a.startswith("on")}


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r", "＝", " ="]
DIGEST = digest_inputs()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FORMULA_STARTS), texts, texts, st.sampled_from(["report_nm", "flr_nm",
       "corp_name", "team"]))  # fmt: skip
def test_digest_cells_never_start_a_formula_and_markdown_stays_inline(
    start: str, rest: str, filer: str, field: str
) -> None:
    value = start + rest
    alerts = [dataclasses.replace(DIGEST["alerts"][0], **{field: value, "flr_nm": filer + "\n# x"}),
              *DIGEST["alerts"][1:]]  # fmt: skip
    digest = build_digest(
        DIGEST["day"],
        alerts,
        DIGEST["trend_counts"],
        DIGEST["timeline_box"],
        DIGEST["lang"],
        companies=DIGEST["companies"],
        markers=DIGEST["markers"],
    )
    for row in csv.reader(io.StringIO(render(digest, "csv"))):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    markdown = render(digest, "md")
    assert "\n# x" not in markdown


# ----------------------------------------------------------------------------- timeline
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if value == value and abs(value) != float("inf") else "nan"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return '""'


timeline_values = st.one_of(
    scalars,
    st.sampled_from(["2026-01-15", "2026-13", "2026-02-30", "2026-07", "all", "confirmed",
                     "planned", "lg", "skt", "upstage", "call_open", "00120021", "035420"]),
    st.lists(st.sampled_from(["all", "lg", "skt", "nope", ""]), max_size=3),
    st.dictionaries(st.sampled_from(["ko", "en", "x"]), texts, max_size=2),
)  # fmt: skip
table_keys = st.sampled_from(
    ["id", "date", "end", "kind", "title_ko", "title_en", "teams", "status", "sources", "key",
     "name_ko", "name_en", "team", "from", "to", "companies", "models", "start", "reason_ko"]
)  # fmt: skip
tables = st.dictionaries(table_keys, timeline_values, max_size=7)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.dictionaries(
        st.sampled_from(["milestones", "phases", "teams", "status_changes"]),
        st.lists(tables, max_size=3),
        max_size=3,
    ),
    st.one_of(st.none(), st.integers(-1, 3), texts),
    st.one_of(st.none(), st.binary(max_size=40)),
)
def test_timeline_files_load_or_list_every_problem(
    arrays: dict[str, list[dict[str, Any]]], schema: Any, garbage: bytes | None
) -> None:
    lines = [] if schema is None else [f"schema = {_toml(schema)}"]
    for name, items in arrays.items():
        for item in items:
            lines.append(f"[[{name}]]")
            lines.extend(f"{json.dumps(k)} = {_toml(v)}" for k, v in item.items())
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + (garbage or b"")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "timeline.toml"
        path.write_bytes(data)
        try:
            timeline = load_timeline(path)
        except TimelineError as exc:
            assert exc.errors and all(e and "\n" not in e for e in exc.errors), exc.errors
            assert str(exc).startswith(str(path))
            return
    assert timeline.milestones  # merged over the bundled timeline


# ----------------------------------------------------------------------------- Telegram
def _message(text: str, offset: int, length: int, kind: str) -> Message:
    entities = [MessageEntity(kind, offset, length)] if length >= 0 else []
    return Message(
        1,
        date(2026, 1, 15),
        Chat(1, "private"),
        text=text,
        entities=entities,  # type: ignore[arg-type]
    )


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(texts, st.text(alphabet="/@ abcAB_0가나", max_size=30), st.just("/" + "x" * 5000)),
    st.integers(-2, 40),
    st.integers(-1, 40),
    st.sampled_from(["bot_command", "mention", "bold", "url"]),
)
def test_command_text_parses_or_is_ignored(text: str, offset: int, length: int, kind: str) -> None:
    parsed = parse_command(_message(text, offset, length, kind))
    if parsed is not None:
        command, target, argument = parsed
        assert command == command.lower() and command and " " not in command
        assert target is None or isinstance(target, str)
        assert argument == argument.strip()


NAME_PIECES = [
    "네이버",
    "SK",
    "LG",
    "all",
    ",",
    " ",
    "SK Telecom",
    "035420",
    "0012002",
    "엔씨",
    "전체",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        texts,
        st.lists(st.sampled_from(NAME_PIECES), max_size=8).map(" ".join),
        st.just("네이버 " * 2000),
    )
)
def test_company_names_resolve_or_explain(arguments: str) -> None:
    parsed = split_names(arguments, COMPANIES)
    for found in parsed.found:
        assert found.query.strip()
        assert found.company is None or found.company in COMPANIES


class _StubApplication:
    bot = None

    def __init__(self) -> None:
        self.update_queue: asyncio.Queue[Any] = asyncio.Queue()


update_payloads = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(["update_id", "message", "text", "chat", "id", "type", "from",
                             "date", "entities", "callback_query", "data", "edited_message",
                             "message_id", "offset", "length", "is_bot", "first_name"]),
            children,
            max_size=6,
        ),
    ),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(update_payloads.map(lambda p: json.dumps(p).encode()), st.binary(max_size=100)))
def test_webhook_updates_are_queued_or_refused(body: bytes) -> None:
    """Whatever is POSTed to the Telegram webhook receiver (with the right secret): 200
    with a queued update, or 400, never a crash."""
    app = _StubApplication()
    hook = WebhookApp(app, "s3cret")  # type: ignore[arg-type]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"x-telegram-bot-api-secret-token", b"s3cret")],
    }
    asyncio.run(hook(scope, receive, send))
    status = sent[0]["status"]
    assert status in (200, 400)
    assert (status == 200) == (app.update_queue.qsize() == 1)


secret_headers = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=20).map(lambda s: s.encode("utf-8")),
    st.text(alphabet="s3cret\u00e9\u00ff\ud55c", max_size=8).map(
        lambda s: s.encode("utf-8", "surrogatepass")
    ),
    st.sampled_from([b"s3cret ", b" s3cret", b"S3CRET", b"s3cre", b"s3cret\x00", b"s3cr\xe9t"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(secret_headers, max_size=2))
def test_webhook_secret_header_is_exact_or_refused(values: list[bytes]) -> None:
    """Any X-Telegram-Bot-Api-Secret-Token (absent, binary, non-ASCII, repeated): 403
    with nothing queued unless it is exactly the secret once, never a 500."""
    app = _StubApplication()
    hook = WebhookApp(app, "s3cret")  # type: ignore[arg-type]
    sent: list[dict[str, Any]] = []
    body = json.dumps({"update_id": 1}).encode()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"x-telegram-bot-api-secret-token", v) for v in values]
    scope = {"type": "http", "method": "POST", "headers": headers}
    asyncio.run(hook(scope, receive, send))
    exact = values == [b"s3cret"]
    assert sent[0]["status"] == (200 if exact else 403)
    assert app.update_queue.qsize() == (1 if exact else 0)


COMMAND_NAMES = ["start", "help", "subscribe", "unsubscribe", "list", "companies", "timeline",
                 "latest", "filter", "quiet", "digest", "lang", "stats", "broadcast", "nope",
                 "SUBSCRIBE", "quiet@dartwatch_test_bot", "help@other_bot"]  # fmt: skip


def _fuzz_texts(seed: int, n: int) -> list[str]:
    import random

    rng = random.Random(seed)
    pieces = [
        *HOSTILE,
        *NAME_PIECES,
        "22-07",
        "off",
        "on",
        "ai",
        "en",
        "ko",
        "25-99",
        "-",
        "x" * 300,
    ]
    out = []
    for _ in range(n):
        args = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))
        if rng.random() < 0.15:
            out.append(args or "hello")  # not a command
        else:
            out.append(f"/{rng.choice(COMMAND_NAMES)} {args}".strip())
    return out


async def test_fuzzed_commands_against_the_running_bot(
    sqlite_db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """60 generated messages (every command, hostile and oversized arguments, plain text)
    sent through the fake Bot API to the real bot: every reply is valid for Telegram
    (none refused with 400), no handler fails, and the bot still answers afterwards."""
    import logging

    from testkit.telegram import running_bot

    caplog.set_level(logging.INFO)
    chat = 7777
    async with running_bot(sqlite_db) as env:
        fuzz = _fuzz_texts(8, 60)
        for text in fuzz:
            env.api.private_text(chat, text)
        env.api.private_text(chat, "/sentinel_end")  # answered last: updates run in order
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            msgs = env.api.sent_messages(chat)
            if msgs and "/sentinel_end" in msgs[-1].text:
                break
            assert asyncio.get_running_loop().time() < deadline, "the bot stopped answering"
            await asyncio.sleep(0.05)
        calls = [c for c in env.api.calls("sendMessage") if str(c.get("chat_id")) == str(chat)]
        assert len(calls) == len(msgs), "Telegram refused a reply"
        addressed = [t for t in fuzz if "@other_bot" not in t.split(" ")[0]]
        assert len(msgs) - 1 >= len(addressed), "a message went unanswered"
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, failures
