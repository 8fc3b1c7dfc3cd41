"""The digest as data: a pure function of the day's alerts, the trend counts and the
timeline box.

:func:`build_digest` decides what the digest says (order, grouping, counts, labels in
the chosen language); the renderers in :mod:`monitor.digest.render` only decide how it
looks. Nothing here reads a clock, a file or the database, and every list has a total
order, so the same inputs give the same digest byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from monitor.core.kcalendar import KST, is_business_day
from monitor.digest.days import span, trend_window
from monitor.digest.labels import ChartStyle, bundled_labels
from monitor.kai.timeline import Timeline
from monitor.kai.timeline.queries import status_at
from monitor.kai.timeline.views import status_label
from notifiers.base import Alert

LANGS = ("ko", "en")
TOP_REASONS = 3


class DigestInputError(ValueError):
    """The builder was given something it cannot make a digest of (a bad language)."""


# --- inputs --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A watched company, so it is counted (with 0) even on a day it filed nothing."""

    corp_code: str
    name_ko: str
    name_en: str = ""
    team: str | None = None  # timeline team id

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_ko


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Filings one company received on one day (a row of the trend query)."""

    corp_code: str
    corp_name: str
    day: date
    filings: int


@dataclass(frozen=True, slots=True)
class Marker:
    """A timeline milestone drawn on the trend chart."""

    day: date
    date_text: str  # as the timeline writes it: 2026-01-15, 2026-08, a range
    title: str
    key: bool
    status: str
    approximate: bool = False
    status_label: str = ""


# --- the digest ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestReason:
    points: int
    text: str


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One filing as the digest shows it (the alert plus its labels in the language)."""

    alert: Alert
    company: str
    team_id: str | None
    team_name: str | None
    role: str | None
    seen_at: datetime | None  # first seen, KST
    seen_text: str  # filing time "17:30" when known, else first seen ("01-16 09:02" if later)
    category: str
    reasons: tuple[DigestReason, ...]
    top_reasons: tuple[DigestReason, ...]
    flags: tuple[str, ...]  # label keys: correction, amended, withdrawn
    summary: str | None = None  # what the filing says, one line in the digest's language


@dataclass(frozen=True, slots=True)
class CompanySection:
    corp_code: str
    company: str
    team_id: str | None
    team_name: str | None
    role: str | None
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class CompanyCount:
    corp_code: str
    corp_name: str
    company: str
    team_id: str | None
    team_name: str | None
    filings: int
    ai_related: int
    changes: int


@dataclass(frozen=True, slots=True)
class TrendSeries:
    corp_code: str
    company: str
    colour: str
    counts: tuple[int, ...]  # one per day of the window

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def last7(self) -> int:
        return sum(self.counts[-7:])


@dataclass(frozen=True, slots=True)
class Trend:
    start: date
    end: date
    days: tuple[date, ...]
    business: tuple[bool, ...]
    series: tuple[TrendSeries, ...]
    markers: tuple[Marker, ...]

    @property
    def daily_totals(self) -> tuple[int, ...]:
        return tuple(sum(s.counts[i] for s in self.series) for i in range(len(self.days)))

    @property
    def max_per_day(self) -> int:
        return max((*self.daily_totals, 1))


@dataclass(frozen=True, slots=True)
class Digest:
    day: date
    lang: str
    span_start: date
    span_end: date
    items: tuple[DigestItem, ...]  # section order: team, company, then time first seen
    ai_items: tuple[DigestItem, ...]  # AI-relevant first: relevance, then rcept_no
    changes: tuple[DigestItem, ...]  # corrections, later-corrected, withdrawn
    sections: tuple[CompanySection, ...]
    counts: tuple[CompanyCount, ...]
    timeline: dict[str, Any]
    timeline_version: str
    trend: Trend
    generated_at: datetime | None = None

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def ai_total(self) -> int:
        return len(self.ai_items)

    @property
    def changes_total(self) -> int:
        return len(self.changes)

    @property
    def rolled_over(self) -> bool:
        return self.span_start != self.span_end


# --- building ------------------------------------------------------------------------


def _flags(alert: Alert) -> tuple[str, ...]:
    flags = []
    if alert.correction:
        flags.append("correction")
    if alert.amended:
        flags.append("amended")
    if alert.withdrawn:
        flags.append("withdrawn")
    return tuple(flags)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # SQLite hands back naive values; stored times are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(KST)


def _seen(alert: Alert) -> tuple[datetime | None, str]:
    """First seen (KST), and the time the digest shows: the filing time when the RSS
    feed gave it, else the first-seen time."""
    seen = _local(alert.first_seen_at) if alert.first_seen_at is not None else None
    shown = _local(alert.filed_at) if alert.filed_at is not None else seen
    if shown is None:
        return None, "—"
    if shown.strftime("%Y%m%d") == alert.rcept_dt:
        return seen, shown.strftime("%H:%M")
    return seen, shown.strftime("%m-%d %H:%M")


def _team_ids(box: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
    """Team name (either language) -> id, id -> order, id -> display name."""
    by_name: dict[str, str] = {}
    order: dict[str, int] = {}
    display: dict[str, str] = {}
    for i, team in enumerate(box.get("teams") or []):
        team_id = str(team.get("id"))
        order[team_id] = i
        display[team_id] = str(team.get("name") or team_id)
        for key in ("name_en", "name_ko", "name"):
            if team.get(key):
                by_name[str(team[key])] = team_id
    return by_name, order, display


def _item(alert: Alert, lang: str, company: str, by_name: Mapping[str, str]) -> DigestItem:
    team_id = by_name.get(alert.team or "") or by_name.get(alert.team_ko or "")
    if lang == "ko":
        team_name, role, category = alert.team_ko or alert.team, alert.role_ko, alert.category_ko
    else:
        team_name, role, category = alert.team, alert.role, alert.category_en
    reasons = tuple(DigestReason(r.points, r.text(lang)) for r in alert.reasons)
    scored = [r for r in reasons if r.points]
    top = tuple(sorted(scored, key=lambda r: -abs(r.points))[:TOP_REASONS])
    seen_at, seen_text = _seen(alert)
    return DigestItem(
        alert=alert,
        company=company,
        team_id=team_id,
        team_name=team_name,
        role=role or None,
        seen_at=seen_at,
        seen_text=seen_text,
        category=category,
        reasons=reasons,
        top_reasons=top,
        flags=_flags(alert),
        summary=alert.summary_for(lang),
    )


@dataclass(frozen=True, slots=True)
class _Companies:
    """Every company the digest knows of (watched, with filings, or on the trend),
    in the one shared order: by team (in the timeline's order), then by name."""

    order: list[str]
    team: dict[str, str | None]
    names: dict[str, str]  # in the digest's language
    corp_names: dict[str, str]  # OpenDART's names


def _known_companies(
    companies: Sequence[CompanyRef],
    items: Sequence[DigestItem],
    points: Sequence[TrendPoint],
    lang: str,
    company_name: Callable[[str, str], str],
    team_order: Mapping[str, int],
) -> _Companies:
    team: dict[str, str | None] = {c.corp_code: c.team for c in companies}
    names: dict[str, str] = {c.corp_code: c.name(lang) for c in companies}
    corp_names: dict[str, str] = {c.corp_code: c.name_ko for c in companies}
    for item in items:
        if item.team_id or item.alert.corp_code not in team:
            team[item.alert.corp_code] = item.team_id
        names.setdefault(item.alert.corp_code, item.company)
        corp_names.setdefault(item.alert.corp_code, item.alert.corp_name)
    for p in points:
        team.setdefault(p.corp_code, None)
        names.setdefault(p.corp_code, company_name(p.corp_code, p.corp_name))
        corp_names.setdefault(p.corp_code, p.corp_name)

    def key(corp_code: str) -> tuple[int, str, str]:
        own = team.get(corp_code)
        rank = team_order.get(own, len(team_order)) if own else len(team_order) + 1
        return rank, names.get(corp_code, corp_code), corp_code

    return _Companies(sorted(team, key=key), team, names, corp_names)


def _sections(
    known: _Companies, items: Sequence[DigestItem], team_display: Mapping[str, str]
) -> list[CompanySection]:
    """One section per company with filings today, in the shared order."""
    sections = []
    for code in known.order:
        own = tuple(i for i in items if i.alert.corp_code == code)
        if not own:
            continue
        team = known.team.get(code)
        sections.append(
            CompanySection(
                corp_code=code,
                company=known.names[code],
                team_id=team,
                team_name=team_display.get(team) if team else None,
                role=own[0].role,
                items=own,
            )
        )
    return sections


def _counts(
    known: _Companies,
    items: Sequence[DigestItem],
    refs: Mapping[str, CompanyRef],
    team_display: Mapping[str, str],
) -> list[CompanyCount]:
    """Today's counts per watched company (0 for a silent one)."""
    counts = []
    for code in known.order:
        own_items = [i for i in items if i.alert.corp_code == code]
        if not own_items and code not in refs:
            continue  # trend-only companies are not "watched" today
        team = known.team.get(code)
        counts.append(
            CompanyCount(
                corp_code=code,
                corp_name=known.corp_names.get(code, code),
                company=known.names[code],
                team_id=team,
                team_name=team_display.get(team) if team else None,
                filings=len(own_items),
                ai_related=sum(1 for i in own_items if i.alert.ai_related),
                changes=sum(1 for i in own_items if i.flags),
            )
        )
    return counts


def build_digest(
    day: date,
    alerts: Iterable[Alert],
    trend_counts: Iterable[TrendPoint],
    timeline_box: Mapping[str, Any],
    lang: str,
    *,
    companies: Sequence[CompanyRef] = (),
    markers: Sequence[Marker] = (),
    generated_at: datetime | None = None,
    style: ChartStyle | None = None,
) -> Digest:
    """The digest of business day *day* from its *alerts* (filings with receipt dates in
    the digest's span), the per-company daily counts of the 30 days ending on *day*,
    and the timeline box of *day* (:func:`monitor.kai.timeline.views.timeline_box`).

    *companies* are the watched companies (counted with 0 when silent, English names);
    *markers* the milestones to draw on the trend (:func:`trend_markers`);
    *generated_at* is shown in the footer only when given, so the default is
    reproducible.
    """
    if lang not in LANGS:
        raise DigestInputError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    style = style or bundled_labels().chart
    by_name, team_order, team_display = _team_ids(timeline_box)
    refs = {c.corp_code: c for c in companies}
    span_start, span_end = span(day)

    # One entry per rcept_no (a caller may pass a filing twice); the last one wins.
    unique: dict[str, Alert] = {}
    for alert in alerts:
        unique[alert.rcept_no] = alert

    def company_name(corp_code: str, fallback: str) -> str:
        ref = refs.get(corp_code)
        return ref.name(lang) if ref else fallback

    items = [
        _item(a, lang, company_name(a.corp_code, a.corp_name), by_name) for a in unique.values()
    ]
    points = [p for p in trend_counts if p.filings > 0]
    known = _known_companies(companies, items, points, lang, company_name, team_order)
    rank = {code: i for i, code in enumerate(known.order)}

    def item_key(item: DigestItem) -> tuple[int, str, str, str]:
        seen = item.seen_at.isoformat() if item.seen_at else "~"
        return rank[item.alert.corp_code], item.alert.rcept_dt, seen, item.alert.rcept_no

    items.sort(key=item_key)
    ai_items = sorted(
        (i for i in items if i.alert.ai_related),
        key=lambda i: (-i.alert.relevance, i.alert.rcept_no),
    )
    changes = sorted((i for i in items if i.flags), key=lambda i: i.alert.rcept_no)
    sections = _sections(known, items, team_display)
    counts = _counts(known, items, refs, team_display)
    order, names, company_team = known.order, known.names, known.team
    trend = _trend(day, points, order, names, company_team, refs, markers, style)
    version = str(timeline_box.get("timeline_version") or "")
    if not version and items:
        version = items[0].alert.timeline_version
    return Digest(
        day=day,
        lang=lang,
        span_start=span_start,
        span_end=span_end,
        items=tuple(items),
        ai_items=tuple(ai_items),
        changes=tuple(changes),
        sections=tuple(sections),
        counts=tuple(counts),
        # The full milestone list stays in `dartwatch timeline`; the digest shows the box.
        timeline={k: v for k, v in timeline_box.items() if k != "milestones"},
        timeline_version=version,
        trend=trend,
        generated_at=generated_at.astimezone(KST) if generated_at else None,
    )


def _trend(
    day: date,
    points: Sequence[TrendPoint],
    order: Sequence[str],
    names: Mapping[str, str],
    company_team: Mapping[str, str | None],
    refs: Mapping[str, CompanyRef],
    markers: Sequence[Marker],
    style: ChartStyle,
) -> Trend:
    start, end = trend_window(day)
    days = tuple(start + timedelta(days=i) for i in range((end - start).days + 1))
    index = {d: i for i, d in enumerate(days)}
    counts: dict[str, list[int]] = {}
    for p in points:
        i = index.get(p.day)
        if i is not None:
            counts.setdefault(p.corp_code, [0] * len(days))[i] += p.filings
    series: list[TrendSeries] = []
    for code in order:
        if code not in counts and code not in refs:
            continue
        colour = style.palette[len(series) % len(style.palette)]
        series.append(
            TrendSeries(code, names[code], colour, tuple(counts.get(code, [0] * len(days))))
        )
    shown = sorted(
        (m for m in markers if start <= m.day <= end), key=lambda m: (m.day, not m.key, m.title)
    )
    return Trend(
        start=start,
        end=end,
        days=days,
        business=tuple(is_business_day(d) for d in days),
        series=tuple(series),
        markers=tuple(shown),
    )


def trend_markers(
    timeline: Timeline, start: date, end: date, lang: str, today: date | None = None
) -> list[Marker]:
    """The timeline's milestones whose first day falls in ``[start, end]``, each with its
    status as known on *today* (default *end*)."""
    as_of = today or end
    return [
        Marker(
            day=m.first_day,
            date_text=m.date_text,
            title=m.title(lang),
            key=m.key,
            status=status_at(m, as_of),
            approximate=m.approximate,
            status_label=status_label(timeline, status_at(m, as_of), lang),
        )
        for m in timeline.milestones
        if start <= m.first_day <= end
    ]
