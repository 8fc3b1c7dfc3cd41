"""The K-AI timeline's data model: dates that may lack a day, phases, milestones, teams,
status changes, and :class:`Timeline`, the merged whole with its lookup indexes.

Nothing here reads a file or knows a day: :mod:`.loading` builds a :class:`Timeline`,
:mod:`.queries` asks it about a day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

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

_FULL_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


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
        self.phase_starts = [p.start.toordinal() for p in self.phases]
        self.by_corp: dict[str, TeamLink] = {}
        self.by_stock: dict[str, TeamLink] = {}
        for team in self.teams:
            for company in team.companies:
                link = TeamLink(team, company)
                if company.corp_code:
                    self.by_corp[company.corp_code] = link
                if company.stock_code:
                    self.by_stock[company.stock_code] = link
        self.team_changes: dict[str, tuple[list[int], list[StatusChange]]] = {}
        for team in self.teams:
            changes = [s for s in self.status_changes if s.team == team.id]
            self.team_changes[team.id] = ([s.date.toordinal() for s in changes], changes)
        self._near_indexes: dict[str | None, NearIndex] = {}

    def label(self, group: str, key: str | None, lang: str) -> str:
        if key is None:
            return ""
        found = self.labels.get(group, {}).get(key)
        return found.text(lang) if found else key

    def kind_label(self, kind: str, lang: str) -> str:
        found = self.kinds.get(kind)
        return found.text(lang) if found else kind

    def near_index(self, team: str | None) -> NearIndex:
        """Milestones affecting *team* (None: all), indexed for the questions of a day."""
        index = self._near_indexes.get(team)
        if index is None:
            chosen = [m for m in self.milestones if team is None or m.affects(team)]
            index = self._near_indexes[team] = NearIndex(chosen)
        return index


class NearIndex:
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


@dataclass(frozen=True, slots=True)
class Record:
    """An operator's ``[[records]]`` entry: what happened at a milestone."""

    milestone: str
    outcome: Outcome

    @property
    def id(self) -> str:
        return self.milestone
