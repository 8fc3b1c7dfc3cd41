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
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from monitor.kai.timeline.model import (
    ALL_TEAMS,
    MILESTONE_STATUSES,
    RECORD_RESULTS,
    ROLES,
    STATUSES,
    TEAM_STATUSES,
    Label,
    Meta,
    Milestone,
    Model,
    Outcome,
    PartialDate,
    Phase,
    Reading,
    Record,
    StatusChange,
    Team,
    TeamCompany,
    Timeline,
    TimelineError,
)
from monitor.kai.timeline.text import ui_text

BUNDLED_FILE = Path(__file__).resolve().parents[2] / "data" / "timeline.toml"

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CORP_CODE_RE = re.compile(r"^\d{8}$")
_STOCK_CODE_RE = re.compile(r"^\d{6}$")
_URL_RE = re.compile(r"^https?://\S+$")

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


def remote_layer(settings: Any) -> Path | None:
    """The last good copy of TIMELINE_URL, when that setting is on and a copy exists."""
    cache = getattr(settings, "timeline_cache_file", None)
    if getattr(settings, "timeline_url", None) and cache is not None and Path(cache).is_file():
        return Path(cache)
    return None


def validate_file(path: Path | str) -> Timeline:
    """Check a user file as it would be used (merged over the bundled timeline)."""
    return load_timeline(path)


def timeline_for(
    settings: Any, *, on_error: Callable[[TimelineError], Exception] | None = None
) -> Timeline:
    """The timeline ``TIMELINE_FILE`` selects; a bad file becomes the caller's error type."""
    try:
        return load_timeline(settings.timeline_file, remote=remote_layer(settings))
    except TimelineError as exc:
        if on_error is None:
            raise
        raise on_error(exc) from None
