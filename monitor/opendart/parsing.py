"""Pure parsers for OpenDART answers: bytes in, validated values (or typed errors) out.

No I/O here, so every oddity seen in the wild (integer paging fields, ``stock_code``
of one space, trailing spaces in ``report_nm``, EUC-KR documents declared as UTF-8,
XML error bodies where a ZIP was expected) is tested without a network.

Every answer is untrusted text, so every parser here is linear in its input: XML goes
through ``defusedxml`` (no DTD, hence no entity expansion, whatever the encoding),
document markup through lxml's HTML parser in recover mode (no backtracking regex
over markup), text fields are length-capped and have their whitespace collapsed (a
newline in a filer name must not become a Markdown heading downstream). See
docs/untrusted-input.md.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from lxml import etree
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from monitor.opendart.errors import (
    NO_DATA_STATUS,
    BadPayload,
    DartStatusError,
    TransientDartError,
    error_for_status,
    safe_text,
)

ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"

# Real titles stay under 150 characters and filer names under 60; the caps keep a
# crafted megabyte title from reaching the matcher, the database and the alerts.
REPORT_NM_MAX_CHARS = 300
FLR_NM_MAX_CHARS = 120
NAME_MAX_CHARS = 200


def clean_text(value: str, max_chars: int | None = None) -> str:
    """*value* on one line (every run of whitespace, newlines included, one space),
    cut to *max_chars* with an ellipsis."""
    value = " ".join(value.split())
    if max_chars is not None and len(value) > max_chars:
        value = value[: max_chars - 1].rstrip() + "…"
    return value


# ----------------------------------------------------------------------------- list.json
class FilingRow(BaseModel):
    """One ``list[]`` entry of list.json, validated. Field names are OpenDART's."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    corp_code: str
    corp_name: str
    stock_code: str | None = None
    corp_cls: str | None = None
    report_nm: str
    rcept_no: str
    flr_nm: str | None = None
    rcept_dt: str
    rm: str = ""

    @field_validator("corp_code")
    @classmethod
    def _corp_code(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"\d{8}", value):
            raise ValueError("must be 8 digits")
        return value

    @field_validator("rcept_no")
    @classmethod
    def _rcept_no(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"\d{14}", value):
            raise ValueError("must be 14 digits")
        return value

    @field_validator("rcept_dt")
    @classmethod
    def _rcept_dt(cls, value: str) -> str:
        value = value.strip()
        try:
            datetime.strptime(value, "%Y%m%d")
        except ValueError:
            raise ValueError("must be a date YYYYMMDD") from None
        return value

    @field_validator("corp_name", "report_nm")
    @classmethod
    def _required_text(cls, value: str, info: ValidationInfo) -> str:
        # Trailing spaces occur in real report_nm values; they are not part of the name.
        cap = REPORT_NM_MAX_CHARS if info.field_name == "report_nm" else NAME_MAX_CHARS
        value = clean_text(value, cap)
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("stock_code", "corp_cls", "flr_nm")
    @classmethod
    def _optional_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = clean_text(value, FLR_NM_MAX_CHARS)
        return value or None

    @field_validator("stock_code")
    @classmethod
    def _stock_code(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9A-Z]{6}", value):
            raise ValueError("must be 6 characters")
        return value

    @field_validator("rm")
    @classmethod
    def _rm(cls, value: str) -> str:
        return clean_text(value, NAME_MAX_CHARS)

    @property
    def receipt_date(self) -> date:
        return datetime.strptime(self.rcept_dt, "%Y%m%d").date()


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that failed validation, and why (field names included)."""

    index: int
    reason: str
    rcept_no: str | None = None


@dataclass(frozen=True, slots=True)
class ListPage:
    page_no: int
    page_count: int
    total_count: int
    total_page: int
    rows: tuple[FilingRow, ...] = ()
    rejected: tuple[RejectedRow, ...] = ()

    @property
    def empty(self) -> bool:
        return self.total_count == 0


EMPTY_PAGE = ListPage(page_no=1, page_count=0, total_count=0, total_page=0)


class _PageHeader(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page_no: int
    page_count: int
    total_count: int
    total_page: int


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "?"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def decode_json(body: bytes, endpoint: str) -> dict[str, Any]:
    """The JSON object in *body*; an HTML page or broken JSON is a transient failure
    (gateways answer with HTML; cut connections leave truncated JSON)."""
    if _looks_like_html(body):
        raise TransientDartError(f"{endpoint}: an HTML page instead of JSON (gateway error?)")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TransientDartError(
            f"{endpoint}: malformed JSON ({exc.__class__.__name__} at {len(body)} bytes)"
        ) from None
    if not isinstance(data, dict):
        raise BadPayload(f"{endpoint}: expected a JSON object, got {type(data).__name__}")
    return data


def check_status(data: dict[str, Any], endpoint: str) -> str:
    """Raise the typed error for an error status; return the status (000 or 013)."""
    status = data.get("status")
    if not isinstance(status, str):
        raise BadPayload(f"{endpoint}: field 'status' missing or not a string")
    message = data.get("message")
    message = message if isinstance(message, str) else ""
    if status in ("000", NO_DATA_STATUS):
        return status
    raise error_for_status(status, message, endpoint=endpoint)


def parse_list_page(body: bytes) -> ListPage:
    """One page of list.json. 013 is an empty page; bad rows are rejected one by one
    (with a reason); a page whose frame is broken raises :class:`BadPayload`."""
    data = decode_json(body, "list.json")
    if check_status(data, "list.json") == NO_DATA_STATUS:
        return EMPTY_PAGE
    try:
        header = _PageHeader.model_validate(data)
    except ValidationError as exc:
        raise BadPayload(f"list.json: bad paging fields ({_describe(exc)})") from None
    raw_rows = data.get("list")
    if not isinstance(raw_rows, list):
        raise BadPayload("list.json: field 'list' missing or not a list")
    rows: list[FilingRow] = []
    rejected: list[RejectedRow] = []
    for index, raw in enumerate(raw_rows):
        rcept_no = raw.get("rcept_no") if isinstance(raw, dict) else None
        label = rcept_no if isinstance(rcept_no, str) else None
        if not isinstance(raw, dict):
            rejected.append(RejectedRow(index, f"row is a {type(raw).__name__}, not an object"))
            continue
        try:
            rows.append(FilingRow.model_validate(raw))
        except ValidationError as exc:
            rejected.append(RejectedRow(index, safe_text(_describe(exc)), label))
    return ListPage(
        page_no=header.page_no,
        page_count=header.page_count,
        total_count=header.total_count,
        total_page=header.total_page,
        rows=tuple(rows),
        rejected=tuple(rejected),
    )


# ----------------------------------------------------------------------------- company.json
class CompanyInfo(BaseModel):
    """company.json (기업개황). Only the fields dartwatch uses are required."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    corp_code: str
    corp_name: str
    corp_name_eng: str | None = None
    stock_name: str | None = None
    stock_code: str | None = None
    corp_cls: str | None = None
    ceo_nm: str | None = None
    hm_url: str | None = None
    induty_code: str | None = None
    est_dt: str | None = None
    acc_mt: str | None = None

    @field_validator("stock_code", "corp_name_eng", "stock_name", "corp_cls", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        return clean_text(value, NAME_MAX_CHARS) if isinstance(value, str) else value


def parse_company(body: bytes) -> CompanyInfo | None:
    """company.json; ``None`` for 013 (no such company)."""
    data = decode_json(body, "company.json")
    if check_status(data, "company.json") == NO_DATA_STATUS:
        return None
    try:
        return CompanyInfo.model_validate(data)
    except ValidationError as exc:
        raise BadPayload(f"company.json: {_describe(exc)}") from None


# ----------------------------------------------------------------------------- ZIP endpoints
def parse_status_xml(body: bytes, endpoint: str) -> DartStatusError | None:
    """The error an XML ``<result><status>`` body carries (ZIP endpoints answer errors
    this way, with HTTP 200); ``None`` when the body is not such a document."""
    head = body[:200].lstrip()
    if not head.startswith(b"<"):
        return None
    try:
        root = SafeElementTree.fromstring(body[:65536], forbid_dtd=True)
    except (SafeElementTree.ParseError, DefusedXmlException):
        return None
    if root.tag != "result":
        return None
    status = (root.findtext("status") or "").strip()
    if not status or status == "000":
        return None
    message = (root.findtext("message") or "").strip()
    return error_for_status(status, message, endpoint=endpoint)


def open_zip(body: bytes, endpoint: str) -> zipfile.ZipFile:
    """Check the ZIP magic before unzipping: error bodies arrive as XML, and gateways
    answer HTML. An XML status becomes its typed error."""
    if not body.startswith(ZIP_MAGIC):
        error = parse_status_xml(body, endpoint)
        if error is not None:
            raise error
        if _looks_like_html(body):
            raise TransientDartError(f"{endpoint}: an HTML page instead of a ZIP")
        if body.startswith(_EMPTY_ZIP_MAGIC):
            raise BadPayload(f"{endpoint}: an empty ZIP archive")
        raise BadPayload(f"{endpoint}: not a ZIP archive ({len(body)} bytes)")
    try:
        return zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BadPayload(f"{endpoint}: corrupt ZIP archive ({exc.__class__.__name__})") from None


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, endpoint: str
) -> bytes:
    # The declared size can lie; read at most limit+1 bytes so a ZIP bomb stops early.
    if info.file_size > limit:
        raise BadPayload(f"{endpoint}: member {info.filename!r} is {info.file_size} bytes")
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise BadPayload(
            f"{endpoint}: cannot read {info.filename!r} ({exc.__class__.__name__})"
        ) from None
    if len(data) > limit:
        raise BadPayload(f"{endpoint}: member {info.filename!r} is larger than {limit} bytes")
    return data


@dataclass(frozen=True, slots=True)
class CorpCodeEntry:
    corp_code: str
    corp_name: str
    corp_eng_name: str | None
    stock_code: str | None
    modify_date: str | None


CORPCODE_MAX_BYTES = 200_000_000


def parse_corp_codes(body: bytes, *, max_bytes: int = CORPCODE_MAX_BYTES) -> list[CorpCodeEntry]:
    """corpCode.xml: a ZIP holding CORPCODE.xml, with or without ``corp_eng_name``.
    ``stock_code`` of one space means unlisted (``None``). Entries without a valid
    8-digit code or a name are skipped."""
    archive = open_zip(body, "corpCode.xml")
    members = [i for i in archive.infolist() if i.filename.lower().endswith(".xml")]
    if not members:
        raise BadPayload("corpCode.xml: the ZIP holds no XML file")
    data = _read_member(archive, members[0], max_bytes, "corpCode.xml")
    entries: list[CorpCodeEntry] = []
    try:
        # The parser sees the DTD after decoding (UTF-16 too), and refuses it.
        for _event, element in SafeElementTree.iterparse(io.BytesIO(data), forbid_dtd=True):
            if element.tag != "list":
                continue
            code = (element.findtext("corp_code") or "").strip()
            name = clean_text(element.findtext("corp_name") or "", NAME_MAX_CHARS)
            if re.fullmatch(r"\d{8}", code) and name:
                eng = clean_text(element.findtext("corp_eng_name") or "", NAME_MAX_CHARS) or None
                stock = (element.findtext("stock_code") or "").strip() or None
                modified = (element.findtext("modify_date") or "").strip() or None
                entries.append(CorpCodeEntry(code, name, eng, stock, modified))
            element.clear()
    except DefusedXmlException:
        raise BadPayload("corpCode.xml: a DTD/entity declaration (refused)") from None
    except SafeElementTree.ParseError as exc:
        raise BadPayload(f"corpCode.xml: malformed XML ({exc})") from None
    return entries


# ----------------------------------------------------------------------------- DS004 / DS005
def parse_rows(body: bytes, endpoint: str) -> list[dict[str, str]]:
    """The ``list[]`` of a structured endpoint (DS005 major events, DS004 ownership):
    rows of strings as sent, non-string values dropped; 013 is an empty list."""
    data = decode_json(body, endpoint)
    if check_status(data, endpoint) == NO_DATA_STATUS:
        return []
    raw = data.get("list")
    if not isinstance(raw, list):
        raise BadPayload(f"{endpoint}: field 'list' missing or not a list")
    rows: list[dict[str, str]] = []
    for item in raw:
        if isinstance(item, dict):
            rows.append({str(k): v for k, v in item.items() if isinstance(v, str)})
    return rows


# ----------------------------------------------------------------------------- document.xml


def decode_document(data: bytes) -> str:
    """Decode defensively: UTF-8 (as declared), then CP949 (a superset of EUC-KR, seen in
    real files despite the declaration), then UTF-8 with replacement characters."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp949", "euc-kr"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def document_text(markup: str, max_chars: int) -> str:
    """Plain text of DART XML: tags out, entities unescaped, whitespace collapsed.

    DART documents are XML in name only (unescaped ``&``, unclosed tags), so they go
    through libxml2's HTML parser in recover mode: linear in the input whatever it
    holds (unclosed ``<``, ``<script`` without an end, a DTD, which it never reads, so
    no entity is expanded). Every element boundary becomes a space, as a reader sees
    table cells, so text of adjacent cells never runs together.
    """
    if not markup.strip():
        return ""
    parser = etree.HTMLParser(
        recover=True,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,  # lifts libxml2's 10 MB text-node limit, not a safety check
        default_doctype=False,
        collect_ids=False,
        encoding="utf-8",
    )
    try:
        root = etree.fromstring(markup.encode("utf-8", "replace"), parser)
    except etree.XMLSyntaxError:
        return ""
    if root is None:
        return ""
    etree.strip_elements(root, "script", "style", with_tail=False)
    text = " ".join(" ".join(root.itertext()).split())
    return text[:max_chars]


@dataclass(frozen=True, slots=True)
class DocumentText:
    rcept_no: str
    text: str
    size_bytes: int
    members: tuple[str, ...] = field(default_factory=tuple)
    truncated: bool = False
    # The main member's markup (capped): its tables are what facts are read from.
    markup: str = ""


DOCUMENT_MAX_CHARS = 200_000
# Markup read per document, over all its files. Real filings reach 200,000 characters
# of text well within it; it bounds the parse of a crafted 40 MB body.
DOCUMENT_MAX_MARKUP_CHARS = 4_000_000
# The hard limit on one document parse (in a worker process; at most half of
# DOCUMENT_TIMEOUT_SECONDS): beyond it the body is recorded as unparseable and never
# fetched again.
DOCUMENT_PARSE_SECONDS = 5.0


def parse_document(
    body: bytes, rcept_no: str, *, max_bytes: int, max_chars: int = DOCUMENT_MAX_CHARS
) -> DocumentText:
    """document.xml: the main ``{rcept_no}.xml`` first, then attachments, as text."""
    archive = open_zip(body, "document.xml")
    members = [i for i in archive.infolist() if not i.is_dir()]
    if not members:
        raise BadPayload("document.xml: the ZIP is empty")
    main = f"{rcept_no}.xml"
    members.sort(key=lambda i: (i.filename != main, i.filename))
    parts: list[str] = []
    budget = max_bytes
    markup_budget = DOCUMENT_MAX_MARKUP_CHARS
    chars = 0
    truncated = False
    markup = ""
    for info in members:
        if budget <= 0 or chars >= max_chars or markup_budget <= 0:
            truncated = True
            break
        if info.file_size > budget:
            truncated = True
            continue
        data = _read_member(archive, info, budget, "document.xml")
        budget -= len(data)
        decoded = decode_document(data)
        if len(decoded) > markup_budget:
            decoded, truncated = decoded[:markup_budget], True
        markup_budget -= len(decoded)
        if not markup:  # the main document's markup: what the facts parsers read
            markup = decoded
        text = document_text(decoded, max_chars - chars)
        if text:
            parts.append(text)
            chars += len(text) + 1
    joined = " ".join(parts)
    if len(joined) >= max_chars:
        truncated = True
    return DocumentText(
        rcept_no=rcept_no,
        text=joined[:max_chars],
        size_bytes=len(body),
        members=tuple(i.filename for i in members),
        truncated=truncated,
        markup=markup,
    )
