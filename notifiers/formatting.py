"""Alerts as plain text, Markdown, HTML, Slack blocks and Discord embeds: pure functions.

Every format is rendered from one :class:`AlertView` (what to show, in which language,
unescaped), so the formats never disagree about content. Each renderer escapes every
piece of dynamic text for its own syntax: company names and report titles come from
OpenDART and may contain ``<``, ``&``, ``*`` or ``@everyone``.

``max_chars`` is honoured by showing less, least important first: fewer reasons, then
remarks, stock code, milestones, phase, filer; then the free texts are cut. The
company, the title (possibly cut), the correction/withdrawal marker and the DART link
always stay.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from notifiers.base import Alert, DigestMessage, MilestoneRef
from notifiers.catalogue import CatalogueError, bilingual_entries, read_toml

LABELS_FILE = Path(__file__).with_name("data") / "labels.toml"
TOP_REASONS = 3
#: facts and context lines dropped to fit, least important first
DROP_ORDER = (
    "remarks",
    "stock_code",
    "milestone_after",
    "milestone_before",
    "phase",
    "filer",
    "sources_end",
)
_CUT_LIMITS = (200, 100, 60, 30, 15)

# Service limits (Slack Block Kit and Discord embed documentation).
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_MAX_BLOCKS = 50
DISCORD_TITLE_CHARS = 256
DISCORD_DESCRIPTION_CHARS = 4096
DISCORD_FIELD_NAME_CHARS = 256
DISCORD_FIELD_VALUE_CHARS = 1024
DISCORD_EMBED_TOTAL_CHARS = 6000

COLOR_NORMAL = 0x1F6FEB
COLOR_CORRECTION = 0xD29922
COLOR_WITHDRAWN = 0xCF222E

T = TypeVar("T")


class LabelsError(CatalogueError):
    """The labels file is malformed; the message names the file and the entry."""


# --- labels --------------------------------------------------------------------------


def load_labels(path: Path = LABELS_FILE) -> dict[str, dict[str, str]]:
    """Read and check a labels file: every entry has both languages, same placeholders."""
    return bilingual_entries(path, read_toml(path, LabelsError), error=LabelsError)


@functools.cache
def _labels() -> dict[str, dict[str, str]]:
    return load_labels()


def label(key: str, lang: str, **values: object) -> str:
    """The label *key* in *lang* (Korean unless ``en``), with placeholders filled."""
    text = _labels()[key]["en" if lang == "en" else "ko"]
    return text.format(**values) if values else text


# --- the view: what an alert shows ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One labelled piece of an alert; ``key`` says what it is (for dropping to fit)."""

    key: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert reduced to labelled, unescaped texts in one language."""

    lang: str
    corp_name: str
    category: str
    report_nm: str
    markers: tuple[str, ...]
    facts: tuple[Line, ...]  # short, shown on one line
    context: tuple[Line, ...]  # K-AI context, a line each
    relevance: Line
    reasons: tuple[str, ...]
    more_reasons: str
    url: str
    view_label: str
    severity: str  # normal | correction | withdrawn
    rcept_no: str
    summary: str = ""  # what the filing says, one line (leads the alert)
    changes: tuple[str, ...] = ()  # a correction's "label: old → new" lines
    changes_label: str = ""


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def _offset(ref: MilestoneRef, lang: str) -> str:
    n = ref.offset_days
    if n == 0:
        return label("same_day", lang)
    # offset_days < 0: the milestone lies before the filing.
    return label("days_before" if n < 0 else "days_after", lang, n=abs(n))


def status_text(status: str, conflicting: bool, lang: str) -> str:
    """A milestone's or phase's status in words ("결과 미기록 (예정일 경과)"), with
    "보도 엇갈림" when the outlets disagree."""
    try:
        words = label(f"status_{status}", lang)
    except KeyError:
        words = status
    return f"{words}, {label('conflicting', lang)}" if conflicting else words


def milestone_text(ref: MilestoneRef, lang: str, limit: int | None) -> str:
    """ "title (date, offset) [status]" and the recorded outcome, if any."""
    text = (
        f"{_cut(ref.title(lang), limit)} ({ref.date_text}, {_offset(ref, lang)}) "
        f"[{status_text(ref.status, ref.conflicting, lang)}]"
    )
    outcome = ref.outcome(lang)
    return f"{text} → {_cut(outcome, limit)}" if outcome else text


def _markers(alert: Alert, lang: str) -> tuple[list[str], str]:
    """The markers in front of the title (withdrawn, correction, amended) and the
    severity notifiers colour by."""
    markers: list[str] = []
    severity = "normal"
    if alert.withdrawn or alert.event == "withdrawn":
        markers.append(label("withdrawn", lang))
        severity = "withdrawn"
    elif alert.correction:
        markers.append(label("correction", lang))
        severity = "correction"
    if alert.amended and severity != "withdrawn":
        markers.append(label("amended", lang))
        severity = "correction"
    return markers, severity


def _fact_lines(alert: Alert, lang: str, limit: int | None) -> list[Line]:
    """Filer, date, stock code, remarks: what OpenDART's list row says."""
    facts: list[Line] = []
    if alert.flr_nm:
        facts.append(Line("filer", label("filer", lang), _cut(alert.flr_nm, limit)))
    facts.append(Line("date", label("date", lang), alert.received))
    if alert.stock_code:
        facts.append(Line("stock_code", label("stock_code", lang), alert.stock_code))
    if alert.rm:
        facts.append(Line("remarks", label("remarks", lang), _cut(alert.rm, limit)))
    return facts


def _context_lines(alert: Alert, lang: str, limit: int | None) -> list[Line]:
    """The K-AI context: team and standing, phase, the milestones around the filing,
    how far the timeline's sources reach."""
    ko = lang != "en"
    context: list[Line] = []
    team = (alert.team_ko if ko else alert.team) or alert.team
    if team:
        value = _cut(team, limit)
        role = (alert.role_ko if ko else alert.role) or alert.role
        if role:
            value += f" ({_cut(role, limit)})"
        if alert.team_status == "eliminated":
            value += f" · {label('eliminated', lang)}"
        elif alert.team_status == "unverified":
            words = alert.team_status_ko if ko else alert.team_status_en
            value += f" · {_cut(words or label('unverified', lang), limit)}"
        context.append(Line("team", f"{label('kai', lang)} {label('team', lang)}", value))
    phase = (alert.phase_ko if ko else alert.phase) or alert.phase
    if phase:
        if alert.phase_status:
            phase = f"{phase} [{status_text(alert.phase_status, False, lang)}]"
        context.append(Line("phase", label("phase", lang), _cut(phase, limit)))
    for key, ref in (
        ("milestone_before", alert.milestone_before),
        ("milestone_after", alert.milestone_after),
    ):
        if ref is not None:
            context.append(Line(key, label(key, lang), milestone_text(ref, lang, limit)))
    if alert.sources_end:
        end = label("sources_end", lang, end=alert.sources_end)
        context.append(Line("sources_end", label("timeline_data", lang), end))
    return context


def build_view(
    alert: Alert,
    lang: str = "ko",
    *,
    reasons: int = TOP_REASONS,
    drop: int = 0,
    limit: int | None = None,
) -> AlertView:
    """The view of *alert*: *reasons* top reasons, the first *drop* keys of
    :data:`DROP_ORDER` left out, and free texts cut to *limit* characters."""
    ko = lang != "en"
    dropped = set(DROP_ORDER[:drop])
    markers, severity = _markers(alert, lang)
    facts = _fact_lines(alert, lang, limit)
    context = _context_lines(alert, lang, limit)

    score = f"{int(alert.relevance)}/100"
    if alert.ai_related:
        score += f" · {label('ai_related', lang)}"
    ranked = alert.top_reasons(len(alert.reasons))
    shown = ranked[: max(0, min(reasons, TOP_REASONS))]
    hidden = len(ranked) - len(shown)
    return AlertView(
        lang=lang,
        corp_name=_cut(alert.corp_name, limit),
        category=_cut(alert.category_ko if ko else alert.category_en, limit),
        report_nm=_cut(alert.report_nm, limit),
        markers=tuple(markers),
        facts=tuple(f for f in facts if f.key not in dropped),
        context=tuple(c for c in context if c.key not in dropped),
        relevance=Line("relevance", label("relevance", lang), score),
        reasons=tuple(f"{r.points:+d} {_cut(r.text(lang), limit)}" for r in shown),
        more_reasons=label("more_reasons", lang, n=hidden) if hidden > 0 and shown else "",
        url=alert.url,
        view_label=label("view", lang),
        severity=severity,
        rcept_no=alert.rcept_no,
        summary=_cut(alert.summary_for(lang) or "", limit),
        changes=tuple(
            f"{_cut(c.label, limit)}: {_cut(c.old, limit)} → {_cut(c.new, limit)}"
            for c in alert.changes
        )
        if "changes" not in dropped
        else (),
        changes_label=label("changed", lang),
    )


def _views(alert: Alert, lang: str) -> Iterator[AlertView]:
    """Ever smaller views of *alert*, the full one first."""
    for reasons in range(TOP_REASONS, -1, -1):
        yield build_view(alert, lang, reasons=reasons)
    for drop in range(1, len(DROP_ORDER) + 1):
        yield build_view(alert, lang, reasons=0, drop=drop)
    for limit in _CUT_LIMITS:
        yield build_view(alert, lang, reasons=0, drop=len(DROP_ORDER), limit=limit)
    # Last resort: company, title, marker, link.
    for limit in (15, 8, 4, 1):
        smallest = build_view(alert, lang, reasons=0, drop=len(DROP_ORDER), limit=limit)
        yield replace(smallest, category="", facts=(), context=(), relevance=Line("", "", ""))


def fit(
    alert: Alert,
    lang: str,
    render: Callable[[AlertView], T],
    max_chars: int | None,
    measure: Callable[[T], int] | None = None,
) -> T:
    """The largest rendering of *alert* whose size (``len`` unless *measure*) is at most
    *max_chars*; raises ``ValueError`` when even the smallest does not fit."""
    size = measure or _len
    last: T | None = None
    for view in _views(alert, lang):
        last = render(view)
        if max_chars is None or size(last) <= max_chars:
            return last
    assert last is not None
    raise ValueError(f"an alert cannot fit in {max_chars} characters (smallest: {size(last)})")


def _len(value: Any) -> int:
    return len(value)


# --- escaping ------------------------------------------------------------------------

# Enough to stop any value from opening emphasis, code, links, HTML or headings:
# "(" needs no escape once "]" has one; "." "-" "+" matter only at a line start,
# where no value is ever placed.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")


def escape_html(text: str) -> str:
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown punctuation (CommonMark and Discord both honour it)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


# A line that starts with one of these (after a value was placed at its start) would
# open a list, a setext heading or a thematic break.
_MD_BLOCK_START = re.compile(r"^(\d*)([-+=.)])")


def markdown_inline(text: str) -> str:
    """A value (a title, a filer name) as literal Markdown on one line: whitespace runs,
    newlines included, become one space, so a value can never start a block of its own
    (a heading, a list, a quote), and its punctuation is escaped."""
    one_line = escape_markdown(" ".join(str(text).split()))
    return _MD_BLOCK_START.sub(r"\1\\\2", one_line, count=1)


def escape_slack(text: str) -> str:
    """Slack mrkdwn: only ``&``, ``<`` and ``>`` can be escaped, and must be (they
    would otherwise form links and ``<!channel>`` mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- renderers -----------------------------------------------------------------------


def _heading(view: AlertView) -> str:
    return f"{view.corp_name} · {view.category}" if view.category else view.corp_name


def render_text(view: AlertView) -> str:
    lines = [f"[{m}]" for m in view.markers]
    lines.append(_heading(view))
    if view.summary:
        lines.append(view.summary)
    lines.append(view.report_nm)
    if view.changes:
        lines.append(f"{view.changes_label}:")
        lines.extend(f"  • {c}" for c in view.changes)
    if view.facts:
        lines.append(" · ".join(f"{f.label}: {f.value}" for f in view.facts))
    lines.extend(f"{c.label}: {c.value}" for c in view.context)
    if view.relevance.label:
        lines.append(f"{view.relevance.label}: {view.relevance.value}")
    lines.extend(f"  • {r}" for r in view.reasons)
    if view.more_reasons:
        lines.append(f"  {view.more_reasons}")
    lines.append(f"{view.view_label}: {view.url}")
    return "\n".join(lines)


def render_markdown(view: AlertView) -> str:
    e = markdown_inline
    lines = [f"**⚠ {e(m)}**" for m in view.markers]
    heading = f"**{e(view.corp_name)}**"
    if view.category:
        heading += f" · {e(view.category)}"
    lines.append(heading)
    if view.summary:
        lines.append(e(view.summary))
    lines.append(f"**{e(view.report_nm)}**")
    if view.changes:
        lines.append(f"{e(view.changes_label)}: " + "; ".join(e(c) for c in view.changes))
    if view.facts:
        lines.append(" · ".join(f"{e(f.label)}: {e(f.value)}" for f in view.facts))
    body = [f"- {e(c.label)}: {e(c.value)}" for c in view.context]
    if view.relevance.label:
        body.append(f"- {e(view.relevance.label)}: {e(view.relevance.value)}")
    body.extend(f"  - {e(r)}" for r in view.reasons)
    if view.more_reasons:
        body.append(f"  - {e(view.more_reasons)}")
    parts = ["  \n".join(lines)]
    if body:
        parts.append("\n".join(body))
    parts.append(f"[{e(view.view_label)}]({view.url})")
    return "\n\n".join(parts)


def render_html(view: AlertView) -> str:
    e = escape_html
    out = ['<div class="dartwatch-alert">']
    out.extend(f"<p><strong>⚠ {e(m)}</strong></p>" for m in view.markers)
    heading = f"<strong>{e(view.corp_name)}</strong>"
    if view.category:
        heading += f" · {e(view.category)}"
    summary = f"<br>{e(view.summary)}" if view.summary else ""
    out.append(f"<p>{heading}{summary}<br><strong>{e(view.report_nm)}</strong></p>")
    if view.changes:
        out.append(
            f"<p>{e(view.changes_label)}:<br>" + "<br>".join(e(c) for c in view.changes) + "</p>"
        )
    if view.facts:
        out.append("<p>" + " · ".join(f"{e(f.label)}: {e(f.value)}" for f in view.facts) + "</p>")
    rows = [f"{e(c.label)}: {e(c.value)}" for c in view.context]
    if view.relevance.label:
        rows.append(f"{e(view.relevance.label)}: {e(view.relevance.value)}")
    if rows:
        out.append("<p>" + "<br>".join(rows) + "</p>")
    items = [f"<li>{e(r)}</li>" for r in view.reasons]
    if view.more_reasons:
        items.append(f"<li>{e(view.more_reasons)}</li>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    out.append(f'<p><a href="{e(view.url)}">{e(view.view_label)}</a></p>')
    out.append("</div>")
    return "\n".join(out)


def render_slack(view: AlertView) -> dict[str, Any]:
    """A Slack incoming-webhook payload: ``text`` (the notification fallback) and blocks."""
    e = escape_slack
    header = _cut(f"{view.corp_name} · {view.report_nm}", SLACK_HEADER_CHARS)
    lines = [f"*⚠ {e(m)}*" for m in view.markers]
    if view.summary:
        lines.append(f"*{e(view.summary)}*")
    lines.extend(f"{e(view.changes_label)}: {e(c)}" for c in view.changes)
    if view.category:
        lines.append(e(view.category))
    if view.facts:
        lines.append(" · ".join(f"{e(f.label)}: {e(f.value)}" for f in view.facts))
    lines.extend(f"*{e(c.label)}*: {e(c.value)}" for c in view.context)
    if view.relevance.label:
        lines.append(f"*{e(view.relevance.label)}*: {e(view.relevance.value)}")
    lines.extend(f"• {e(r)}" for r in view.reasons)
    if view.more_reasons:
        lines.append(e(view.more_reasons))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), SLACK_SECTION_CHARS)},
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": view.view_label},
                    "url": view.url,
                }
            ],
        },
    ]
    fallback = " ".join(f"[{m}]" for m in view.markers)
    fallback = f"{fallback} {view.corp_name} · {view.report_nm}".strip()
    return {"text": e(fallback), "blocks": blocks, "unfurl_links": False}


def _color(severity: str) -> int:
    return {"withdrawn": COLOR_WITHDRAWN, "correction": COLOR_CORRECTION}.get(
        severity, COLOR_NORMAL
    )


def render_discord(view: AlertView) -> dict[str, Any]:
    """A Discord webhook payload with one embed; mentions in texts never ping anyone."""
    e = markdown_inline
    description = [f"**⚠ {e(m)}**" for m in view.markers]
    if view.summary:
        description.append(f"**{e(view.summary)}**")
    description.extend(f"{e(view.changes_label)}: {e(c)}" for c in view.changes)
    if view.category:
        description.append(e(view.category))
    if view.facts:
        description.append(" · ".join(f"{e(f.label)}: {e(f.value)}" for f in view.facts))
    description.extend(f"• {e(r)}" for r in view.reasons)
    if view.more_reasons:
        description.append(e(view.more_reasons))
    fields = [
        {
            "name": _cut(c.label, DISCORD_FIELD_NAME_CHARS),
            "value": _cut(e(c.value), DISCORD_FIELD_VALUE_CHARS),
            "inline": c.key in ("team", "phase"),
        }
        for c in view.context
    ]
    if view.relevance.label:
        fields.append(
            {
                "name": view.relevance.label,
                "value": e(view.relevance.value),
                "inline": True,
            }
        )
    embed: dict[str, Any] = {
        "title": _cut(e(f"{view.corp_name} · {view.report_nm}"), DISCORD_TITLE_CHARS),
        "url": view.url,
        "description": _cut("\n".join(description), DISCORD_DESCRIPTION_CHARS),
        "color": _color(view.severity),
        "fields": fields,
        "footer": {"text": f"dartwatch · {view.rcept_no}"},
    }
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def payload_chars(value: Any) -> int:
    """Characters of text in a JSON-like payload (all string values, recursively)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(payload_chars(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(payload_chars(v) for v in value)
    return 0


# --- public entry points -------------------------------------------------------------


def alert_text(alert: Alert, lang: str = "ko", max_chars: int | None = None) -> str:
    return fit(alert, lang, render_text, max_chars)


def alert_markdown(alert: Alert, lang: str = "ko", max_chars: int | None = None) -> str:
    return fit(alert, lang, render_markdown, max_chars)


def alert_html(alert: Alert, lang: str = "ko", max_chars: int | None = None) -> str:
    return fit(alert, lang, render_html, max_chars)


def alert_slack(alert: Alert, lang: str = "ko", max_chars: int | None = None) -> dict[str, Any]:
    return fit(alert, lang, render_slack, max_chars, payload_chars)


def alert_discord(alert: Alert, lang: str = "ko", max_chars: int | None = None) -> dict[str, Any]:
    limit = DISCORD_EMBED_TOTAL_CHARS if max_chars is None else min(max_chars, 6000)
    return fit(alert, lang, render_discord, limit, _embed_chars)


def _embed_chars(payload: dict[str, Any]) -> int:
    # Discord's 6,000 counts titles, descriptions, field names/values and footers.
    return sum(
        payload_chars({k: v for k, v in embed.items() if k != "url"}) for embed in payload["embeds"]
    )


def alert_subject(alert: Alert, lang: str = "ko", max_chars: int = 200) -> str:
    """A one-line subject (e-mail, Apprise title) with the marker in front."""
    view = build_view(alert, lang, reasons=0)
    markers = "".join(f"[{m}] " for m in view.markers)
    subject = label(
        "subject", lang, markers=markers, corp_name=alert.corp_name, report_nm=alert.report_nm
    )
    return _cut(" ".join(subject.split()), max_chars)


def digest_slack(digest: DigestMessage) -> dict[str, Any]:
    """A digest as Slack blocks: the subject as header, the text in section-sized parts."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(digest.subject, SLACK_HEADER_CHARS)},
        }
    ]
    # Chunk before escaping so no entity is split; escaping grows a chunk, hence 2000.
    for chunk in _chunks(digest.text, 2000):
        if len(blocks) >= SLACK_MAX_BLOCKS:
            break
        text = _cut(escape_slack(chunk), SLACK_SECTION_CHARS)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": escape_slack(digest.subject), "blocks": blocks, "unfurl_links": False}


def digest_discord(digest: DigestMessage) -> dict[str, Any]:
    """A digest as one Discord embed (its text cut to the embed limits)."""
    title = _cut(escape_markdown(digest.subject), DISCORD_TITLE_CHARS)
    room = min(DISCORD_DESCRIPTION_CHARS, DISCORD_EMBED_TOTAL_CHARS - len(title) - 100)
    embed = {
        "title": title,
        "description": _cut(escape_markdown(digest.text), room),
        "color": COLOR_NORMAL,
        "footer": {"text": f"dartwatch · {digest.date}"},
    }
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def _chunks(text: str, size: int) -> Iterator[str]:
    """*text* in pieces of at most *size* characters, broken at line ends when possible."""
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                yield current
                current = ""
            yield line[:size]
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            yield current
            current = line
        else:
            current = candidate
    if current.strip():
        yield current
