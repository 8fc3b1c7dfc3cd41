"""The timeline as people see it: the box (digest, Telegram ``/timeline``, CLI), each
milestone's view on a day, the plain-text rendering and the admins' stale reminder."""

from __future__ import annotations

from datetime import date
from typing import Any

from monitor.kai.timeline.model import Milestone, NearMilestone, Phase, Team, Timeline
from monitor.kai.timeline.queries import (
    milestones_around,
    near_milestone,
    outcome_at,
    past_sources,
    phase_at,
    sources_end,
    stale,
    status_at,
    team_standing,
)
from monitor.kai.timeline.text import ui_text


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
    next_key = next(
        (near_milestone(m, day) for m in timeline.near_index(None).keyed if m.first_day > day), None
    )
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
