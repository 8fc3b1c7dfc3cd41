"""Digest downloads the desk adds to the digest's own formats: an xlsx workbook with
one sheet per section and real number cells, and a CSV that Korean Excel opens as
UTF-8 (with a byte-order mark). Text cells that a spreadsheet would read as a formula
(``=``, ``+``, ``-``, ``@``, tab, CR) get a leading apostrophe: a filing title is
someone else's text, never a formula to run."""

from __future__ import annotations

import csv
import io
from typing import Any

import xlsxwriter

from monitor.digest import Digest
from monitor.digest.render import filing_dict, render_csv

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_for_excel(digest: Digest) -> bytes:
    """The digest's CSV (same columns), neutralised, UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv.reader(io.StringIO(render_csv(digest))):
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


_FILING_COLUMNS = (
    ("rcept_no", 16),
    ("rcept_dt", 10),
    ("company", 18),
    ("report_nm", 48),
    ("flr_nm", 16),
    ("category_label", 16),
    ("relevance", 9),
    ("ai_related", 9),
    ("team_name", 18),
    ("amended", 8),
    ("withdrawn", 9),
    ("url", 40),
)


def _cell(sheet: Any, row: int, column: int, value: Any) -> None:
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    elif value is None:
        sheet.write_blank(row, column, None)
    else:
        # write_string, never write(): a text starting with '=' stays text.
        sheet.write_string(row, column, neutralise(str(value)))


def _filings_sheet(book: Any, name: str, digest: Digest, items: Any, bold: Any) -> None:
    sheet = book.add_worksheet(name)
    for c, (key, width) in enumerate(_FILING_COLUMNS):
        sheet.write_string(0, c, key, bold)
        sheet.set_column(c, c, width)
    for r, item in enumerate(items, start=1):
        data = filing_dict(digest, item)
        for c, (key, _) in enumerate(_FILING_COLUMNS):
            _cell(sheet, r, c, data.get(key))
    sheet.freeze_panes(1, 0)


def xlsx(digest: Digest) -> bytes:
    """Sheets: counts per company, AI-relevant, corrections and withdrawals, every
    filing, and the trend (filings per company per day)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    counts = book.add_worksheet("counts")
    header = ("corp_code", "company", "team", "filings", "ai_related", "corrections_withdrawals")
    for c, key in enumerate(header):
        counts.write_string(0, c, key, bold)
    for r, count in enumerate(digest.counts, start=1):
        values = (
            count.corp_code,
            count.company,
            count.team_name,
            count.filings,
            count.ai_related,
            count.changes,
        )
        for c, value in enumerate(values):
            _cell(counts, r, c, value)
    _filings_sheet(book, "ai_related", digest, digest.ai_items, bold)
    _filings_sheet(book, "corrections", digest, digest.changes, bold)
    _filings_sheet(book, "filings", digest, digest.items, bold)
    trend = book.add_worksheet("trend")
    trend.write_string(0, 0, "company", bold)
    for c, day in enumerate(digest.trend.days, start=1):
        trend.write_string(0, c, day.isoformat(), bold)
    for r, series in enumerate(digest.trend.series, start=1):
        _cell(trend, r, 0, series.company)
        for c, n in enumerate(series.counts, start=1):
            trend.write_number(r, c, n)
    book.close()
    return buffer.getvalue()
