"""Reading, validating and merging timeline files into a :class:`Timeline`.

The bundled ``data/timeline.toml`` holds what our sources knew in spring 2026. A user
file (setting ``TIMELINE_FILE``) overrides or extends it: entries with the same ``id``
replace bundled ones, new ids are added, tables (labels, kinds, meta) merge by key.
Every problem is reported as ``section[index].field: message`` so a user can find it;
validation collects all problems before raising :class:`TimelineError`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.kai.timeline.model import (
    ALL_TEAMS,
    RECORD_RESULTS,
    ROLES,
    STATUSES,
    TEAM_STATUSES,
    Label,
    Meta,
    Milestone,
    PartialDate,
    Phase,
    Record,
    StatusChange,
    Team,
    Timeline,
    TimelineError,
)
from monitor.kai.timeline.schema import (
    LabelEntry,
    MetaEntry,
    MilestoneEntry,
    PhaseEntry,
    RecordEntry,
    StatusChangeEntry,
    TeamEntry,
    any_date,
    check,
    entry_of,
    full_date,
    strings,
    text,
    type_name,
    valid,
)
from monitor.kai.timeline.text import ui_text

if TYPE_CHECKING:
    from monitor.core.settings import Settings

BUNDLED_FILE = Path(__file__).resolve().parents[2] / "data" / "timeline.toml"

# --- one file --------------------------------------------------------------------


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
LABEL_GROUPS = ("roles", "team_status", "status")


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


def _parse_document(raw: dict[str, Any], errors: list[str]) -> _Parsed:
    """Every entry of one file that is valid on its own, and every problem in *errors*."""
    parsed = _Parsed()
    for name in raw:
        if name not in _TOP_LEVEL:
            errors.append(f"{name}: unknown section (allowed: {', '.join(_TOP_LEVEL)})")
    if "schema" in raw and raw["schema"] != 1:
        errors.append(f"schema: unsupported schema {raw['schema']!r} (this dartwatch reads 1)")
    if "meta" in raw:
        _parse_meta(raw["meta"], parsed, errors)
    if "labels" in raw:
        _parse_labels(raw["labels"], parsed, errors)
    if "kinds" in raw:
        parsed.kinds = _label_table("kinds", raw["kinds"], errors)
    _parse_phases(_items(raw, "phases"), parsed, errors)
    _parse_teams(_items(raw, "teams"), parsed, errors)
    _parse_status_changes(_items(raw, "status_changes"), parsed, errors)
    _parse_milestones(_items(raw, "milestones"), parsed, errors)
    _parse_records(_items(raw, "records"), parsed, errors)
    return parsed


def _items(raw: dict[str, Any], section: str) -> list[Any]:
    """The entries of an array section (a section that is not an array has none)."""
    value = raw.get(section, [])
    return value if isinstance(value, list) else []


def _parse_meta(data: object, parsed: _Parsed, errors: list[str]) -> None:
    """The fields given; a wrong title counts as missing once the files are merged."""
    checked = check(MetaEntry, "meta", data)
    errors.extend(checked.problems)
    if not isinstance(data, dict):
        return
    fields = MetaEntry.model_fields
    good = {k: v for k, v in data.items() if k in fields and k not in checked.failed}
    meta = MetaEntry.model_validate(good)
    for name in fields:
        if name in checked.failed:
            parsed.meta[name] = None if name == "sources_end" else ""
        elif name in good:
            parsed.meta[name] = getattr(meta, name)


def _parse_labels(data: object, parsed: _Parsed, errors: list[str]) -> None:
    if not isinstance(data, dict):
        errors.append(f"labels: expected a table, got {type_name(data)}")
        return
    for group, table in data.items():
        if group not in LABEL_GROUPS:
            errors.append(f"labels.{group}: unknown group (allowed: {', '.join(LABEL_GROUPS)})")
            continue
        parsed.labels[group] = _label_table(f"labels.{group}", table, errors)


def _label_table(where: str, data: object, errors: list[str]) -> dict[str, Label]:
    if not isinstance(data, dict):
        errors.append(f"{where}: expected a table, got {type_name(data)}")
        return {}
    out: dict[str, Label] = {}
    for key, value in data.items():
        label = entry_of(LabelEntry, f"{where}.{key}", value, errors)
        if label is not None:
            out[key] = label.build()
    return out


def _parse_phases(items: list[Any], parsed: _Parsed, errors: list[str]) -> None:
    for i, item in enumerate(items):
        where = f"phases[{i}]"
        phase = entry_of(PhaseEntry, where, item, errors)
        if isinstance(item, dict):
            start, end = valid(full_date, item.get("start")), valid(full_date, item.get("end"))
            if start and end and end < start:
                errors.append(f"{where}.end: {end.isoformat()} is before start {start.isoformat()}")
                continue
        if phase is not None:
            parsed.phases.append((where, phase.build()))


def _parse_teams(items: list[Any], parsed: _Parsed, errors: list[str]) -> None:
    for i, item in enumerate(items):
        where = f"teams[{i}]"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            parsed.declared.setdefault("teams", set()).add(item["id"].strip())
        team = entry_of(TeamEntry, where, item, errors)
        if team is not None:
            parsed.teams.append((where, team.build()))


def _parse_status_changes(items: list[Any], parsed: _Parsed, errors: list[str]) -> None:
    for i, item in enumerate(items):
        where = f"status_changes[{i}]"
        change = entry_of(StatusChangeEntry, where, item, errors)
        if isinstance(item, dict):
            if team := valid(text, item.get("team")):
                parsed.refs.append((f"{where}.team", "team", team))
            if isinstance(item.get("milestone"), str):
                parsed.refs.append((f"{where}.milestone", "milestone", item["milestone"]))
        if change is not None:
            parsed.status_changes.append((where, change.build()))


def _parse_milestones(items: list[Any], parsed: _Parsed, errors: list[str]) -> None:
    for i, item in enumerate(items):
        where = f"milestones[{i}]"
        milestone = entry_of(MilestoneEntry, where, item, errors)
        if not isinstance(item, dict):
            continue
        raw_id = item.get("id")
        declared = parsed.declared.setdefault("milestones", set())
        declared.add(raw_id.strip() if isinstance(raw_id, str) else "")
        if kind := valid(text, item.get("kind")):
            parsed.refs.append((f"{where}.kind", "kind", kind))
        for j, team_ref in enumerate(valid(strings, item.get("teams")) or ()):
            parsed.refs.append((f"{where}.teams[{j}]", "teams", team_ref))
        start, end = valid(any_date, item.get("date")), valid(any_date, item.get("end"))
        if start and end and end.last < start.first:
            errors.append(f"{where}.end: {end.text} is before date {start.text}")
            continue
        if milestone is not None:
            parsed.milestones.append((where, milestone.build()))


def _parse_records(items: list[Any], parsed: _Parsed, errors: list[str]) -> None:
    for i, item in enumerate(items):
        where = f"records[{i}]"
        entry = entry_of(RecordEntry, where, item, errors)
        if entry is None:
            continue
        record = entry.build()
        parsed.records.append((where, record))
        parsed.refs.append((f"{where}.milestone", "milestone", record.milestone))
        for team_id, _ in record.outcome.teams:
            parsed.refs.append((f"{where}.teams.{team_id}", "team", team_id))


# --- merging files -------------------------------------------------------------------


def _merge(
    base: list[tuple[str, Any]], extra: list[tuple[str, Any]], section: str, errors: list[str]
) -> list[tuple[str, Any]]:
    """Replace by id, append new ids; a duplicate id within one file is an error."""
    seen: dict[str, str] = {}
    for where, item in extra:
        if item.id in seen:
            errors.append(f"{where}.id: duplicate id {item.id!r} (also {seen[item.id]})")
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
    errors: list[str],
) -> None:
    team_ids = {team.id for _, team in parsed.teams} | parsed.declared.get("teams", set())
    milestone_ids = {m.id for _, m in parsed.milestones} | parsed.declared.get("milestones", set())
    for where, ref_type, value in parsed.refs:
        if ref_type == "teams" and value != ALL_TEAMS and value not in team_ids:
            known = ", ".join(sorted(team_ids | {ALL_TEAMS}))
            errors.append(f"{where}: unknown team {value!r} (known: {known})")
        elif ref_type == "team" and value not in team_ids:
            known = ", ".join(sorted(team_ids))
            errors.append(f"{where}: unknown team {value!r} (known: {known})")
        elif ref_type == "kind" and value not in kinds:
            known = ", ".join(sorted(kinds))
            errors.append(
                f"{where}: unknown kind {value!r} (known: {known}; add new kinds under [kinds])"
            )
        elif ref_type == "milestone" and value not in milestone_ids:
            errors.append(f"{where}: unknown milestone {value!r}")
    for group, keys in (
        ("roles", ROLES),
        ("team_status", TEAM_STATUSES),
        ("status", STATUSES),
    ):
        missing = [k for k in keys if k not in labels.get(group, {})]
        if missing:
            errors.append(f"labels.{group}: missing labels for {', '.join(missing)}")
    owners: dict[str, str] = {}
    for where, team in parsed.teams:
        for j, company in enumerate(team.companies):
            for code in (company.corp_code, company.stock_code):
                if not code:
                    continue
                if code in owners and owners[code] != team.id:
                    errors.append(
                        f"{where}.companies[{j}]: "
                        f"code {code} is already listed in team {owners[code]!r}"
                    )
                owners[code] = team.id
    phases = sorted(parsed.phases, key=lambda wp: wp[1].start)
    for (_, prev), (where, phase) in pairwise(phases):
        if phase.start <= prev.end:
            errors.append(
                f"{where}.start: "
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
                merged.status_changes, [(where, change)], "status_changes", []
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
    errors: list[str] = []
    merged = _Parsed()
    for source, raw in parts:
        local: list[str] = []
        parsed = _parse_document(raw, local)
        prefix = "" if source == "user" else "bundled timeline: "
        errors.extend(prefix + e for e in local)
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
            errors.append(f"meta.{name}: missing (required)")
    if errors:
        raise TimelineError(errors, origin if origin != "bundled" else str(BUNDLED_FILE))
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
