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
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from monitor.opendart.parsing import decode_document

CELL_TAGS = frozenset({"td", "th", "tu", "te"})
MAX_MARKUP_CHARS = 4_000_000
MAX_LABEL_CHARS = 80
# Disclosure forms are short tables (the longest, earnings, has about 20 rows); long
# tables are financial statements and lists in attachments. Reading only the first
# rows of a table keeps a 200 KB body fast without losing a form.
MAX_TABLE_ROWS = 150
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_NUMBERING = re.compile(r"^(?:(?:\(?\d{1,2}[.)]|[가-하][.)]|[-ㆍ·○□■▶※]))+")
_HANGUL = re.compile(r"[가-힣]")
_NORM = str.maketrans({"·": "ㆍ", "（": "(", "）": ")"})
# libxml2's HTML parser: recovers from what real filings contain (raw &, unclosed
# tags) and lower-cases DART-XML's TABLE/TR/TD/TU/TE.
_PARSER = etree.HTMLParser(recover=True, no_network=True, remove_comments=True)

Row = tuple[str, ...]


def norm(cell: str) -> str:
    """Label text for matching: no spaces, one middle dot, no full-width brackets."""
    return "".join(cell.split()).translate(_NORM)


def bare(cell: str) -> str:
    """:func:`norm` without leading numbering (``3.``, ``-``, ``가.``)."""
    return _NUMBERING.sub("", norm(cell), count=1)


_LEADING = re.compile(r"^\s*(?:(?:\(?\d{1,2}[.)]|[가-하][.)]|[-ㆍ·○□■▶※])\s*)+")


def clean_label(cell: str) -> str:
    """A label as shown to people: numbering and ``-`` markers removed, spaces kept."""
    return _LEADING.sub("", cell).strip() or cell.strip()


def is_sub_item(cell: str) -> bool:
    """A label under another one (``-최근 매출액(원)`` under ``3. 계약상대방``)."""
    return norm(cell).startswith(("-", "ㆍ", "○"))


@dataclass(frozen=True, slots=True)
class Body:
    """The tables of a filing: ``rows`` of the main content (correction tables left
    out), ``corrections`` (the 정정사항 tables: item, before, after), and an index of
    label cells so a lookup costs one regex pass, not one per cell."""

    rows: tuple[Row, ...]
    corrections: tuple[tuple[str, str, str], ...] = ()
    labels: str = ""  # distinct bare labels, one a line
    positions: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)


def _index(rows: Sequence[Row]) -> tuple[str, dict[str, tuple[tuple[int, int], ...]]]:
    where: dict[str, list[tuple[int, int]]] = {}
    seen: dict[str, str] = {}  # cell text -> bare label ("" when not a label)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            key = seen.get(cell)
            if key is None:
                label = len(cell) <= MAX_LABEL_CHARS and _HANGUL.search(cell) is not None
                key = seen[cell] = bare(cell) if label else ""
            if key:
                where.setdefault(key, []).append((i, j))
    where.pop("", None)
    return "\n".join(where), {k: tuple(v) for k, v in where.items()}


def make_body(rows: Sequence[Row], corrections: Sequence[tuple[str, str, str]] = ()) -> Body:
    labels, positions = _index(rows)
    return Body(tuple(rows), tuple(corrections), labels, positions)


_STRING = etree.XPath("string()")


def _cell_text(element: etree._Element) -> str:
    # Most cells are one text node: read it directly (XPath only for marked-up cells).
    text = element.text if len(element) == 0 else _STRING(element)
    return " ".join(text.split()) if text else ""


def _decode(markup: str | bytes) -> str:
    if isinstance(markup, bytes | bytearray):
        markup = decode_document(bytes(markup))
    return _XML_DECL.sub("", markup[:MAX_MARKUP_CHARS])


def _tables(root: etree._Element) -> list[list[Row]]:
    """Rows grouped by the table that holds them (a nested table's rows go to the
    nested table), in document order."""
    groups: dict[etree._Element, list[Row]] = {}
    for tr in root.iter("tr"):
        holder = tr.getparent()
        if holder is not None and holder.tag in ("tbody", "thead", "tfoot"):
            holder = holder.getparent()
        rows = groups.setdefault(holder, [])
        if len(rows) >= MAX_TABLE_ROWS:
            continue  # a statement or list in an attachment, not a disclosure form
        cells = tuple(_cell_text(c) for c in tr if c.tag in CELL_TAGS)
        if any(cells):
            rows.append(cells)
    return [rows for rows in groups.values() if rows]


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
        heads = [norm(c) for c in header]
        before_at, after_at = heads.index("정정전"), heads.index("정정후")
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
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return Body(())
    if root is None:
        return Body(())
    rows: list[Row] = []
    corrections: list[tuple[str, str, str]] = []
    for table_rows in _tables(root):
        if _correction_table(table_rows):
            corrections.extend(_correction_items(table_rows))
        else:
            rows.extend(table_rows)
    return make_body(rows, corrections)


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


@lru_cache(maxsize=512)
def _multiline(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(pattern.pattern, pattern.flags | re.MULTILINE)


def hits(
    body: Body,
    pattern: re.Pattern[str],
    *,
    start: int = 0,
    stop: int | None = None,
    sub_items: bool = True,
) -> Iterator[Hit]:
    """Every label cell matching *pattern* (on :func:`bare` text) in rows
    ``start:stop``, in document order; ``sub_items=False`` skips ``-``-prefixed labels
    (sub-items of another party)."""
    end = len(body.rows) if stop is None else min(stop, len(body.rows))
    found: list[tuple[int, int]] = []
    for m in _multiline(pattern).finditer(body.labels):
        line_start = body.labels.rfind("\n", 0, m.start()) + 1
        line_end = body.labels.find("\n", m.start())
        label = body.labels[line_start : line_end if line_end >= 0 else None]
        found.extend(body.positions.get(label, ()))
    for i, j in sorted(set(found)):
        if i < start or i >= end:
            continue
        cell = body.rows[i][j]
        if not sub_items and is_sub_item(cell):
            continue
        yield Hit(i, j, clean_label(cell), _value_after(body.rows[i], j))


def first(
    body: Body,
    pattern: re.Pattern[str],
    *,
    start: int = 0,
    stop: int | None = None,
    sub_items: bool = True,
    accept: re.Pattern[str] | None = None,
) -> Hit | None:
    """The first hit with a value (matching *accept* when given)."""
    for hit in hits(body, pattern, start=start, stop=stop, sub_items=sub_items):
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
