"""Filing bodies as tables of cell texts, and label-driven lookups over them.

DART documents (DART-XML with ``TABLE/TR/TD/TU/TE`` and the viewer's HTML) are read
with lxml's forgiving HTML parser: real files carry raw ``&``, EUC-KR bytes under a
UTF-8 declaration and unclosed tags, and one bad byte must not lose the table. Labels
drift between form families and years (``계약금액(원)`` / ``계약금액 총액(원)``,
``계약(수주)일자`` / ``계약(수주)일``), so lookups match normalised label text against
patterns, never fixed positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from monitor.dart.parsing import decode_document

CELL_TAGS = frozenset({"td", "th", "tu", "te"})
MAX_MARKUP_CHARS = 4_000_000
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_NUMBERING = re.compile(r"^(?:\(?\d{1,2}[.)]|[가-하][.)]|[-ㆍ·○□■▶※])\s*")

Row = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Body:
    """The tables of a filing: ``rows`` of the main content (correction tables left
    out) and ``corrections`` (the 정정사항 tables: item, before, after)."""

    rows: tuple[Row, ...]
    corrections: tuple[tuple[str, str, str], ...] = ()
    text: str = ""


def norm(cell: str) -> str:
    """Label text for matching: no spaces, one middle dot, no full-width brackets."""
    text = "".join(cell.split())
    return text.replace("·", "ㆍ").replace("（", "(").replace("）", ")")


def bare(cell: str) -> str:
    """:func:`norm` without leading numbering (``3.``, ``-``, ``가.``)."""
    text = norm(cell)
    while True:
        stripped = _NUMBERING.sub("", text, count=1)
        if stripped == text:
            return text
        text = stripped


def is_sub_item(cell: str) -> bool:
    """A label under another one (``-최근 매출액(원)`` under ``3. 계약상대방``)."""
    return norm(cell).startswith(("-", "ㆍ", "·", "○"))


def _cell_text(element: etree._Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _decode(markup: str | bytes) -> str:
    if isinstance(markup, bytes | bytearray):
        markup = decode_document(bytes(markup))
    return _XML_DECL.sub("", markup[:MAX_MARKUP_CHARS])


def _rows_of(table: etree._Element) -> list[Row]:
    rows: list[Row] = []
    for tr in table.iter("tr"):
        # Rows of nested tables are read with their own table.
        if next((a for a in tr.iterancestors("table")), None) is not table:
            continue
        cells = tuple(_cell_text(c) for c in tr if isinstance(c.tag, str) and c.tag in CELL_TAGS)
        if any(cells):
            rows.append(cells)
    return rows


def _correction_table(rows: Sequence[Row]) -> bool:
    for row in rows[:3]:
        joined = "".join(norm(c) for c in row)
        if "정정전" in joined and "정정후" in joined:
            return True
    return False


def _correction_items(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    header: Row | None = None
    items: list[tuple[str, str, str]] = []
    for row in rows:
        names = [norm(c) for c in row]
        if header is None:
            if "정정전" in names and "정정후" in names:
                header = row
            continue
        try:
            before_at = [norm(c) for c in header].index("정정전")
            after_at = [norm(c) for c in header].index("정정후")
        except ValueError:
            break
        # Rowspans shorten rows: align from the right, where before/after sit.
        shift = len(header) - len(row)
        b, a = before_at - shift, after_at - shift
        if b < 0 or a >= len(row) or a < 0:
            continue
        item = row[0] if b > 0 else ""
        items.append((item, row[b], row[a]))
    return items


def parse_body(markup: str | bytes) -> Body:
    """Tables of *markup*; a document without tables gives an empty :class:`Body`."""
    text = _decode(markup)
    if not text.strip():
        return Body(())
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return Body(())
    rows: list[Row] = []
    corrections: list[tuple[str, str, str]] = []
    for table in root.iter("table"):
        table_rows = _rows_of(table)
        if _correction_table(table_rows):
            corrections.extend(_correction_items(table_rows))
        else:
            rows.extend(table_rows)
    plain = " ".join(" ".join(root.itertext()).split())
    return Body(tuple(rows), tuple(corrections), plain)


@dataclass(frozen=True, slots=True)
class Hit:
    index: int  # row index
    column: int  # cell index of the label
    label: str
    value: str | None  # the first non-empty cell after the label


def _value_after(row: Row, column: int) -> str | None:
    for cell in row[column + 1 :]:
        if cell.strip():
            return cell
    return None


def hits(
    rows: Sequence[Row],
    pattern: re.Pattern[str],
    *,
    start: int = 0,
    stop: int | None = None,
    sub_items: bool = True,
) -> Iterator[Hit]:
    """Every label cell matching *pattern* (on :func:`bare` text) in ``rows[start:stop]``;
    ``sub_items=False`` skips ``-``-prefixed labels (sub-items of another party)."""
    end = len(rows) if stop is None else min(stop, len(rows))
    for i in range(max(start, 0), end):
        row = rows[i]
        for j, cell in enumerate(row):
            if not cell or len(cell) > 80:
                continue
            if not sub_items and is_sub_item(cell):
                continue
            if pattern.search(bare(cell)):
                yield Hit(i, j, cell, _value_after(row, j))


def first(
    rows: Sequence[Row],
    pattern: re.Pattern[str],
    *,
    start: int = 0,
    stop: int | None = None,
    sub_items: bool = True,
    accept: re.Pattern[str] | None = None,
) -> Hit | None:
    """The first hit with a value (matching *accept* when given)."""
    for hit in hits(rows, pattern, start=start, stop=stop, sub_items=sub_items):
        if hit.value is None:
            continue
        if accept is not None and not accept.search(hit.value):
            continue
        return hit
    return None


def sub_value(rows: Sequence[Row], hit: Hit, sub: re.Pattern[str], *, span: int = 3) -> str | None:
    """The value of a sub-label (``보통주식``) in the rows of a labelled block: the same
    row after the label, or the next *span* rows (rowspans leave the label cell out)."""
    for i in range(hit.index, min(hit.index + span, len(rows))):
        row = rows[i]
        first_col = hit.column + 1 if i == hit.index else 0
        for j in range(first_col, len(row)):
            if sub.search(bare(row[j])):
                return _value_after(row, j)
    return None


def row_values(row: Row, after: int) -> list[str]:
    """The cells after column *after* (values of a figures row)."""
    return [c.strip() for c in row[after + 1 :]]
