"""Alerts as Telegram HTML: pure functions, no I/O.

Every dynamic piece (company, title, filer, reasons, milestone titles) goes through
``html.escape``; the templates around them are ours. A message never exceeds
Telegram's 4,096 characters: the HTML source is measured in UTF-16 units (what
Telegram counts), which bounds the text left after entity parsing; when it is too
long, reasons are dropped first, then the title and the other free texts are cut.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifiers.base import Alert, DigestMessage, MilestoneRef
from notifiers.telegram_texts import t

MAX_CHARS = 4096
TOP_REASONS = 3


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


def _render(alert: Alert, lang: str, reasons: int, limit: int | None) -> str:
    ko = lang != "en"
    category = alert.category_ko if ko else alert.category_en
    lines = [f"🔔 <b>{_e(_cut(alert.corp_name, limit))}</b> · {_e(_cut(category, limit))}"]
    summary = alert.summary_for(lang)
    if summary:
        lines.append(f"📝 <b>{_e(_cut(summary, limit))}</b>")
    lines.append(f"<b>{_e(_cut(alert.report_nm, limit))}</b>")
    if alert.changes:
        lines.append(f"{_e(t(lang, 'alert_changed'))}:")
        lines.extend(
            f"  • {_e(_cut(c.label, limit))}: {_e(_cut(c.old, limit))} → {_e(_cut(c.new, limit))}"
            for c in alert.changes
        )
    facts = []
    if alert.flr_nm:
        facts.append(f"{_e(t(lang, 'alert_filer'))}: {_e(_cut(alert.flr_nm, limit))}")
    facts.append(f"{_e(t(lang, 'alert_date'))}: {_e(alert.received)}")
    lines.append(" · ".join(facts))
    if alert.withdrawn or alert.event == "withdrawn":
        lines.append(f"<b>{t(lang, 'alert_withdrawn')}</b>")
    elif alert.correction:
        lines.append(f"<b>{t(lang, 'alert_correction')}</b>")
    if alert.amended and not alert.withdrawn:
        lines.append(t(lang, "alert_amended"))
    context = []
    team = (alert.team_ko if ko else alert.team) or alert.team
    if team:
        role = (alert.role_ko if ko else alert.role) or alert.role
        part = f"{_e(t(lang, 'alert_team'))} {_e(_cut(team, limit))}"
        if role:
            part += f" ({_e(_cut(role, limit))})"
        if alert.team_status == "eliminated":
            part += f" · {_e(t(lang, 'alert_status_eliminated'))}"
        elif alert.team_status == "unverified":
            words = (alert.team_status_ko if ko else alert.team_status_en) or t(
                lang, "team_status_unverified"
            )
            part += f" · {_e(_cut(words, limit))}"
        context.append(part)
    phase = (alert.phase_ko if ko else alert.phase) or alert.phase
    if phase:
        status = f" [{_status(alert.phase_status, False, lang)}]" if alert.phase_status else ""
        context.append(f"{_e(t(lang, 'alert_phase'))}: {_e(_cut(phase, limit))}{status}")
    if context:
        lines.append(f"🇰🇷 <b>{_e(t(lang, 'alert_kai'))}</b> · " + " · ".join(context))
    if alert.milestone_before:
        lines.append("◀ " + _milestone_line("alert_before", alert.milestone_before, lang, limit))
    if alert.milestone_after:
        lines.append("▶ " + _milestone_line("alert_after", alert.milestone_after, lang, limit))
    if alert.sources_end:
        lines.append("ℹ️ " + t(lang, "sources_end", end=alert.sources_end))
    lines.append(f"📊 {_e(t(lang, 'alert_relevance'))} <b>{int(alert.relevance)}</b>/100")
    ranked = alert.top_reasons(len(alert.reasons))
    shown = ranked[: min(reasons, TOP_REASONS)]
    for reason in shown:
        lines.append(f"  • {reason.points:+d} {_e(_cut(reason.text(lang), limit))}")
    hidden = len(ranked) - len(shown)
    if hidden > 0 and shown:
        lines.append(f"  {_e(t(lang, 'alert_more_reasons', n=hidden))}")
    lines.append(f'🔗 <a href="{_e(alert.url)}">{_e(alert.url)}</a>')
    return "\n".join(lines)


def format_alert_html(alert: Alert, lang: str = "ko") -> tuple[str, InlineKeyboardMarkup]:
    """The alert as (Telegram HTML text, inline keyboard with the DART viewer button)."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "view_on_dart"), url=alert.url)]])
    for reasons, limit in _attempts():
        text = _render(alert, lang, reasons, limit)
        if utf16_len(text) <= MAX_CHARS:
            return text, markup
    raise AssertionError("unreachable: the last attempt always fits")


def _attempts() -> Iterator[tuple[int, int | None]]:
    yield TOP_REASONS, None
    for reasons in range(TOP_REASONS - 1, -1, -1):
        yield reasons, None
    for limit in (1000, 500, 200, 100, 40):
        yield 0, limit


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
