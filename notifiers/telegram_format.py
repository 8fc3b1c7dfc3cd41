"""Alerts as Telegram HTML: pure functions, no I/O.

An alert is laid out for a phone (docs/telegram.md, "The alert on a phone"): company ·
what happened (the facts summary, else the report name), one K-AI line where a team
applies, the relevance; the reasons and the full context only in the expanded view
the "왜?" button asks for; the DART link only as a button. Alerts held through quiet
hours go out as one numbered summary (:func:`format_held_html`).

Every dynamic piece (company, title, filer, reasons, milestone titles) goes through
``html.escape``; the templates around them are ours. A message never exceeds
Telegram's 4,096 characters: the HTML source is measured in UTF-16 units (what
Telegram counts), which bounds the text left after entity parsing; when it is too
long, reasons are dropped first, then the title and the other free texts are cut.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifiers.base import Alert, DigestMessage, MilestoneRef
from notifiers.telegram_buttons import AlertKey, alert_keyboard
from notifiers.telegram_texts import t

MAX_CHARS = 4096
TOP_REASONS = 3
CHANGES_SHOWN = 2  # a correction's changes on its one line
MILESTONE_CHARS = 48  # a milestone title on the K-AI line
#: milestone statuses the K-AI line names (a confirmed or planned date needs no word)
NOTEWORTHY = ("overdue", "cancelled")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): its 4096 limit is in these."""
    return len(text.encode("utf-16-le")) // 2


def _e(text: object) -> str:
    return html.escape(str(text))


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def _offset(ref: MilestoneRef, lang: str) -> str:
    n = ref.offset_days
    if n == 0:
        return t(lang, "same_day")
    # offset_days < 0: the milestone lies before the filing.
    return t(lang, "days_before" if n < 0 else "days_after", n=abs(n))


def _status(status: str, conflicting: bool, lang: str) -> str:
    """A status in words, as HTML (the texts are HTML already)."""
    key = f"status_{status}"
    try:
        words = t(lang, key)
    except KeyError:
        words = _e(status)
    return f"{words}, {t(lang, 'conflicting')}" if conflicting else words


def _milestone_line(label_key: str, ref: MilestoneRef, lang: str, limit: int | None) -> str:
    line = (
        f"{_e(t(lang, label_key))}: {_e(_cut(ref.title(lang), limit))} "
        f"({_e(_cut(ref.date_text, limit))}, {_offset(ref, lang)}) "
        f"[{_status(ref.status, ref.conflicting, lang)}]"
    )
    outcome = ref.outcome(lang)
    return f"{line} → {_e(_cut(outcome, limit))}" if outcome else line


def _timeline_lines(alert: Alert, lang: str, limit: int | None) -> list[str]:
    """The K-AI context in full (phase, both milestones with their status, how old the
    data is) for the expanded view; nothing when no team applies."""
    ko = lang != "en"
    if not ((alert.team_ko if ko else alert.team) or alert.team):
        return []
    lines = []
    phase = (alert.phase_ko if ko else alert.phase) or alert.phase
    if phase:
        status = f" [{_status(alert.phase_status, False, lang)}]" if alert.phase_status else ""
        lines.append(f"🗓 {_e(t(lang, 'alert_phase'))}: {_e(_cut(phase, limit))}{status}")
    if alert.milestone_before:
        lines.append("◀ " + _milestone_line("alert_before", alert.milestone_before, lang, limit))
    if alert.milestone_after:
        lines.append("▶ " + _milestone_line("alert_after", alert.milestone_after, lang, limit))
    if alert.sources_end:
        lines.append("ℹ️ " + t(lang, "sources_end", end=alert.sources_end))
    return lines


def key_milestone(alert: Alert) -> tuple[str, MilestoneRef] | None:
    """The one milestone worth a line on a phone: a key milestone before a minor one,
    then the nearer to the filing, the coming one on a tie; with its side
    (``before`` | ``after``)."""
    sides = [
        (side, ref)
        for side, ref in (("after", alert.milestone_after), ("before", alert.milestone_before))
        if ref is not None
    ]
    if not sides:
        return None
    return min(sides, key=lambda s: (not s[1].key, abs(s[1].offset_days), s[0] != "after"))


def _team_words(alert: Alert, lang: str, limit: int | None) -> str:
    """The team's standing in a word or two (``진행 중``, ``탈락``, ``미확인 …``)."""
    if alert.team_status == "unverified":
        ko = lang != "en"
        words = (alert.team_status_ko if ko else alert.team_status_en) or t(
            lang, "team_status_unverified"
        )
        return _e(_cut(words, limit))
    if alert.team_status in ("active", "eliminated"):
        return t(lang, f"team_status_{alert.team_status}")
    return ""


def _kai_line(alert: Alert, lang: str, limit: int | None) -> str | None:
    """``🇰🇷 team · standing · the milestone that matters``; None without a team."""
    ko = lang != "en"
    team = (alert.team_ko if ko else alert.team) or alert.team
    if not team:
        return None
    parts = [f"<b>{_e(_cut(team, limit))}</b>"]
    standing = _team_words(alert, lang, limit)
    if standing:
        parts.append(standing)
    chosen = key_milestone(alert)
    if chosen is not None:
        side, ref = chosen
        title = _cut(ref.title(lang), min(limit or MILESTONE_CHARS, MILESTONE_CHARS))
        when = f"{_e(ref.date_text)}, {_offset(ref, lang)}"
        label = t(lang, "alert_next" if side == "after" else "alert_prev")
        noteworthy = ref.conflicting or ref.status in NOTEWORTHY
        status = f" [{_status(ref.status, ref.conflicting, lang)}]" if noteworthy else ""
        parts.append(f"{_e(label)} {_e(title)} ({when}){status}")
    return "🇰🇷 " + " · ".join(parts)


def _icon(alert: Alert) -> str:
    if alert.withdrawn or alert.event == "withdrawn":
        return "⛔"
    if alert.correction:
        return "✏️"
    return "🔔"


def headline(alert: Alert, lang: str, limit: int | None = None) -> str:
    """What happened, in plain words: the facts summary where there is one, else the
    report name; a withdrawal or correction says so first (HTML)."""
    what = _e(_cut(alert.summary_for(lang) or alert.report_nm, limit))
    if alert.withdrawn or alert.event == "withdrawn":
        return f"<b>{_e(t(lang, 'alert_tag_withdrawn'))}</b> {what}"
    if alert.correction:
        return f"<b>{_e(t(lang, 'alert_tag_correction'))}</b> {what}"
    return what


def _render(alert: Alert, lang: str, reasons: int, limit: int | None, expanded: bool) -> str:
    """The folded alert (three short lines, a correction's changes and a later
    correction's note besides); *expanded* appends :func:`_details`."""
    icon, name = _icon(alert), _e(_cut(alert.corp_name, limit))
    lines = [f"{icon} <b>{name}</b> · {headline(alert, lang, limit)}"]
    if alert.changes:
        lines.append(_changes_line(alert, lang, limit))
    if alert.amended and not alert.withdrawn:
        lines.append(t(lang, "alert_amended"))
    kai = _kai_line(alert, lang, limit)
    if kai is not None:
        lines.append(kai)
    score = f"📊 {_e(t(lang, 'alert_relevance'))} <b>{int(alert.relevance)}</b>/100"
    if alert.filed_at is not None:
        score += f" · {_e(alert.received[-9:])}"  # "17:30 KST": the feed gave the time
    lines.append(score)
    if expanded:
        lines.extend(_details(alert, lang, reasons, limit))
    return "\n".join(lines)


def _changes_line(alert: Alert, lang: str, limit: int | None) -> str:
    """What a correction changed, on one line: the first few, then how many more."""
    shown = [
        f"{_e(_cut(c.label, limit))} {_e(_cut(c.old, limit))} → {_e(_cut(c.new, limit))}"
        for c in alert.changes[:CHANGES_SHOWN]
    ]
    more = len(alert.changes) - CHANGES_SHOWN
    if more > 0:
        shown.append(_e(t(lang, "alert_more_reasons", n=more)))
    return f"✏️ {_e(t(lang, 'alert_changed'))}: " + " · ".join(shown)


def _details(alert: Alert, lang: str, reasons: int, limit: int | None) -> list[str]:
    """What "왜?" shows: the top reasons, the filing as DART names it, the K-AI context."""
    ranked = alert.top_reasons(len(alert.reasons))
    shown = ranked[: min(reasons, TOP_REASONS)]
    lines = [f"  • {r.points:+d} {_e(_cut(r.text(lang), limit))}" for r in shown]
    hidden = len(ranked) - len(shown)
    if hidden > 0 and shown:
        lines.append(f"  {_e(t(lang, 'alert_more_reasons', n=hidden))}")
    category = alert.category_en if lang == "en" else alert.category_ko
    about = [f"📄 {_e(_cut(alert.report_nm, limit))}", _e(_cut(category, limit))]
    if alert.flr_nm:
        about.append(f"{_e(t(lang, 'alert_filer'))} {_e(_cut(alert.flr_nm, limit))}")
    about.append(_e(alert.received))
    lines.append(" · ".join(about))
    lines.extend(_timeline_lines(alert, lang, limit))
    return lines


def alert_key(alert: Alert, *, expanded: bool = False) -> AlertKey:
    return AlertKey(alert.rcept_no, alert.event, expanded)


def format_alert_html(
    alert: Alert,
    lang: str = "ko",
    *,
    expanded: bool = False,
    muted: bool = False,
    choosing: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """The alert as (Telegram HTML text, inline keyboard): company · what happened, the
    K-AI line where a team applies, the relevance; *expanded* adds the reasons (the
    "왜?" button). The DART link is the keyboard's URL button, never in the text."""
    markup = alert_keyboard(
        alert_key(alert, expanded=expanded), alert.url, lang, muted=muted, choosing=choosing
    )
    return fit_html(lambda reasons, limit: _render(alert, lang, reasons, limit, expanded)), markup


def fit_html(render: Callable[[int, int | None], str]) -> str:
    """The largest rendering that Telegram accepts: fewer reasons first, then cut texts."""
    for reasons, limit in _attempts():
        text = render(reasons, limit)
        if utf16_len(text) <= MAX_CHARS:
            return text
    raise AssertionError("unreachable: the last attempt always fits")


def _attempts() -> Iterator[tuple[int, int | None]]:
    yield TOP_REASONS, None
    for reasons in range(TOP_REASONS - 1, -1, -1):
        yield reasons, None
    for limit in (1000, 500, 200, 100, 40):
        yield 0, limit


HELD_PER_MESSAGE = 24  # lines (and buttons) in one summary of held alerts
HELD_LINE_CHARS = 90
HELD_BUTTONS_PER_ROW = 3


def _held_line(index: int, alert: Alert, lang: str, limit: int) -> str:
    return (
        f"{index}. {_icon(alert)} <b>{_e(_cut(alert.corp_name, 30))}</b> · "
        f"{headline(alert, lang, limit)} · 📊 {int(alert.relevance)}"
    )


def held_chunks(alerts: Sequence[Alert]) -> list[Sequence[Alert]]:
    """The alerts each message of a quiet-hours summary carries, in order: at most
    :data:`HELD_PER_MESSAGE` each (the notifier threads corrections by them)."""
    return [
        alerts[start : start + HELD_PER_MESSAGE]
        for start in range(0, len(alerts), HELD_PER_MESSAGE)
    ]


def format_held_html(
    alerts: Sequence[Alert], lang: str = "ko"
) -> list[tuple[str, InlineKeyboardMarkup]]:
    """Alerts held through a chat's quiet hours as one message: a numbered line per
    filing and a numbered DART button for each. Past :data:`HELD_PER_MESSAGE`
    filings the summary continues in another message (never one per filing), one
    per :func:`held_chunks`."""
    out: list[tuple[str, InlineKeyboardMarkup]] = []
    start = 0
    for part in held_chunks(alerts):
        numbered = list(enumerate(part, start + 1))
        start += len(part)

        def render(_: int, limit: int | None, numbered: list[tuple[int, Alert]] = numbered) -> str:
            cut = min(limit or HELD_LINE_CHARS, HELD_LINE_CHARS)
            header = t(lang, "held_header", n=len(alerts))
            return "\n".join([header, *(_held_line(i, a, lang, cut) for i, a in numbered)])

        buttons = [
            InlineKeyboardButton(f"{i} · {_cut(a.corp_name, 10)}", url=a.url) for i, a in numbered
        ]
        rows = [
            buttons[i : i + HELD_BUTTONS_PER_ROW]
            for i in range(0, len(buttons), HELD_BUTTONS_PER_ROW)
        ]
        out.append((fit_html(render), InlineKeyboardMarkup(rows)))
    return out


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Plain text in Telegram-sized parts, broken at blank lines, then lines, then hard."""
    parts: list[str] = []
    current = ""
    for block in _pieces(text, limit):
        candidate = f"{current}\n{block}" if current else block
        if utf16_len(candidate) <= limit:
            current = candidate
        else:
            if current:
                parts.append(current)
            current = block
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]


def _pieces(text: str, limit: int) -> Iterator[str]:
    for line in text.split("\n"):
        while utf16_len(line) > limit:
            cut = limit
            while utf16_len(line[:cut]) > limit:
                cut -= 1
            yield line[:cut]
            line = line[cut:]
        yield line


def digest_parts(digest: DigestMessage) -> list[str]:
    """The digest as plain-text messages (the digest builder's own split when it made one)."""
    parts = list(digest.text_parts) or [digest.text]
    out: list[str] = []
    for part in parts:
        out.extend(split_text(part))
    return out
