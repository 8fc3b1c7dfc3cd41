"""Questions about a day, each a pure function of ``(timeline, day)``: which phase, what
a milestone's status is, where a team stands, which milestones are near, whether the
data is stale."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from monitor.kai.timeline.model import (
    STALE_AFTER_DAYS,
    Milestone,
    NearMilestone,
    Outcome,
    PartialDate,
    Phase,
    StatusChange,
    TeamLink,
    Timeline,
)
from monitor.kai.timeline.text import ui_text

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
    i = bisect_right(timeline.phase_starts, day.toordinal()) - 1
    if i < 0:
        return None
    phase = timeline.phases[i]
    if day <= phase.end:
        return phase
    if i < len(timeline.phases) - 1:
        return None
    due = [m for m in timeline.near_index(None).keyed if m.last_day < day]
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


def near_milestone(m: Milestone, day: date) -> NearMilestone:
    """*m* as seen from *day*: how far, and whether the day falls inside it."""
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
    index = timeline.near_index(team)
    i = bisect_right(index.days, day.toordinal())
    before = near_milestone(index.before[i - 1], day) if i > 0 else None
    after = near_milestone(index.after[i], day) if i < len(index.days) else None
    return before, after


def nearest_key_milestone(
    timeline: Timeline, day: date, team: str | None = None
) -> NearMilestone | None:
    """The key milestone closest to *day* in either direction (ties: the earlier one)."""
    best: NearMilestone | None = None
    for m in timeline.near_index(team).keyed:
        seen = near_milestone(m, day)
        if best is None or seen.distance < best.distance:
            best = seen
    return best


def team_of(
    timeline: Timeline, corp_code: str | None, stock_code: str | None = None
) -> TeamLink | None:
    """The team a company belongs to, by corp code first, then by stock code."""
    if corp_code and (link := timeline.by_corp.get(corp_code)):
        return link
    if stock_code and (link := timeline.by_stock.get(stock_code.strip())):
        return link
    return None


def team_status_at(timeline: Timeline, team_id: str, day: date) -> StatusChange | None:
    """The team's latest status change on or before *day* (None: not yet in the project)."""
    days, changes = timeline.team_changes.get(team_id, ([], []))
    i = bisect_right(days, day.toordinal())
    return changes[i - 1] if i > 0 else None


def past_sources(timeline: Timeline, day: date) -> bool:
    """Whether *day* lies after the last month our sources cover."""
    end = timeline.meta.sources_end
    return end is not None and day > end.last
