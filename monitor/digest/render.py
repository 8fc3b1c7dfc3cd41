"""A :class:`~monitor.digest.builder.Digest` in every format: HTML (e-mail safe),
Markdown, plain text (with Telegram-sized parts), JSON (the contract for tools) and
CSV. HTML, Markdown and text come from the Jinja2 templates in ``templates/``; their
fixed texts from ``labels.toml``. Rendering is pure and reproducible.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from monitor.digest.builder import Digest, DigestItem
from monitor.digest.chart import build_chart, marker_row, sparkline
from monitor.digest.labels import Labels, bundled_labels
from monitor.kai.timeline.views import milestone_status_text
from notifiers.base import DigestMessage
from notifiers.formatting import markdown_inline
from notifiers.telegram_format import utf16_len

TEMPLATES = Path(__file__).with_name("templates")
FORMATS = ("html", "md", "text", "json", "csv")
JSON_SCHEMA = 1
#: Telegram's limit for one message, in UTF-16 code units
TELEGRAM_LIMIT = 4096
#: separates sections in the text template's output; never in real text
SECTION_BREAK = "\x1e"
CSV_COLUMNS = (
    "digest_date",
    "rcept_no",
    "rcept_dt",
    "first_seen_at",
    "corp_code",
    "corp_name",
    "stock_code",
    "team",
    "report_nm",
    "flr_nm",
    "category",
    "relevance",
    "ai_related",
    "correction",
    "amended",
    "withdrawn",
    "reasons",
    "url",
    "filed_at",
)


class RenderError(ValueError):
    """An unknown format was asked for."""


@lru_cache(maxsize=2)
def _env(html: bool) -> jinja2.Environment:
    # Text and Markdown are not HTML: they escape for their own syntax (md_escape).
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=html,  # noqa: S701
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


# --- helpers the templates call ------------------------------------------------------


def _helpers(digest: Digest, labels: Labels) -> dict[str, Any]:
    lang = digest.lang
    texts = labels.for_lang(lang)
    weekdays = texts["weekdays"].split(",")

    def t(key: str, **values: Any) -> str:
        text = texts[key]
        return text.format(**values) if values else text

    def day_text(day: date) -> str:
        return f"{day.isoformat()} ({weekdays[day.weekday()]})"

    def near_text(near: dict[str, Any]) -> str:
        approx = "~" if near.get("approximate") else ""
        if near.get("during"):
            return t("on_the_day") if near.get("offset_days") == 0 else t("under_way")
        if near.get("offset_days") == 0:
            return t("on_the_day")
        key = "day" if near.get("days") == 1 else "days"
        key += "_ago" if int(near.get("offset_days", 0)) < 0 else "_until"
        return t(key, n=f"{approx}{near.get('days')}")

    def covers() -> str:
        if digest.rolled_over:
            return t(
                "covers_span", start=day_text(digest.span_start), end=day_text(digest.span_end)
            )
        return t("covers_day", start=day_text(digest.span_start))

    def team_line(item_or_section: Any) -> str:
        team = item_or_section.team_name
        if not team:
            return t("no_team")
        role = item_or_section.role or ""
        return t("team_role", team=team, role=role) if role else team

    def flag_text(item: DigestItem) -> str:
        return ", ".join(t(f) for f in item.flags)

    def status_text(near: dict[str, Any]) -> str:
        return milestone_status_text(near, digest.lang)

    def phase_text(phase: dict[str, Any]) -> str:
        """ "2단계 개발 (2026-01-16..2026-07-31, 예정) — …", or for the stand-in after the
        last sourced phase only its title and status."""
        if phase.get("unknown"):
            return f"{phase['title']} [{phase['status_label']}]"
        days = t("day_of_phase", n=phase["day_of_phase"], left=phase["days_left"])
        return (
            f"{phase['title']} ({phase['start']}..{phase['end']}, {phase['status_label']}) — {days}"
        )

    return {
        "t": t,
        "day_text": day_text,
        "near_text": near_text,
        "covers": covers,
        "team_line": team_line,
        "flag_text": flag_text,
        "status_text": status_text,
        "phase_text": phase_text,
        "date_range": lambda text: text.replace("..", " … "),
    }


def _context(digest: Digest, labels: Labels) -> dict[str, Any]:
    helpers = _helpers(digest, labels)
    return {
        "d": digest,
        "box": digest.timeline,
        "subject": subject(digest, labels),
        "BREAK": SECTION_BREAK,
        **helpers,
    }


def subject(digest: Digest, labels: Labels | None = None) -> str:
    texts = (labels or bundled_labels()).for_lang(digest.lang)
    return texts["subject"].format(date=digest.day.isoformat(), n=digest.total, ai=digest.ai_total)


# --- formats -------------------------------------------------------------------------


def render_html(digest: Digest, labels: Labels | None = None) -> str:
    labels = labels or bundled_labels()
    context = _context(digest, labels)
    context["chart"] = build_chart(digest.trend, labels.chart)
    return _env(True).get_template("digest.html.j2").render(context)


def render_markdown(digest: Digest, labels: Labels | None = None) -> str:
    labels = labels or bundled_labels()
    context = _context(digest, labels)
    context["spark"] = lambda counts: sparkline(counts, digest.trend.max_per_day)
    context["md"] = md_escape
    return _env(False).get_template("digest.md.j2").render(context)


def text_sections(digest: Digest, labels: Labels | None = None) -> list[str]:
    """The plain-text digest as its sections (header, glance, timeline, one per company,
    trend, footer), each without surrounding blank lines."""
    labels = labels or bundled_labels()
    context = _context(digest, labels)
    context["spark"] = lambda counts: sparkline(counts, digest.trend.max_per_day)
    context["marker_row"] = marker_row(digest.trend)
    raw = _env(False).get_template("digest.txt.j2").render(context)
    return [s.strip("\n") for s in raw.split(SECTION_BREAK) if s.strip()]


def render_text(digest: Digest, labels: Labels | None = None) -> str:
    return "\n\n".join(text_sections(digest, labels)) + "\n"


def split_parts(sections: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack sections into messages of at most *limit* UTF-16 units, breaking only
    between sections; a section too long on its own is broken between its filings
    (blank lines), then between lines, and only a single over-long line is cut."""
    pieces: list[str] = []
    for section in sections:
        if utf16_len(section) <= limit:
            pieces.append(section)
            continue
        pieces.extend(_split_long(section, limit))
    return _pack(pieces, "\n\n", limit)


def _split_long(section: str, limit: int) -> list[str]:
    out: list[str] = []
    for separator in ("\n\n", "\n"):
        chunks = section.split(separator)
        if all(utf16_len(c) <= limit for c in chunks):
            return _pack(chunks, separator, limit)
        if separator == "\n":
            break
    # A single line longer than the limit: cut it (a title cannot be that long, but
    # a hostile one could be).
    for line in section.split("\n"):
        while utf16_len(line) > limit:
            cut = limit
            while utf16_len(line[:cut]) > limit:
                cut -= 1
            out.append(line[:cut])
            line = line[cut:]
        if line:
            out.append(line)
    return _pack(out, "\n", limit)


def _pack(pieces: Iterable[str], separator: str, limit: int) -> list[str]:
    """Greedy packing: join consecutive *pieces* with *separator* while the joined
    text stays within *limit* (UTF-16 units); each piece fits on its own."""
    packed: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if utf16_len(candidate) <= limit:
            current = candidate
        else:
            if current:
                packed.append(current)
            current = piece
    if current:
        packed.append(current)
    return packed


def text_parts(
    digest: Digest, labels: Labels | None = None, limit: int = TELEGRAM_LIMIT
) -> list[str]:
    return split_parts(text_sections(digest, labels), limit)


def filing_dict(digest: Digest, item: DigestItem) -> dict[str, Any]:
    a = item.alert
    return {
        "rcept_no": a.rcept_no,
        "corp_code": a.corp_code,
        "corp_name": a.corp_name,
        "company": item.company,
        "stock_code": a.stock_code,
        "report_nm": a.report_nm,
        "flr_nm": a.flr_nm,
        "rcept_dt": a.rcept_dt,
        "rm": a.rm,
        "first_seen_at": item.seen_at.isoformat() if item.seen_at else None,
        "filed_at": a.filed_at.isoformat() if a.filed_at else None,
        "category": a.category,
        "category_label": item.category,
        "relevance": a.relevance,
        "ai_related": a.ai_related,
        "reasons": [r.text for r in item.reasons],
        "reason_points": [{"points": r.points, "text": r.text} for r in item.reasons],
        "team": item.team_id,
        "team_name": item.team_name,
        "role": item.role,
        "team_status": a.team_status,
        "phase": a.phase_ko if digest.lang == "ko" else a.phase,
        "correction": a.correction,
        "amended": a.amended,
        "withdrawn": a.withdrawn,
        "body_used": a.body_used,
        "url": a.url,
        "summary": item.summary,
        "facts": dict(a.facts),
    }


def json_data(digest: Digest) -> dict[str, Any]:
    """The JSON contract (documented in docs/digest.md): stable keys, stable order."""
    trend = digest.trend
    return {
        "schema": JSON_SCHEMA,
        "date": digest.day.isoformat(),
        "lang": digest.lang,
        "covers": {
            "from": digest.span_start.isoformat(),
            "to": digest.span_end.isoformat(),
        },
        "timeline_version": digest.timeline_version,
        "generated_at": digest.generated_at.isoformat() if digest.generated_at else None,
        "counts": {
            "filings": digest.total,
            "ai_related": digest.ai_total,
            "corrections_withdrawals": digest.changes_total,
            "by_company": [
                {
                    "corp_code": c.corp_code,
                    "corp_name": c.corp_name,
                    "company": c.company,
                    "team": c.team_id,
                    "filings": c.filings,
                    "ai_related": c.ai_related,
                    "corrections_withdrawals": c.changes,
                }
                for c in digest.counts
            ],
        },
        "ai_related": [i.alert.rcept_no for i in digest.ai_items],
        "corrections_withdrawals": [i.alert.rcept_no for i in digest.changes],
        "filings": [filing_dict(digest, i) for i in digest.items],
        "timeline": digest.timeline,
        "trend": {
            "from": trend.start.isoformat(),
            "to": trend.end.isoformat(),
            "days": [d.isoformat() for d in trend.days],
            "business_days": list(trend.business),
            "series": [
                {"corp_code": s.corp_code, "company": s.company, "counts": list(s.counts)}
                for s in trend.series
            ],
            "milestones": [
                {
                    "date": m.date_text,
                    "title": m.title,
                    "key": m.key,
                    "status": m.status,
                }
                for m in trend.markers
            ],
        },
    }


def render_json(digest: Digest) -> str:
    return json.dumps(json_data(digest), ensure_ascii=False, indent=2) + "\n"


# A spreadsheet evaluates a cell that starts with one of these as a formula
# (=HYPERLINK(...), =cmd|...): the CSV is e-mailed to analysts who open it in one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """*value* safe for a spreadsheet: text that would start a formula gets a leading
    ``'`` (shown as text, not evaluated); numbers are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_csv(digest: Digest) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in digest.items:
        row = filing_dict(digest, item)
        cells: list[object] = [
            digest.day.isoformat(),
            row["rcept_no"],
            row["rcept_dt"],
            row["first_seen_at"] or "",
            row["corp_code"],
            row["corp_name"],
            row["stock_code"] or "",
            row["team"] or "",
            row["report_nm"],
            row["flr_nm"],
            row["category"],
            row["relevance"],
            int(row["ai_related"]),
            int(row["correction"]),
            int(row["amended"]),
            int(row["withdrawn"]),
            " | ".join(row["reasons"]),
            row["url"],
            row["filed_at"] or "",
        ]
        writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue()


RENDERERS: dict[str, Callable[[Digest], str]] = {
    "html": render_html,
    "md": render_markdown,
    "text": render_text,
    "json": render_json,
    "csv": render_csv,
}


def render(digest: Digest, fmt: str) -> str:
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise RenderError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})") from None
    return renderer(digest)


def to_message(digest: Digest) -> DigestMessage:
    """The digest as notifiers receive it: every format, the Telegram parts, the CSV."""
    labels = bundled_labels()
    sections = text_sections(digest, labels)
    return DigestMessage(
        date=digest.day.isoformat(),
        lang=digest.lang,
        subject=subject(digest, labels),
        text="\n\n".join(sections) + "\n",
        markdown=render_markdown(digest, labels),
        html=render_html(digest, labels),
        json=render_json(digest),
        text_parts=tuple(split_parts(sections)),
        attachments={"filings.csv": render_csv(digest)},
    )


def md_escape(text: str) -> str:
    """Text as Markdown shows it literally (OpenDART titles contain ``()`` and ``[]``),
    on one line: a newline in a filer name must not open a heading or a list."""
    return markdown_inline(text)
