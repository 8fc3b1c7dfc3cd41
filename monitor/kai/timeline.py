"""The K-AI project timeline as data, and the questions the matcher asks of it.

The bundled ``data/timeline.toml`` holds what our sources knew in spring 2026. A user
file (setting ``TIMELINE_FILE``) overrides or extends it: entries with the same ``id``
replace bundled ones, new ids are added, tables (labels, kinds, meta) merge by key.
Every problem is reported as ``section[index].field: message`` so a user can find it;
validation collects all problems before raising :class:`TimelineError`.

Everything below the loader is a pure function of ``(timeline, day)``.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import tomllib
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.core.settings import Settings

BUNDLED_FILE = Path(__file__).resolve().parents[1] / "data" / "timeline.toml"
_UI_FILE = Path(__file__).resolve().parents[1] / "data" / "ui_text.toml"

# What a file may say of a milestone or phase. ``overdue`` is never written: it is what a
# ``planned`` item becomes, at read time, once its last possible day has passed with no
# recorded outcome (:func:`status_at`).
MILESTONE_STATUSES = ("confirmed", "reported", "planned", "cancelled")
STATUSES = ("confirmed", "reported", "planned", "overdue", "cancelled")
TEAM_STATUSES = ("active", "eliminated")
# ``unverified``: the team was in the race before an elimination milestone that is now
# overdue, so whether it is still in is not known (:func:`team_standing`).
TEAM_STANDINGS = ("active", "eliminated", "unverified")
# How a record names a team's result; each maps to a team status.
RECORD_RESULTS = {"advanced": "active", "eliminated": "eliminated"}
# After this many days past ``meta.sources_end`` every view says where the sources end.
STALE_AFTER_DAYS = 60
ROLES = ("lead", "lead_parent", "holding_company", "consortium_partner", "related")
ALL_TEAMS = "all"

Day = date  # fields named ``date`` shadow the type inside their class bodies

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_FULL_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_CORP_CODE_RE = re.compile(r"^\d{8}$")
_STOCK_CODE_RE = re.compile(r"^\d{6}$")
_URL_RE = re.compile(r"^https?://\S+$")


class TimelineError(Exception):
    """A timeline file is unusable; ``errors`` lists every problem found, one per line."""

    def __init__(self, errors: list[str], source: str = "") -> None:
        self.errors = list(errors)
        self.source = source
        first = self.errors[0] if self.errors else "invalid timeline"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{first}{more}")


# --- value types ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A date whose day may be unknown (``2026-08``): it then spans the whole month."""

    year: int
    month: int
    day: int | None = None

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        if isinstance(value, date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, str):
            text = value.strip()
            if m := _FULL_DATE_RE.match(text):
                y, mo, d = (int(g) for g in m.groups())
                date(y, mo, d)  # raises ValueError on 2026-02-30
                return cls(y, mo, d)
            if m := _MONTH_RE.match(text):
                y, mo = int(m.group(1)), int(m.group(2))
                if not 1 <= mo <= 12:
                    raise ValueError("month out of range")
                return cls(y, mo, None)
        raise ValueError("bad format")

    @property
    def approximate(self) -> bool:
        return self.day is None

    @property
    def first(self) -> date:
        return date(self.year, self.month, self.day or 1)

    @property
    def last(self) -> date:
        if self.day is not None:
            return date(self.year, self.month, self.day)
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def text(self) -> str:
        base = f"{self.year:04d}-{self.month:02d}"
        return base if self.day is None else f"{base}-{self.day:02d}"


@dataclass(frozen=True, slots=True)
class Label:
    ko: str
    en: str

    def text(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    title_ko: str
    title_en: str
    start: date
    end: date
    status: str
    sources: tuple[str, ...] = ()
    # Set on the stand-in phase after the last sourced one ("2차 평가 이후 — 일정 미확인").
    unknown: bool = False

    def title(self, lang: str) -> str:
        return self.title_ko if lang == "ko" else self.title_en


@dataclass(frozen=True, slots=True)
class Reading:
    """One outlet's reading of a milestone where the sources disagree."""

    ko: str
    en: str
    sources: tuple[str, ...]

    def text(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened at a milestone, as recorded by an operator (``[[records]]``)."""

    date: date
    ko: str
    en: str
    sources: tuple[str, ...]
    teams: tuple[tuple[str, str], ...] = ()  # (team id, advanced | eliminated)

    def text(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True, slots=True)
class Milestone:
    id: str
    date: PartialDate
    end: PartialDate | None
    kind: str
    key: bool
    title_ko: str
    title_en: str
    teams: tuple[str, ...]
    status: str
    sources: tuple[str, ...]
    note_ko: str = ""
    note_en: str = ""
    short_ko: str = ""
    short_en: str = ""
    # A cut: teams in the race before it are "unverified" once it is overdue.
    eliminates: bool = False
    readings: tuple[Reading, ...] = ()
    outcome: Outcome | None = None

    def short(self, lang: str) -> str:
        short = self.short_ko if lang == "ko" else self.short_en
        return short or self.title(lang)

    @property
    def first_day(self) -> Day:
        return self.date.first

    @property
    def last_day(self) -> Day:
        return (self.end or self.date).last

    @property
    def approximate(self) -> bool:
        return self.date.approximate

    @property
    def date_text(self) -> str:
        """``2025-07-30``, ``2026-08`` or a range ``2025-07-30..2025-07-31``."""
        return self.date.text if self.end is None else f"{self.date.text}..{self.end.text}"

    def affects(self, team_id: str) -> bool:
        return ALL_TEAMS in self.teams or team_id in self.teams

    def title(self, lang: str) -> str:
        return self.title_ko if lang == "ko" else self.title_en


@dataclass(frozen=True, slots=True)
class TeamCompany:
    role: str
    name_ko: str
    name_en: str
    corp_code: str | None = None
    stock_code: str | None = None
    verify: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    keywords: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name_ko: str
    name_en: str
    lead_ko: str
    lead_en: str
    companies: tuple[TeamCompany, ...]
    models: tuple[Model, ...]
    sources: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_ko if lang == "ko" else self.name_en

    @property
    def keywords(self) -> tuple[str, ...]:
        return tuple(k for model in self.models for k in model.keywords)


@dataclass(frozen=True, slots=True)
class StatusChange:
    id: str
    team: str
    date: Day
    status: str
    reason_ko: str
    reason_en: str
    milestone: str | None = None
    sources: tuple[str, ...] = ()

    def reason(self, lang: str) -> str:
        return self.reason_ko if lang == "ko" else self.reason_en


@dataclass(frozen=True, slots=True)
class TeamLink:
    """How a company belongs to a team."""

    team: Team
    company: TeamCompany

    @property
    def role(self) -> str:
        return self.company.role


@dataclass(frozen=True, slots=True)
class NearMilestone:
    """A milestone seen from a day. ``offset_days`` counts from the day to the milestone's
    first possible day (negative: before). Month-only dates count from the 1st and are
    ``approximate``; ``during`` is true when the day falls inside the milestone's span."""

    milestone: Milestone
    offset_days: int
    approximate: bool
    during: bool

    @property
    def distance(self) -> int:
        """Days between the day and the milestone's span (0 inside it)."""
        if self.during:
            return 0
        if self.offset_days > 0:
            return self.offset_days
        span = (self.milestone.last_day - self.milestone.first_day).days
        return -self.offset_days - span


@dataclass(frozen=True, slots=True)
class Meta:
    title_ko: str
    title_en: str
    sources_end: PartialDate | None


class Timeline:
    """The validated, merged timeline with lookup indexes; build it with :func:`load_timeline`."""

    def __init__(
        self,
        *,
        meta: Meta,
        labels: dict[str, dict[str, Label]],
        kinds: dict[str, Label],
        phases: list[Phase],
        teams: list[Team],
        status_changes: list[StatusChange],
        milestones: list[Milestone],
        version: str,
        origin: str,
    ) -> None:
        self.meta = meta
        self.labels = labels
        self.kinds = kinds
        self.phases = tuple(sorted(phases, key=lambda p: p.start))
        self.teams = tuple(teams)
        self.status_changes = tuple(sorted(status_changes, key=lambda s: s.date))
        # Stable sort: same-day milestones keep the file's order.
        self.milestones = tuple(sorted(milestones, key=lambda m: m.first_day))
        self.version = version
        self.origin = origin
        self.team_by_id = {t.id: t for t in self.teams}
        self.milestone_by_id = {m.id: m for m in self.milestones}
        self._phase_starts = [p.start.toordinal() for p in self.phases]
        self._by_corp: dict[str, TeamLink] = {}
        self._by_stock: dict[str, TeamLink] = {}
        for team in self.teams:
            for company in team.companies:
                link = TeamLink(team, company)
                if company.corp_code:
                    self._by_corp[company.corp_code] = link
                if company.stock_code:
                    self._by_stock[company.stock_code] = link
        self._status: dict[str, tuple[list[int], list[StatusChange]]] = {}
        for team in self.teams:
            changes = [s for s in self.status_changes if s.team == team.id]
            self._status[team.id] = ([s.date.toordinal() for s in changes], changes)
        self._near_index: dict[str | None, _NearIndex] = {}

    def label(self, group: str, key: str | None, lang: str) -> str:
        if key is None:
            return ""
        found = self.labels.get(group, {}).get(key)
        return found.text(lang) if found else key

    def kind_label(self, kind: str, lang: str) -> str:
        found = self.kinds.get(kind)
        return found.text(lang) if found else kind

    def _index(self, team: str | None) -> _NearIndex:
        index = self._near_index.get(team)
        if index is None:
            chosen = [m for m in self.milestones if team is None or m.affects(team)]
            index = self._near_index[team] = _NearIndex(chosen)
        return index


class _NearIndex:
    """Milestones grouped by first day; each group has its "before" and "after" pick
    (a key milestone wins a tie; otherwise the last resp. first in file order)."""

    def __init__(self, milestones: list[Milestone]) -> None:
        groups: dict[int, list[Milestone]] = {}
        for m in milestones:
            groups.setdefault(m.first_day.toordinal(), []).append(m)
        self.days = sorted(groups)
        self.before = [
            next((x for x in reversed(groups[d]) if x.key), groups[d][-1]) for d in self.days
        ]
        self.after = [next((x for x in groups[d] if x.key), groups[d][0]) for d in self.days]
        self.keyed = [m for m in milestones if m.key]


# --- questions about a day -----------------------------------------------------------


def status_at(milestone: Milestone, day: date) -> str:
    """The milestone's status as known on *day*: a recorded outcome (from its date on)
    wins; a ``planned`` milestone whose last possible day is before *day* is ``overdue``."""
    outcome = milestone.outcome
    if outcome is not None and outcome.date <= day:
        return "confirmed" if len(outcome.sources) >= 2 else "reported"
    if milestone.status == "planned" and day > milestone.last_day:
        return "overdue"
    return milestone.status


def outcome_at(milestone: Milestone, day: date) -> Outcome | None:
    """The recorded outcome if it was known on *day*."""
    outcome = milestone.outcome
    return outcome if outcome is not None and outcome.date <= day else None


def phase_at(timeline: Timeline, day: date) -> Phase | None:
    """The phase whose range contains *day*; None before the project or in a gap.

    After the last phase a source names, no phase is shown as fact: a stand-in reads
    "<last phase> 이후 — 일정 미확인" and carries the status of the latest key
    milestone already due (``overdue`` while its result is not recorded).
    """
    if not timeline.phases:
        return None
    i = bisect_right(timeline._phase_starts, day.toordinal()) - 1
    if i < 0:
        return None
    phase = timeline.phases[i]
    if day <= phase.end:
        return phase
    if i < len(timeline.phases) - 1:
        return None
    due = [m for m in timeline._index(None).keyed if m.last_day < day]
    status = status_at(due[-1], day) if due else "planned"
    return Phase(
        id=f"after_{phase.id}",
        title_ko=ui_text("after_phase", "ko").format(phase=phase.title_ko),
        title_en=ui_text("after_phase", "en").format(phase=phase.title_en),
        start=phase.end + timedelta(days=1),
        end=date.max,
        status=status,
        sources=(),
        unknown=True,
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """A team's standing on a day. ``pending`` is the overdue elimination milestone that
    makes an ``unverified`` standing; ``change`` the last recorded change."""

    status: str
    change: StatusChange
    pending: Milestone | None = None

    def label(self, timeline: Timeline, lang: str) -> str:
        if self.status == "unverified" and self.pending is not None:
            return ui_text("team_unverified", lang).format(milestone=self.pending.short(lang))
        return timeline.label("team_status", self.status, lang)


def team_standing(timeline: Timeline, team_id: str, day: date) -> Standing | None:
    """The team's standing on *day*; None before it joined the project.

    An ``active`` team becomes ``unverified`` once an elimination milestone affecting it,
    after its last change, is overdue: the cut should have happened and nobody recorded
    whether the team survived it.
    """
    change = team_status_at(timeline, team_id, day)
    if change is None:
        return None
    if change.status != "active":
        return Standing(change.status, change)
    for m in timeline.milestones:
        if (
            m.eliminates
            and m.affects(team_id)
            and m.id != change.milestone
            and m.first_day > change.date
            and status_at(m, day) == "overdue"
        ):
            return Standing("unverified", change, m)
    return Standing("active", change)


def sources_end(timeline: Timeline) -> str | None:
    """The last month (or day) the data covers: the bundled ``sources_end`` or the latest
    recorded outcome, whichever is later."""
    end = timeline.meta.sources_end
    recorded = [m.outcome.date for m in timeline.milestones if m.outcome is not None]
    latest = max(recorded, default=None)
    if latest is not None and (end is None or latest > end.last):
        return latest.isoformat()
    return end.text if end else None


def stale(timeline: Timeline, day: date) -> bool:
    """Whether *day* is more than :data:`STALE_AFTER_DAYS` past what the data covers."""
    end = sources_end(timeline)
    if end is None:
        return False
    last = PartialDate.parse(end).last
    return (day - last).days > STALE_AFTER_DAYS


def _near(m: Milestone, day: date) -> NearMilestone:
    return NearMilestone(
        milestone=m,
        offset_days=(m.first_day - day).days,
        approximate=m.approximate,
        during=m.first_day <= day <= m.last_day,
    )


def milestones_around(
    timeline: Timeline, day: date, team: str | None = None
) -> tuple[NearMilestone | None, NearMilestone | None]:
    """The nearest milestone on or before *day* and the nearest one after it.

    With *team*, only milestones affecting that team (or all teams) count. A month-only
    milestone counts as started on the 1st of its month.
    """
    index = timeline._index(team)
    i = bisect_right(index.days, day.toordinal())
    before = _near(index.before[i - 1], day) if i > 0 else None
    after = _near(index.after[i], day) if i < len(index.days) else None
    return before, after


def nearest_key_milestone(
    timeline: Timeline, day: date, team: str | None = None
) -> NearMilestone | None:
    """The key milestone closest to *day* in either direction (ties: the earlier one)."""
    best: NearMilestone | None = None
    for m in timeline._index(team).keyed:
        near = _near(m, day)
        if best is None or near.distance < best.distance:
            best = near
    return best


def team_of(
    timeline: Timeline, corp_code: str | None, stock_code: str | None = None
) -> TeamLink | None:
    """The team a company belongs to, by corp code first, then by stock code."""
    if corp_code and (link := timeline._by_corp.get(corp_code)):
        return link
    if stock_code and (link := timeline._by_stock.get(stock_code.strip())):
        return link
    return None


def team_status_at(timeline: Timeline, team_id: str, day: date) -> StatusChange | None:
    """The team's latest status change on or before *day* (None: not yet in the project)."""
    days, changes = timeline._status.get(team_id, ([], []))
    i = bisect_right(days, day.toordinal())
    return changes[i - 1] if i > 0 else None


def past_sources(timeline: Timeline, day: date) -> bool:
    """Whether *day* lies after the last month our sources cover."""
    end = timeline.meta.sources_end
    return end is not None and day > end.last


def stale_notice(timeline: Timeline, day: date) -> str | None:
    """The admins' weekly reminder while the data is stale, e.g. "timeline: no source
    after 2026-04; 2차 평가 result overdue by 91 days"; None when it is not stale."""
    if not stale(timeline, day):
        return None
    parts = [ui_text("stale_sources", "en").format(end=sources_end(timeline) or "?")]
    for m in timeline.milestones:
        if m.key and status_at(m, day) == "overdue":
            days = (day - m.last_day).days
            parts.append(ui_text("stale_overdue", "en").format(milestone=m.short("ko"), days=days))
    parts.append(ui_text("stale_hint", "en"))
    return "; ".join(parts)


# --- the timeline box (digest, Telegram /timeline, CLI) ----------------------------


def milestone_view(timeline: Timeline, m: Milestone, day: date, lang: str) -> dict[str, Any]:
    """One milestone as seen on *day*: the contract fields (``id``, ``date``, ``title``,
    ``status``, ``outcome``, ``sources``) and their labels."""
    status = status_at(m, day)
    outcome = outcome_at(m, day)
    sources = list(dict.fromkeys([*m.sources, *(u for r in m.readings for u in r.sources)]))
    if outcome is not None:
        sources = list(dict.fromkeys([*outcome.sources, *sources]))
    return {
        "id": m.id,
        "date": m.date_text,
        "title": m.title(lang),
        "status": status,
        "outcome": outcome.text(lang) if outcome else None,
        "sources": sources,
        "title_ko": m.title_ko,
        "title_en": m.title_en,
        "kind": m.kind,
        "kind_label": timeline.kind_label(m.kind, lang),
        "key": m.key,
        "status_label": status_label(timeline, status, lang),
        "outcome_date": outcome.date.isoformat() if outcome else None,
        "conflicting": len(m.readings) > 1 and outcome is None,
        "readings": []
        if outcome
        else [{"text": r.text(lang), "sources": list(r.sources)} for r in m.readings],
    }


def status_label(timeline: Timeline, status: str, lang: str) -> str:
    """The words for a status; ``overdue`` reads "결과 미기록 (예정일 경과)"."""
    return timeline.label("status", status, lang)


def _milestone_dict(
    timeline: Timeline, near: NearMilestone | None, day: date, lang: str
) -> dict[str, Any] | None:
    if near is None:
        return None
    return {
        **milestone_view(timeline, near.milestone, day, lang),
        "offset_days": near.offset_days,
        "days": abs(near.offset_days),
        "approximate": near.approximate,
        "during": near.during,
    }


def _phase_dict(timeline: Timeline, phase: Phase | None, day: date, lang: str) -> Any:
    if phase is None:
        return None
    return {
        "id": phase.id,
        "title": phase.title(lang),
        "title_ko": phase.title_ko,
        "title_en": phase.title_en,
        "start": phase.start.isoformat(),
        "end": None if phase.unknown else phase.end.isoformat(),
        "status": phase.status,
        "status_label": status_label(timeline, phase.status, lang),
        "sources": list(phase.sources),
        "unknown": phase.unknown,
        "day_of_phase": (day - phase.start).days + 1,
        "days_left": None if phase.unknown else (phase.end - day).days,
    }


def _team_dict(timeline: Timeline, team: Team, day: date, lang: str) -> dict[str, Any]:
    standing = team_standing(timeline, team.id, day)
    change = standing.change if standing else None
    return {
        "id": team.id,
        "name": team.name(lang),
        "name_ko": team.name_ko,
        "name_en": team.name_en,
        "status": standing.status if standing else None,
        "status_label": standing.label(timeline, lang)
        if standing
        else ui_text("not_in_project", lang),
        "since": change.date.isoformat() if change else None,
        "reason": change.reason(lang) if change else "",
        "pending": standing.pending.id if standing and standing.pending else None,
        "models": [model.name for model in team.models],
    }


def timeline_box(timeline: Timeline, day: date, lang: str = "ko") -> dict[str, Any]:
    """Where the project stands on *day*, as JSON-able data.

    The contract keys: ``as_of`` (the day), ``sources_end``, ``phase`` (or None),
    ``milestones`` (every milestone with its status on that day) and ``teams`` (each
    team's ``status``: active | eliminated | unverified, or None before it joined).
    Also: ``last_milestone`` / ``next_milestone`` / ``next_key_milestone`` (or None;
    ``days`` is the absolute day count, ``offset_days`` signed), ``stale`` and ``note``
    (set when the day is more than 60 days past what the data covers).
    """
    phase = phase_at(timeline, day)
    before, after = milestones_around(timeline, day)
    next_key = next((_near(m, day) for m in timeline._index(None).keyed if m.first_day > day), None)
    end = sources_end(timeline)
    is_stale = stale(timeline, day)
    return {
        "as_of": day.isoformat(),
        "sources_end": end,
        "phase": _phase_dict(timeline, phase, day, lang),
        "milestones": [milestone_view(timeline, m, day, lang) for m in timeline.milestones],
        "teams": [_team_dict(timeline, team, day, lang) for team in timeline.teams],
        "date": day.isoformat(),
        "lang": lang,
        "timeline_version": timeline.version,
        "title": timeline.meta.title_ko if lang == "ko" else timeline.meta.title_en,
        "last_milestone": _milestone_dict(timeline, before, day, lang),
        "next_milestone": _milestone_dict(timeline, after, day, lang),
        "next_key_milestone": _milestone_dict(timeline, next_key, day, lang),
        "stale": is_stale,
        "beyond_sources": past_sources(timeline, day),
        "note": ui_text("beyond_sources", lang).format(end=end or "") if is_stale else "",
    }


def milestone_status_text(near: dict[str, Any], lang: str) -> str:
    """``[결과 미기록 (예정일 경과)]``, plus "보도 엇갈림" where sources disagree."""
    parts = [near["status_label"]]
    if near.get("conflicting"):
        parts.append(ui_text("conflicting", lang))
    return ", ".join(parts)


def _days_text(near: dict[str, Any], lang: str) -> str:
    approx = "~" if near["approximate"] else ""
    if near["offset_days"] == 0 and not near["approximate"]:
        return ui_text("on_the_day", lang)
    if near["during"]:
        return ui_text("this_month" if near["approximate"] else "during", lang)
    key = "day" if near["days"] == 1 else "days"
    key += "_ago" if near["offset_days"] <= 0 else "_until"
    return ui_text(key, lang).format(n=f"{approx}{near['days']}")


def render_text(timeline: Timeline, day: date, lang: str = "ko", *, full: bool = True) -> str:
    """The CLI and Telegram view: the box, then (with *full*) every milestone with its
    status on *day* and today's marker. Says nothing about settings or commands: the
    same text reaches investors."""
    box = timeline_box(timeline, day, lang)

    def t(key: str) -> str:
        return ui_text(key, lang)

    lines = [f"{box['title']} — {t('today')} {box['date']}", ""]
    phase = box["phase"]
    if phase and phase["unknown"]:
        lines.append(f"{t('phase')}: {phase['title']} [{phase['status_label']}]")
    elif phase:
        lines.append(
            f"{t('phase')}: {phase['title']} ({phase['start']}..{phase['end']}, "
            f"{phase['status_label']}) — "
            + t("day_of_phase").format(n=phase["day_of_phase"], left=phase["days_left"])
        )
    else:
        lines.append(f"{t('phase')}: {t('no_phase')}")
    for key, label in (
        ("last_milestone", "last"),
        ("next_milestone", "next"),
        ("next_key_milestone", "next_key"),
    ):
        near = box[key]
        if near is None:
            lines.append(f"{t(label)}: —")
            continue
        star = "★ " if near["key"] else ""
        lines.append(
            f"{t(label)}: {star}{_date_range(near['date'])} {near['title']} "
            f"[{milestone_status_text(near, lang)}] ({_days_text(near, lang)})"
        )
        lines += _detail_lines(near, "    ")
    lines.append("")
    lines.append(f"{t('teams')}:")
    for team in box["teams"]:
        status = team["status_label"]
        if team["since"] and team["status"] != "unverified":
            status = t("status_since").format(status=status, since=team["since"])
        reason = f" — {team['reason']}" if team["reason"] and team["status"] != "unverified" else ""
        lines.append(f"  {team['name']}: {status}{reason}")
    if box["note"]:
        lines += ["", f"! {box['note']}"]
    if full:
        lines += ["", f"{t('milestones')}:"]
        marker_done = False
        for m, view in zip(timeline.milestones, box["milestones"], strict=True):
            if not marker_done and m.first_day > day:
                lines.append(f"  ▶ {box['date']} {t('today')}")
                marker_done = True
            star = "★" if m.key else " "
            lines.append(
                f" {star} {_date_range(view['date']):<22} {view['title']} "
                f"[{milestone_status_text(view, lang)}]"
            )
            lines += _detail_lines(view, "      ")
        if not marker_done:
            lines.append(f"  ▶ {box['date']} {t('today')}")
    lines.append("")
    lines.append(f"{t('version')}: {timeline.version}")
    return "\n".join(lines)


def _date_range(text: str) -> str:
    return text.replace("..", " … ")


def _detail_lines(view: dict[str, Any], indent: str) -> list[str]:
    """The recorded outcome, or each disagreeing reading with its sources."""
    if view.get("outcome"):
        return [f"{indent}→ {view['outcome']}"]
    if view.get("conflicting"):
        return [
            f"{indent}· {r['text']} ({', '.join(r['sources'])})"
            if r["sources"]
            else f"{indent}· {r['text']}"
            for r in view["readings"]
        ]
    return []


@lru_cache(maxsize=1)
def _ui() -> dict[str, dict[str, str]]:
    with _UI_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    return {key: dict(value) for key, value in data["timeline"].items()}


def ui_text(key: str, lang: str) -> str:
    entry = _ui()[key]
    return entry["ko"] if lang == "ko" else entry["en"]


# --- loading and validation ----------------------------------------------------------


@dataclass
class _Collector:
    errors: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")


class _Entry:
    """Field access for one table of the file that records what went wrong, and where."""

    def __init__(self, where: str, data: Any, errors: _Collector, allowed: Iterable[str]) -> None:
        self.where = where
        self.errors = errors
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.ok:
            errors.add(where, f"expected a table, got {_type_name(data)}")
            return
        allowed_set = set(allowed)
        for name in self.data:
            if name not in allowed_set:
                errors.add(
                    f"{where}.{name}",
                    f"unknown field (allowed: {', '.join(sorted(allowed_set))})",
                )

    def _fail(self, name: str, message: str) -> None:
        self.ok = False
        self.errors.add(f"{self.where}.{name}", message)

    def string(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(name)
        if value is None:
            if required:
                self._fail(name, "missing (required)")
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self._fail(name, f"expected a non-empty string, got {_show(value)}")
            return default
        return value.strip()

    def ident(self, name: str = "id") -> str:
        value = self.string(name)
        if value and not _ID_RE.match(value):
            self._fail(name, f"expected lower-case letters, digits, '-' or '_', got {value!r}")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self._fail(name, f"expected true or false, got {_show(value)}")
            return default
        return value

    def choice(self, name: str, options: Iterable[str]) -> str:
        value = self.string(name)
        opts = tuple(options)
        if value and value not in opts:
            self._fail(name, f"expected one of {', '.join(opts)}, got {value!r}")
        return value

    def partial_date(self, name: str, *, required: bool = True) -> PartialDate | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self._fail(name, "missing (required)")
            return None
        try:
            return PartialDate.parse(value)
        except ValueError:
            self._fail(name, f"expected a date as YYYY-MM-DD or YYYY-MM, got {_show(value)}")
            return None

    def full_date(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None:
            self._fail(name, "missing (required)")
            return None
        try:
            parsed = PartialDate.parse(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.day is None:
            self._fail(name, f"expected a date as YYYY-MM-DD, got {_show(value)}")
            return None
        return parsed.first

    def strings(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            if required:
                self._fail(name, "missing (required)")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self._fail(name, f"expected a list of non-empty strings, got {_show(value)}")
            return ()
        return tuple(v.strip() for v in value)

    def urls(self, name: str, *, required: bool = True) -> tuple[str, ...]:
        """A list of http(s) URLs; when *required*, at least one (every fact carries
        its sources)."""
        sources = self.strings(name, required=required)
        if required and name in self.data and not sources and isinstance(self.data[name], list):
            self._fail(name, "needs at least one source URL")
        for j, url in enumerate(sources):
            if not _URL_RE.match(url):
                self._fail(f"{name}[{j}]", f"expected an http(s) URL, got {_show(url)}")
        return sources

    def table_list(self, name: str) -> list[Any]:
        value = self.data.get(name, [])
        if not isinstance(value, list):
            self._fail(name, f"expected a list of tables, got {_show(value)}")
            return []
        return value


def _type_name(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return _type_name(value)


@dataclass
class _Parsed:
    """One file's entries, each with the label (``milestones[3]``) errors should use."""

    meta: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, dict[str, Label]] = field(default_factory=dict)
    kinds: dict[str, Label] = field(default_factory=dict)
    phases: list[tuple[str, Phase]] = field(default_factory=list)
    teams: list[tuple[str, Team]] = field(default_factory=list)
    status_changes: list[tuple[str, StatusChange]] = field(default_factory=list)
    milestones: list[tuple[str, Milestone]] = field(default_factory=list)
    records: list[tuple[str, Record]] = field(default_factory=list)
    # References to check once every file is merged, kept even for entries with other
    # errors so one run reports everything: (where, "team"|"teams"|"kind"|"milestone", value).
    refs: list[tuple[str, str, str]] = field(default_factory=list)
    # Ids declared, including by entries that failed validation (no knock-on errors).
    declared: dict[str, set[str]] = field(default_factory=dict)


_TOP_LEVEL = (
    "schema",
    "meta",
    "labels",
    "kinds",
    "phases",
    "teams",
    "status_changes",
    "milestones",
    "records",
)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise TimelineError(["file not found"], str(path)) from None
    except IsADirectoryError:
        raise TimelineError(["is a directory, not a timeline file"], str(path)) from None
    except PermissionError:
        raise TimelineError(["cannot read the file (permission denied)"], str(path)) from None
    except UnicodeDecodeError:
        raise TimelineError(["not UTF-8 text"], str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise TimelineError([f"TOML syntax error: {exc}"], str(path)) from None


def _label_table(where: str, data: Any, errors: _Collector) -> dict[str, Label]:
    out: dict[str, Label] = {}
    if not isinstance(data, dict):
        errors.add(where, f"expected a table, got {_type_name(data)}")
        return out
    for key, value in data.items():
        entry = _Entry(f"{where}.{key}", value, errors, ("ko", "en"))
        ko, en = entry.string("ko"), entry.string("en")
        if entry.ok:
            out[key] = Label(ko, en)
    return out


def _parse_document(raw: dict[str, Any], errors: _Collector) -> _Parsed:
    parsed = _Parsed()
    for name in raw:
        if name not in _TOP_LEVEL:
            errors.add(name, f"unknown section (allowed: {', '.join(_TOP_LEVEL)})")
    if "schema" in raw and raw["schema"] != 1:
        errors.add("schema", f"unsupported schema {raw['schema']!r} (this dartwatch reads 1)")

    if "meta" in raw:
        meta = _Entry("meta", raw["meta"], errors, ("title_ko", "title_en", "sources_end"))
        for name in ("title_ko", "title_en"):
            if name in meta.data:
                parsed.meta[name] = meta.string(name)
        if "sources_end" in meta.data:
            parsed.meta["sources_end"] = meta.partial_date("sources_end")

    if "labels" in raw:
        labels = raw["labels"]
        if not isinstance(labels, dict):
            errors.add("labels", f"expected a table, got {_type_name(labels)}")
        else:
            for group, table in labels.items():
                if group not in ("roles", "team_status", "status"):
                    errors.add(
                        f"labels.{group}", "unknown group (allowed: roles, team_status, status)"
                    )
                    continue
                parsed.labels[group] = _label_table(f"labels.{group}", table, errors)
    if "kinds" in raw:
        parsed.kinds = _label_table("kinds", raw["kinds"], errors)

    root = _Entry("", raw, _Collector(), _TOP_LEVEL)
    for i, item in enumerate(root.table_list("phases")):
        e = _Entry(
            f"phases[{i}]",
            item,
            errors,
            ("id", "title_ko", "title_en", "start", "end", "status", "sources"),
        )
        if not e.ok:
            continue
        phase_id = e.ident()
        title_ko, title_en = e.string("title_ko"), e.string("title_en")
        start, end = e.full_date("start"), e.full_date("end")
        status = e.choice("status", MILESTONE_STATUSES)
        sources = e.urls("sources")
        if start and end and end < start:
            e._fail("end", f"{end.isoformat()} is before start {start.isoformat()}")
        if e.ok and start and end:
            parsed.phases.append(
                (e.where, Phase(phase_id, title_ko, title_en, start, end, status, sources))
            )

    for i, item in enumerate(root.table_list("teams")):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            parsed.declared.setdefault("teams", set()).add(item["id"].strip())
        team = _parse_team(f"teams[{i}]", item, errors)
        if team is not None:
            parsed.teams.append((f"teams[{i}]", team))

    for i, item in enumerate(root.table_list("status_changes")):
        e = _Entry(
            f"status_changes[{i}]",
            item,
            errors,
            ("id", "team", "date", "status", "reason_ko", "reason_en", "milestone", "sources"),
        )
        if not e.ok:
            continue
        change_id, team_id = e.ident(), e.string("team")
        parsed.declared.setdefault("status_changes", set()).add(change_id)
        if team_id:
            parsed.refs.append((f"{e.where}.team", "team", team_id))
        if isinstance(e.data.get("milestone"), str):
            parsed.refs.append((f"{e.where}.milestone", "milestone", e.data["milestone"]))
        day = e.full_date("date")
        status = e.choice("status", TEAM_STATUSES)
        reason_ko, reason_en = e.string("reason_ko"), e.string("reason_en")
        milestone = e.string("milestone", required=False) or None
        sources = e.strings("sources")
        if e.ok and day:
            parsed.status_changes.append(
                (
                    e.where,
                    StatusChange(
                        change_id, team_id, day, status, reason_ko, reason_en, milestone, sources
                    ),
                )
            )

    for i, item in enumerate(root.table_list("milestones")):
        e = _Entry(
            f"milestones[{i}]",
            item,
            errors,
            (
                "id",
                "date",
                "end",
                "kind",
                "key",
                "title_ko",
                "title_en",
                "teams",
                "status",
                "sources",
                "note_ko",
                "note_en",
                "short_ko",
                "short_en",
                "eliminates",
                "readings",
            ),
        )
        if not e.ok:
            continue
        milestone_id = e.ident()
        m_start = e.partial_date("date")
        m_end = e.partial_date("end", required=False)
        kind, key = e.string("kind"), e.boolean("key")
        parsed.declared.setdefault("milestones", set()).add(milestone_id)
        if kind:
            parsed.refs.append((f"{e.where}.kind", "kind", kind))
        title_ko, title_en = e.string("title_ko"), e.string("title_en")
        if "teams" not in e.data:
            e._fail("teams", 'missing (required; use ["all"] for every team, [] for none)')
        teams = e.strings("teams")
        for j, team_ref in enumerate(teams):
            parsed.refs.append((f"{e.where}.teams[{j}]", "teams", team_ref))
        status = e.choice("status", MILESTONE_STATUSES)
        sources = e.urls("sources")
        note_ko = e.string("note_ko", required=False)
        note_en = e.string("note_en", required=False)
        short_ko = e.string("short_ko", required=False)
        short_en = e.string("short_en", required=False)
        eliminates = e.boolean("eliminates")
        readings = []
        for j, raw in enumerate(e.table_list("readings")):
            r = _Entry(f"{e.where}.readings[{j}]", raw, errors, ("ko", "en", "sources"))
            r_ko, r_en = r.string("ko"), r.string("en")
            r_sources = r.urls("sources", required=False)
            if r.ok:
                readings.append(Reading(r_ko, r_en, r_sources))
            else:
                e.ok = False
        if m_start and m_end and m_end.last < m_start.first:
            e._fail("end", f"{m_end.text} is before date {m_start.text}")
        if e.ok and m_start:
            parsed.milestones.append(
                (
                    e.where,
                    Milestone(
                        milestone_id,
                        m_start,
                        m_end,
                        kind,
                        key,
                        title_ko,
                        title_en,
                        teams,
                        status,
                        sources,
                        note_ko,
                        note_en,
                        short_ko,
                        short_en,
                        eliminates,
                        tuple(readings),
                    ),
                )
            )

    for i, item in enumerate(root.table_list("records")):
        record = _parse_record(f"records[{i}]", item, errors)
        if record is not None:
            parsed.records.append((f"records[{i}]", record))
            parsed.refs.append((f"records[{i}].milestone", "milestone", record.milestone))
            for team_id, _ in record.outcome.teams:
                parsed.refs.append((f"records[{i}].teams.{team_id}", "team", team_id))
    return parsed


@dataclass(frozen=True, slots=True)
class Record:
    """An operator's ``[[records]]`` entry: what happened at a milestone."""

    milestone: str
    outcome: Outcome

    @property
    def id(self) -> str:
        return self.milestone


def _parse_record(where: str, item: Any, errors: _Collector) -> Record | None:
    e = _Entry(
        where,
        item,
        errors,
        ("milestone", "date", "outcome_ko", "outcome_en", "teams", "sources", "recorded_at"),
    )
    if not e.ok:
        return None
    milestone = e.ident("milestone")
    day = e.full_date("date")
    outcome_ko = e.string("outcome_ko")
    outcome_en = e.string("outcome_en", required=False) or outcome_ko
    sources = e.urls("sources")
    e.string("recorded_at", required=False)
    teams: list[tuple[str, str]] = []
    raw_teams = e.data.get("teams", {})
    if not isinstance(raw_teams, dict):
        e._fail("teams", f'expected a table like {{ lg = "advanced" }}, got {_show(raw_teams)}')
    else:
        for team_id, result in raw_teams.items():
            if result not in RECORD_RESULTS:
                e._fail(
                    f"teams.{team_id}",
                    f"expected one of {', '.join(RECORD_RESULTS)}, got {_show(result)}",
                )
            else:
                teams.append((team_id, result))
    if not e.ok or day is None:
        return None
    return Record(milestone, Outcome(day, outcome_ko, outcome_en, sources, tuple(teams)))


def _parse_team(where: str, item: Any, errors: _Collector) -> Team | None:
    e = _Entry(
        where,
        item,
        errors,
        ("id", "name_ko", "name_en", "lead_ko", "lead_en", "companies", "models", "sources"),
    )
    if not e.ok:
        return None
    team_id = e.ident()
    name_ko, name_en = e.string("name_ko"), e.string("name_en")
    lead_ko, lead_en = e.string("lead_ko"), e.string("lead_en")
    sources = e.strings("sources")
    companies = []
    for j, raw in enumerate(e.table_list("companies")):
        c = _Entry(
            f"{where}.companies[{j}]",
            raw,
            errors,
            ("role", "name_ko", "name_en", "corp_code", "stock_code", "verify", "note"),
        )
        if not c.ok:
            e.ok = False
            continue
        role = c.choice("role", ROLES)
        c_ko, c_en = c.string("name_ko"), c.string("name_en")
        corp = c.string("corp_code", required=False) or None
        stock = c.string("stock_code", required=False) or None
        if corp and not _CORP_CODE_RE.match(corp):
            c._fail("corp_code", f"expected 8 digits, got {corp!r}")
        if stock and not _STOCK_CODE_RE.match(stock):
            c._fail("stock_code", f"expected 6 digits, got {stock!r}")
        if not corp and not stock and c.ok:
            c._fail("corp_code", "a company needs a corp_code or a stock_code")
        verify = c.boolean("verify")
        note = c.string("note", required=False)
        if c.ok:
            companies.append(TeamCompany(role, c_ko, c_en, corp, stock, verify, note))
        else:
            e.ok = False
    models = []
    for j, raw in enumerate(e.table_list("models")):
        m = _Entry(f"{where}.models[{j}]", raw, errors, ("name", "keywords", "note"))
        if not m.ok:
            e.ok = False
            continue
        name = m.string("name")
        keywords = m.strings("keywords")
        note = m.string("note", required=False)
        if m.ok:
            models.append(Model(name, keywords, note))
        else:
            e.ok = False
    if not e.ok:
        return None
    return Team(
        team_id, name_ko, name_en, lead_ko, lead_en, tuple(companies), tuple(models), sources
    )


def _merge(
    base: list[tuple[str, Any]], extra: list[tuple[str, Any]], section: str, errors: _Collector
) -> list[tuple[str, Any]]:
    """Replace by id, append new ids; a duplicate id within one file is an error."""
    seen: dict[str, str] = {}
    for where, item in extra:
        if item.id in seen:
            errors.add(f"{where}.id", f"duplicate id {item.id!r} (also {seen[item.id]})")
        seen[item.id] = where
    out = list(base)
    positions = {item.id: i for i, (_, item) in enumerate(out)}
    for where, item in extra:
        if item.id in positions:
            out[positions[item.id]] = (where, item)
        else:
            positions[item.id] = len(out)
            out.append((where, item))
    return out


def _cross_check(
    parsed: _Parsed,
    labels: dict[str, dict[str, Label]],
    kinds: dict[str, Label],
    errors: _Collector,
) -> None:
    team_ids = {team.id for _, team in parsed.teams} | parsed.declared.get("teams", set())
    milestone_ids = {m.id for _, m in parsed.milestones} | parsed.declared.get("milestones", set())
    for where, ref_type, value in parsed.refs:
        if ref_type == "teams" and value != ALL_TEAMS and value not in team_ids:
            known = ", ".join(sorted(team_ids | {ALL_TEAMS}))
            errors.add(where, f"unknown team {value!r} (known: {known})")
        elif ref_type == "team" and value not in team_ids:
            errors.add(where, f"unknown team {value!r} (known: {', '.join(sorted(team_ids))})")
        elif ref_type == "kind" and value not in kinds:
            errors.add(
                where,
                f"unknown kind {value!r} (known: {', '.join(sorted(kinds))}; "
                "add new kinds under [kinds])",
            )
        elif ref_type == "milestone" and value not in milestone_ids:
            errors.add(where, f"unknown milestone {value!r}")
    for group, keys in (
        ("roles", ROLES),
        ("team_status", TEAM_STATUSES),
        ("status", STATUSES),
    ):
        missing = [k for k in keys if k not in labels.get(group, {})]
        if missing:
            errors.add(f"labels.{group}", f"missing labels for {', '.join(missing)}")
    owners: dict[str, str] = {}
    for where, team in parsed.teams:
        for j, company in enumerate(team.companies):
            for code in (company.corp_code, company.stock_code):
                if not code:
                    continue
                if code in owners and owners[code] != team.id:
                    errors.add(
                        f"{where}.companies[{j}]",
                        f"code {code} is already listed in team {owners[code]!r}",
                    )
                owners[code] = team.id
    phases = sorted(parsed.phases, key=lambda wp: wp[1].start)
    for (_, prev), (where, phase) in pairwise(phases):
        if phase.start <= prev.end:
            errors.add(
                f"{where}.start",
                f"phase {phase.id!r} ({phase.start}..{phase.end}) overlaps phase "
                f"{prev.id!r} ({prev.start}..{prev.end})",
            )


def _apply_records(merged: _Parsed) -> None:
    """Attach each record's outcome to its milestone and turn its team results into
    status changes dated on the record (ids ``record-<milestone>-<team>``)."""
    by_id = {m.id: i for i, (_, m) in enumerate(merged.milestones)}
    for where, record in merged.records:
        i = by_id[record.milestone]
        _, milestone = merged.milestones[i]
        milestone = replace(milestone, outcome=record.outcome)
        merged.milestones[i] = (where, milestone)
        for team_id, result in record.outcome.teams:
            reason = {
                lang: ui_text(f"record_{result}", lang).format(milestone=milestone.short(lang))
                for lang in ("ko", "en")
            }
            change = StatusChange(
                id=f"record-{record.milestone}-{team_id}",
                team=team_id,
                date=record.outcome.date,
                status=RECORD_RESULTS[result],
                reason_ko=reason["ko"],
                reason_en=reason["en"],
                milestone=record.milestone,
                sources=record.outcome.sources,
            )
            merged.status_changes = _merge(
                merged.status_changes, [(where, change)], "status_changes", _Collector()
            )


def _canonical(value: Any) -> Any:
    if isinstance(value, PartialDate):
        return value.text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Label):
        return [value.ko, value.en]
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {name: _canonical(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def _build(parts: list[tuple[str, dict[str, Any]]], origin: str) -> Timeline:
    """Parse and merge documents in order (bundled first); raise with every problem."""
    errors = _Collector()
    merged = _Parsed()
    for source, raw in parts:
        local = _Collector()
        parsed = _parse_document(raw, local)
        prefix = "" if source == "user" else "bundled timeline: "
        errors.errors.extend(prefix + e for e in local.errors)
        if prefix:
            for section in ("phases", "teams", "status_changes", "milestones", "records"):
                tagged = [(prefix + where, item) for where, item in getattr(parsed, section)]
                setattr(parsed, section, tagged)
        merged.meta.update(parsed.meta)
        for group, table in parsed.labels.items():
            merged.labels.setdefault(group, {}).update(table)
        merged.kinds.update(parsed.kinds)
        merged.refs.extend((prefix + where, kind, value) for where, kind, value in parsed.refs)
        for section, ids in parsed.declared.items():
            merged.declared.setdefault(section, set()).update(ids)
        for section in ("phases", "teams", "status_changes", "milestones", "records"):
            setattr(
                merged,
                section,
                _merge(getattr(merged, section), getattr(parsed, section), section, errors),
            )
    _cross_check(merged, merged.labels, merged.kinds, errors)
    for name in ("title_ko", "title_en"):
        if not merged.meta.get(name):
            errors.add(f"meta.{name}", "missing (required)")
    if errors.errors:
        raise TimelineError(errors.errors, origin if origin != "bundled" else str(BUNDLED_FILE))
    _apply_records(merged)
    content = {
        "meta": merged.meta,
        "labels": merged.labels,
        "kinds": merged.kinds,
        **{
            s: [item for _, item in getattr(merged, s)]
            for s in ("phases", "teams", "status_changes", "milestones")
        },
    }
    digest = hashlib.sha256(
        json.dumps(_canonical(content), sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:8]
    return Timeline(
        meta=Meta(merged.meta["title_ko"], merged.meta["title_en"], merged.meta.get("sources_end")),
        labels=merged.labels,
        kinds=merged.kinds,
        phases=[p for _, p in merged.phases],
        teams=[t for _, t in merged.teams],
        status_changes=[s for _, s in merged.status_changes],
        milestones=[m for _, m in merged.milestones],
        version=f"{'bundled' if origin == 'bundled' else 'custom'}-{digest}",
        origin=origin,
    )


@lru_cache(maxsize=1)
def bundled_timeline() -> Timeline:
    return _build([("bundled", _read_toml(BUNDLED_FILE))], "bundled")


def load_timeline(path: Path | str | None = None, *, remote: Path | None = None) -> Timeline:
    """The bundled timeline, overridden/extended by the curated copy of TIMELINE_URL
    (*remote*) and then by the operator's file at *path*: local entries win."""
    if path is None and remote is None:
        return bundled_timeline()
    parts: list[tuple[str, dict[str, Any]]] = [("bundled", _read_toml(BUNDLED_FILE))]
    if remote is not None:
        parts.append(("user", _read_toml(remote)))
    if path is not None:
        parts.append(("user", _read_toml(Path(path))))
    return _build(parts, str(path if path is not None else remote))


def remote_layer(settings: Settings) -> Path | None:
    """The last good copy of TIMELINE_URL, when that setting is on and a copy exists."""
    cache = getattr(settings, "timeline_cache_file", None)
    if getattr(settings, "timeline_url", None) and cache is not None and Path(cache).is_file():
        return Path(cache)
    return None


def validate_file(path: Path | str) -> Timeline:
    """Check a user file as it would be used (merged over the bundled timeline)."""
    return load_timeline(path)


def timeline_for(
    settings: Settings, *, on_error: Callable[[TimelineError], Exception] | None = None
) -> Timeline:
    """The timeline ``TIMELINE_FILE`` selects; a bad file becomes the caller's error type."""
    try:
        return load_timeline(settings.timeline_file, remote=remote_layer(settings))
    except TimelineError as exc:
        if on_error is None:
            raise
        raise on_error(exc) from None
