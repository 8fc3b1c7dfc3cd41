"""Place a filing on the K-AI timeline and score its AI relevance, with reasons.

Pure functions over plain data: :func:`match_filing` takes a filing (a
:class:`FilingInput` or a stored ``storage.models.Filing``), the :class:`Timeline` and
optionally the document body, and returns a :class:`MatchResult`. No I/O happens here
apart from reading the bundled rule files once.

The score is the sum of its reasons' points (title terms, body terms, category, team,
milestone proximity); when the sum leaves 0-100 a last "cap" reason brings it back, so
the points of ``reasons`` always add up to ``relevance`` exactly. The weights and texts
live in ``data/scoring.toml``, ``data/categories.toml`` and ``data/ai_terms.toml``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from monitor.kai.timeline import Timeline
from monitor.kai.timeline.model import Milestone, NearMilestone, TeamLink
from monitor.kai.timeline.queries import (
    milestones_around,
    outcome_at,
    phase_at,
    sources_end,
    stale,
    status_at,
    team_of,
    team_standing,
)
from notifiers.base import Alert, MilestoneRef, Reason

if TYPE_CHECKING:
    from monitor.facts.model import FactSet
    from storage.models import Filing, Match

_DATA = Path(__file__).resolve().parents[1] / "data"
BODY_STATUSES = (
    "ok",
    "not_fetched",
    "disabled",
    "timeout",
    "too_large",
    "missing",
    "error",
    "skipped",
    "unparseable",
)


class RulesError(Exception):
    """A bundled matcher rule file is broken (a packaging bug, not a user error)."""


# --- inputs --------------------------------------------------------------------------


class FilingLike(Protocol):
    """What the matcher reads from a filing; ``storage.models.Filing`` fits."""

    @property
    def rcept_no(self) -> str: ...
    @property
    def corp_code(self) -> str: ...
    @property
    def corp_name(self) -> str: ...
    @property
    def report_nm(self) -> str: ...
    @property
    def rcept_dt(self) -> str: ...
    @property
    def stock_code(self) -> str | None: ...
    @property
    def flr_nm(self) -> str | None: ...
    @property
    def rm(self) -> str: ...


@dataclass(frozen=True, slots=True)
class FilingInput:
    """A filing as OpenDART lists it (the fields the matcher needs)."""

    rcept_no: str
    corp_code: str
    corp_name: str
    report_nm: str
    rcept_dt: str  # YYYYMMDD
    stock_code: str | None = None
    flr_nm: str | None = None
    rm: str = ""


# --- result --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchResult:
    """A filing placed on the timeline. ``team``/``role``/``phase``/``category`` are ids;
    the ``_ko``/``_en`` fields are their labels. ``milestone_*.offset_days`` < 0 means
    the milestone came before the filing."""

    rcept_no: str
    timeline_version: str
    category: str
    category_ko: str
    category_en: str
    base_category: str
    correction: bool
    correction_prefix: str | None
    amended: bool
    withdrawn: bool
    team: str | None
    team_ko: str | None
    team_en: str | None
    role: str | None
    role_ko: str | None
    role_en: str | None
    team_status: str | None
    phase: str | None
    phase_ko: str | None
    phase_en: str | None
    phase_status: str | None
    milestone_before: MilestoneRef | None
    milestone_after: MilestoneRef | None
    relevance: int
    reasons: tuple[Reason, ...]
    ai_related: bool
    title_terms: tuple[str, ...]
    body_terms: tuple[str, ...]
    body_used: bool
    body_status: str
    title_only_ko: str | None
    title_only_en: str | None
    # The team status in words ("미확인 (2차 평가 결과 미기록)"); set with ``team_status``.
    team_status_ko: str | None = None
    team_status_en: str | None = None
    # Where the data ends, set only when the filing date is over 60 days past it.
    sources_end: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchResult:
        data = dict(data)
        for key in ("milestone_before", "milestone_after"):
            if isinstance(data.get(key), dict):
                data[key] = MilestoneRef(**data[key])
        data["reasons"] = tuple(
            r if isinstance(r, Reason) else Reason(**r) for r in data.get("reasons", ())
        )
        for key in ("title_terms", "body_terms"):
            data[key] = tuple(data.get(key, ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_row(self, matched_at: datetime | None = None) -> Match:
        """The storage row; ``detail`` keeps everything needed to rebuild this result."""
        from storage.models import Match, utcnow

        return Match(
            rcept_no=self.rcept_no,
            timeline_version=self.timeline_version,
            team=self.team,
            role=self.role,
            phase=self.phase,
            category=self.category,
            relevance=self.relevance,
            ai_related=self.ai_related,
            reasons=[asdict(r) for r in self.reasons],
            detail=self.to_dict(),
            body_used=self.body_used,
            matched_at=matched_at or utcnow(),
        )

    @classmethod
    def from_row(cls, row: Match) -> MatchResult:
        """Rebuild from a stored row (columns win over ``detail`` where both exist)."""
        data = dict(row.detail or {})
        data.update(
            rcept_no=row.rcept_no,
            timeline_version=row.timeline_version,
            team=row.team,
            role=row.role,
            phase=row.phase,
            category=row.category,
            relevance=row.relevance,
            ai_related=row.ai_related,
            reasons=row.reasons,
            body_used=row.body_used,
        )
        defaults: dict[str, Any] = {
            "category_ko": row.category,
            "category_en": row.category,
            "base_category": row.category,
            "correction": False,
            "correction_prefix": None,
            "amended": False,
            "withdrawn": False,
            "body_status": "ok" if row.body_used else "not_fetched",
        }
        for name in cls.__dataclass_fields__:
            data.setdefault(name, defaults.get(name))
        return cls.from_dict(data)


# --- rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Category:
    id: str
    ko: str
    en: str
    weight: int
    pattern: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class _Term:
    id: str
    label: str
    weight: int


def _load(name: str) -> dict[str, Any]:
    try:
        with (_DATA / name).open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{name}: {exc}") from None


def _require(data: dict[str, Any], where: str, *keys: str) -> None:
    for key in keys:
        if key not in data:
            raise RulesError(f"{where}.{key}: missing")


@dataclass(frozen=True)
class _Base:
    """The rule files, validated once."""

    categories: tuple[_Category, ...]
    by_id: dict[str, _Category]
    prefixes: dict[str, tuple[str, str]]
    terms: tuple[tuple[_Term, tuple[str, ...]], ...]
    scoring: dict[str, Any]
    texts: dict[str, tuple[str, str]]
    body_labels: dict[str, tuple[str, str]]


@lru_cache(maxsize=1)
def _base() -> _Base:
    cats_raw = _load("categories.toml")
    categories = []
    for i, c in enumerate(cats_raw.get("categories", [])):
        where = f"categories.toml: categories[{i}]"
        _require(c, where, "id", "ko", "en", "weight", "patterns")
        try:
            pattern = (
                re.compile("|".join(f"(?:{p})" for p in c["patterns"])) if c["patterns"] else None
            )
        except re.error as exc:
            raise RulesError(f"{where}.patterns: {exc}") from None
        categories.append(_Category(c["id"], c["ko"], c["en"], int(c["weight"]), pattern))
    by_id = {c.id: c for c in categories}
    for needed in ("other", "correction", "withdrawal"):
        if needed not in by_id:
            raise RulesError(f"categories.toml: category {needed!r} missing")
    prefixes = {k: (v["ko"], v["en"]) for k, v in cats_raw.get("prefixes", {}).items()}

    terms_raw = _load("ai_terms.toml")
    terms = []
    for i, t in enumerate(terms_raw.get("terms", [])):
        _require(t, f"ai_terms.toml: terms[{i}]", "id", "label", "weight", "variants")
        terms.append((_Term(t["id"], t["label"], int(t["weight"])), tuple(t["variants"])))

    scoring = _load("scoring.toml")
    for section in (
        "title",
        "body",
        "team",
        "roles",
        "proximity",
        "ai_related",
        "reasons",
        "body_status",
    ):
        _require(scoring, "scoring.toml", section)
    texts = {k: (v["ko"], v["en"]) for k, v in scoring["reasons"].items()}
    body_labels = {k: (v["ko"], v["en"]) for k, v in scoring["body_status"].items()}
    for status in BODY_STATUSES:
        if status not in body_labels:
            raise RulesError(f"scoring.toml: body_status.{status}: missing")
    return _Base(tuple(categories), by_id, prefixes, tuple(terms), scoring, texts, body_labels)


def _normalise_key(text: str) -> str:
    return "".join(text.lower().split())


def _variant_regex(variant: str) -> str:
    """A regex for one literal variant of lower-cased text. Branches start with a literal
    character (the boundary check follows it) so the engine can skip ahead on the set of
    first characters instead of trying every branch at every position."""
    text = " ".join(variant.lower().split())
    parts = []
    for i, ch in enumerate(text):
        if ch == " ":
            parts.append(r"\s*")
            continue
        parts.append(re.escape(ch))
        if i == 0 and re.match(r"[a-z0-9]", ch):
            parts.append(rf"(?<![a-z0-9]{re.escape(ch)})")
    if re.match(r"[a-z0-9]", text[-1]):
        parts.append(r"(?![a-z0-9])")
    return "".join(parts)


class Rules:
    """Compiled rules for one timeline (its model keywords join the term list)."""

    def __init__(self, timeline: Timeline) -> None:
        base = _base()
        self.base = base
        self.scoring = base.scoring
        self.timeline_version = timeline.version
        self.term_by_key: dict[str, _Term] = {}
        variants: list[str] = []
        for term, term_variants in base.terms:
            for v in term_variants:
                key = _normalise_key(v)
                if key and key not in self.term_by_key:
                    self.term_by_key[key] = term
                    variants.append(v)
        model_weight = int(base.scoring.get("model_keywords", {}).get("weight", 35))
        for team in timeline.teams:
            for model in team.models:
                term = _Term(f"model:{model.name}", model.name, model_weight)
                for v in model.keywords:
                    key = _normalise_key(v)
                    if key and key not in self.term_by_key:
                        self.term_by_key[key] = term
                        variants.append(v)
        # Longest first, so "K-EXAONE" wins over "EXAONE" and "A.X K1" over "A.X". No
        # capture groups: they would stop the engine from skipping ahead on the set of
        # first characters (measured: 40x slower on a 200 KB body).
        variants.sort(key=lambda v: -len(_normalise_key(v)))
        self.term_re = re.compile("|".join(_variant_regex(v) for v in variants))
        self.prefix_re = re.compile(
            r"\s*\[(" + "|".join(re.escape(p) for p in base.prefixes) + r")\]\s*"
        )

    def terms_in(self, text: str) -> dict[_Term, int]:
        """Occurrences per term in *text* (one regex pass over the lower-cased text)."""
        by_text: dict[str, int] = {}
        for matched in self.term_re.findall(text.lower()):
            by_text[matched] = by_text.get(matched, 0) + 1
        found: dict[_Term, int] = {}
        for matched, count in by_text.items():
            term = self.term_by_key.get("".join(matched.split()))
            if term is not None:
                found[term] = found.get(term, 0) + count
        return found


_RULES_CACHE: dict[str, Rules] = {}


def categories() -> list[tuple[str, str, str]]:
    """``(id, ko, en)`` of the categories a filing can fall in, in file order (what a
    chat can switch off with ``/types``). Correction and withdrawal wrap another
    category, so they are not choices of their own."""
    return [(c.id, c.ko, c.en) for c in _base().categories if c.id not in WRAPPERS]


WRAPPERS = ("correction", "withdrawal")


def rules_for(timeline: Timeline) -> Rules:
    rules = _RULES_CACHE.get(timeline.version)
    if rules is None:
        if len(_RULES_CACHE) > 8:
            _RULES_CACHE.clear()
        rules = _RULES_CACHE[timeline.version] = Rules(timeline)
    return rules


# --- matching ------------------------------------------------------------------------


def _parse_day(rcept_dt: str) -> date | None:
    text = (rcept_dt or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _ref(near: NearMilestone | None, day: date) -> MilestoneRef | None:
    if near is None:
        return None
    m = near.milestone
    outcome = outcome_at(m, day)
    return MilestoneRef(
        date=m.date.text,
        title_ko=m.title_ko,
        title_en=m.title_en,
        offset_days=near.offset_days,
        key=m.key,
        status=status_at(m, day),
        end=m.end.text if m.end else "",
        conflicting=len(m.readings) > 1 and outcome is None,
        outcome_ko=outcome.ko if outcome else "",
        outcome_en=outcome.en if outcome else "",
    )


def verified(m: Milestone, day: date) -> bool:
    """Whether *m* may earn proximity points on *day*: not overdue or cancelled, and
    not a range whose date the outlets dispute (readings differ, no outcome recorded)."""
    if status_at(m, day) not in ("confirmed", "reported", "planned"):
        return False
    disputed = len(m.readings) > 1 and m.end is not None and outcome_at(m, day) is None
    return not disputed


def _nearest_key(
    timeline: Timeline, day: date, team: str
) -> tuple[NearMilestone | None, NearMilestone | None]:
    """The nearest key milestone of *team* and the nearest one that is :func:`verified`
    (ties: the earlier one)."""
    nearest: NearMilestone | None = None
    nearest_ok: NearMilestone | None = None
    for m in timeline.milestones:
        if not (m.key and m.affects(team)):
            continue
        near = NearMilestone(
            m, (m.first_day - day).days, m.approximate, m.first_day <= day <= m.last_day
        )
        if nearest is None or near.distance < nearest.distance:
            nearest = near
        if verified(m, day) and (nearest_ok is None or near.distance < nearest_ok.distance):
            nearest_ok = near
    return nearest, nearest_ok


def _decayed(weights: list[float], decay: float) -> float:
    return sum(w * decay**i for i, w in enumerate(sorted(weights, reverse=True)))


def _reason(rules: Rules, key: str, points: int, **values: Any) -> Reason:
    ko, en = rules.base.texts[key]
    return Reason(points=points, ko=ko.format(**values), en=en.format(**values))


def categorise(
    report_nm: str, rm: str = "", rules: Rules | None = None
) -> tuple[str, str | None, bool]:
    """``(base_category, correction_prefix, withdrawn)`` for a title and ``rm``."""
    base = rules.base if rules else _base()
    title = (report_nm or "").strip()
    prefix = None
    prefix_re = rules.prefix_re if rules else None
    if prefix_re is not None:
        # Walk the prefixes by position: slicing the title after each one would copy
        # it once per prefix (quadratic on a crafted title of 100,000 prefixes).
        pos = 0
        while m := prefix_re.match(title, pos):
            prefix = prefix or m.group(1)
            pos = m.end()
        title = title[pos:]
    category = "other"
    for c in base.categories:
        if c.pattern is not None and c.pattern.search(title):
            category = c.id
            break
    withdrawn = "철" in (rm or "") or category == "withdrawal"
    return category, prefix, withdrawn


_PARTY_FACTS = ("target", "counterparty", "contract_name", "purpose", "target_business")


def _facts_reasons(rules: Rules, facts: FactSet | None) -> tuple[list[Reason], bool]:
    """Reasons from what the filing says: AI terms in a party or purpose, and the size
    of the deal against equity or revenue. ``(reasons, found AI terms)``."""
    cfg = rules.scoring.get("facts")
    if facts is None or not facts.ok or not isinstance(cfg, dict):
        return [], False
    reasons: list[Reason] = []
    hits: dict[_Term, int] = {}
    labels: list[str] = []
    for key in _PARTY_FACTS:
        fact = facts.fact(key)
        if fact is None or not isinstance(fact.value, str):
            continue
        found = rules.terms_in(fact.value)
        if found:
            hits.update(found)
            labels.append(fact.label)
    if hits:
        raw = _decayed([t.weight * float(cfg["factor"]) for t in hits], 0.5)
        ordered = sorted(hits, key=lambda t: (-t.weight, t.id))
        label = ", ".join(dict.fromkeys(labels))
        reasons.append(
            _reason(
                rules,
                "facts_terms",
                min(int(cfg["cap"]), round(raw)),
                label_ko=label,
                label_en=label,
                terms=", ".join(t.label for t in ordered[:5]),
            )
        )
    ratios: list[tuple[str, str]] = []
    equity = facts.get("equity_ratio_pct")
    if isinstance(equity, int | float) and equity >= float(cfg["equity_pct"]):
        ratios.append((f"자기자본 대비 {equity:g}%", f"{equity:g}% of equity"))
    revenue = facts.get("revenue_ratio_pct")
    if isinstance(revenue, int | float) and revenue >= float(cfg["revenue_pct"]):
        ratios.append((f"매출액 대비 {revenue:g}%", f"{revenue:g}% of revenue"))
    if ratios:
        reasons.append(
            _reason(
                rules,
                "facts_size",
                int(cfg["size_points"]),
                ratio_ko=", ".join(r[0] for r in ratios),
                ratio_en=", ".join(r[1] for r in ratios),
            )
        )
    return reasons, bool(hits)


@dataclass(frozen=True, slots=True)
class _Categorised:
    """A filing's category: its id and labels (wrapped by a correction or withdrawal),
    the category of the title alone, and the title's flags."""

    category: str
    category_ko: str
    category_en: str
    base: _Category
    prefix: str | None
    withdrawn: bool
    amended: bool

    @property
    def correction(self) -> bool:
        return self.prefix is not None


@dataclass(frozen=True, slots=True)
class _Terms:
    """AI terms found in the title and the body, the reasons they earn, and what became
    of the body."""

    title: dict[_Term, int]
    body: dict[_Term, int]
    reasons: list[Reason]
    body_used: bool
    body_status: str

    @property
    def found(self) -> bool:
        return bool(self.title or self.body)


@dataclass(frozen=True, slots=True)
class _Standing:
    """The team's standing on the filing date, in words, and the reason it earns."""

    status: str | None = None
    status_ko: str | None = None
    status_en: str | None = None
    reasons: tuple[Reason, ...] = ()


def _by_weight(hits: dict[_Term, int]) -> list[_Term]:
    return sorted(hits, key=lambda t: (-t.weight, t.id))


def _categorised(rules: Rules, filing: FilingLike) -> _Categorised:
    """Category, correction and withdrawal."""
    base = rules.base
    base_category, prefix, withdrawn = categorise(filing.report_nm, filing.rm, rules)
    base_cat = base.by_id[base_category]
    wrapper = "withdrawal" if withdrawn else "correction" if prefix is not None else None
    if wrapper and base_category not in ("other", wrapper):
        wrap = base.by_id[wrapper]
        labels = (wrapper, f"{wrap.ko} · {base_cat.ko}", f"{wrap.en} · {base_cat.en}")
    elif wrapper:
        wrap = base.by_id[wrapper]
        labels = (wrapper, wrap.ko, wrap.en)
    else:
        labels = (base_category, base_cat.ko, base_cat.en)
    amended = "정" in (filing.rm or "")
    return _Categorised(*labels, base_cat, prefix, withdrawn, amended)


def _terms(rules: Rules, title: str, body: str | None, body_status: str) -> _Terms:
    """AI terms in the title (without the prefix) and the body."""
    scoring = rules.scoring
    reasons: list[Reason] = []
    title_hits = rules.terms_in(title)
    if title_hits:
        cfg = scoring["title"]
        raw = _decayed([t.weight for t in title_hits], float(cfg["decay"]))
        points = min(int(cfg["cap"]), round(raw))
        listed = ", ".join(t.label for t in _by_weight(title_hits))
        reasons.append(_reason(rules, "title_terms", points, terms=listed))
    body_used = body is not None
    if body_used:
        body_status = "ok"
    elif body_status == "ok":
        body_status = "not_fetched"
    if body_status not in rules.base.body_labels:
        body_status = "error"
    body_hits: dict[_Term, int] = {}
    if body:
        cfg = scoring["body"]
        body_hits = rules.terms_in(body[: int(cfg["scan_chars"])])
        if body_hits:
            factor = float(cfg["factor"])
            raw = _decayed([t.weight * factor for t in body_hits], float(cfg["decay"]))
            points = min(int(cfg["cap"]), round(raw))
            ordered = _by_weight(body_hits)
            listed = ", ".join(f"{t.label} ×{body_hits[t]}" for t in ordered[:8])
            if len(ordered) > 8:
                listed += ", …"
            reasons.append(_reason(rules, "body_terms", points, terms=listed))
    return _Terms(title_hits, body_hits, reasons, body_used, body_status)


def _standing(rules: Rules, timeline: Timeline, link: TeamLink, day: date | None) -> _Standing:
    """The team and its standing on the filing date."""
    standing = team_standing(timeline, link.team.id, day or date.max)
    values = {
        "team_ko": link.team.name_ko,
        "team_en": link.team.name_en,
        "role_ko": timeline.label("roles", link.role, "ko"),
        "role_en": timeline.label("roles", link.role, "en"),
    }
    if standing is None:
        return _Standing(reasons=(_reason(rules, "team_not_yet", 0, **values),))
    status_ko = standing.label(timeline, "ko")
    status_en = standing.label(timeline, "en")
    # An unverified standing is neutral: 0 points until the result is recorded.
    weight = float(rules.scoring["team"].get(standing.status, 0))
    mult = float(rules.scoring["roles"].get(link.role, 0))
    points = round(weight * mult)
    reason = _reason(rules, "team", points, status_ko=status_ko, status_en=status_en, **values)
    return _Standing(standing.status, status_ko, status_en, (reason,))


def _notes(rules: Rules, cat: _Categorised, terms: _Terms) -> list[Reason]:
    """Informational notes (0 points): correction, withdrawal, amendment, title only."""
    notes: list[Reason] = []
    prefix = cat.prefix
    if prefix is not None:
        ko, en = rules.base.prefixes.get(prefix or "", (prefix or "", prefix or ""))
        notes.append(_reason(rules, "correction", 0, prefix=prefix, label_ko=ko, label_en=en))
    if cat.withdrawn:
        notes.append(_reason(rules, "withdrawal", 0))
    if cat.amended:
        notes.append(_reason(rules, "amended", 0))
    if not terms.body_used:
        status_ko, status_en = rules.base.body_labels[terms.body_status]
        notes.append(_reason(rules, "title_only", 0, status_ko=status_ko, status_en=status_en))
    return notes


def _capped(rules: Rules, reasons: list[Reason]) -> tuple[int, list[Reason]]:
    """The relevance (0-100) and the reasons, with a last "cap" reason when the sum of
    points leaves that range, so the points always add up to the relevance."""
    total = sum(r.points for r in reasons)
    if total > 100:
        return 100, [*reasons, _reason(rules, "cap_high", 100 - total)]
    if total < 0:
        return 0, [*reasons, _reason(rules, "cap_low", -total)]
    return total, reasons


def match_filing(
    filing: FilingLike,
    timeline: Timeline,
    body: str | None = None,
    body_status: str = "not_fetched",
    facts: FactSet | None = None,
) -> MatchResult:
    """Place *filing* on *timeline*; *body* is the document text when it could be had.

    *body_status* says why there is no body (``timeout``, ``too_large``, …); it is
    ``ok`` whenever a body is given.
    """
    rules = rules_for(timeline)
    day = _parse_day(filing.rcept_dt)
    cat = _categorised(rules, filing)
    terms = _terms(rules, filing.report_nm or "", body, body_status)
    reasons = list(terms.reasons)
    if cat.base.weight:
        labels = {"label_ko": cat.base.ko, "label_en": cat.base.en}
        reasons.append(_reason(rules, "category", cat.base.weight, **labels))
    fact_reasons, fact_terms = _facts_reasons(rules, facts)
    reasons.extend(fact_reasons)
    link = team_of(timeline, filing.corp_code, filing.stock_code)
    standing = _standing(rules, timeline, link, day) if link else _Standing()
    reasons.extend(standing.reasons)
    # Phase, nearest milestones and proximity to a key milestone.
    phase = phase_at(timeline, day) if day else None
    team_id = link.team.id if link else None
    before, after = milestones_around(timeline, day, team_id) if day else (None, None)
    if day and link is not None:
        reasons.extend(_proximity(rules, timeline, day, link.team.id, link.role, terms.found))
    notes = _notes(rules, cat, terms)
    title_only = notes[-1] if not terms.body_used else None
    relevance, reasons = _capped(rules, [*reasons, *notes])
    threshold = int(rules.scoring["ai_related"]["threshold"])
    return MatchResult(
        rcept_no=filing.rcept_no,
        timeline_version=timeline.version,
        category=cat.category,
        category_ko=cat.category_ko,
        category_en=cat.category_en,
        base_category=cat.base.id,
        correction=cat.correction,
        correction_prefix=cat.prefix,
        amended=cat.amended,
        withdrawn=cat.withdrawn,
        team=team_id,
        team_ko=link.team.name_ko if link else None,
        team_en=link.team.name_en if link else None,
        role=link.role if link else None,
        role_ko=timeline.label("roles", link.role, "ko") if link else None,
        role_en=timeline.label("roles", link.role, "en") if link else None,
        team_status=standing.status,
        phase=phase.id if phase else None,
        phase_ko=phase.title_ko if phase else None,
        phase_en=phase.title_en if phase else None,
        phase_status=phase.status if phase else None,
        milestone_before=_ref(before, day) if day else None,
        milestone_after=_ref(after, day) if day else None,
        relevance=relevance,
        reasons=tuple(reasons),
        ai_related=(terms.found or fact_terms) and relevance >= threshold,
        title_terms=tuple(t.label for t in _by_weight(terms.title)),
        body_terms=tuple(t.label for t in _by_weight(terms.body)),
        body_used=terms.body_used,
        body_status=terms.body_status,
        title_only_ko=title_only.ko if title_only else None,
        title_only_en=title_only.en if title_only else None,
        team_status_ko=standing.status_ko,
        team_status_en=standing.status_en,
        sources_end=sources_end(timeline) if day and stale(timeline, day) else None,
    )


def _proximity(
    rules: Rules, timeline: Timeline, day: date, team: str, role: str, has_terms: bool
) -> list[Reason]:
    """Points for a key milestone near the filing date, with the reasons none were given:
    overdue, cancelled or disputed milestones earn nothing, and proximity without an AI
    term or a lead / lead-parent role never lifts a filing."""
    cfg = rules.scoring["proximity"]
    nearest, near = _nearest_key(timeline, day, team)
    out: list[Reason] = []
    window = int(cfg["window_days"])
    if nearest is not None and nearest is not near and nearest.distance <= window:
        m = nearest.milestone
        out.append(
            _reason(
                rules,
                "proximity_unverified",
                0,
                title_ko=m.title_ko,
                title_en=m.title_en,
                date=m.date_text,
                status_ko=timeline.label("status", status_at(m, day), "ko"),
                status_en=timeline.label("status", status_at(m, day), "en"),
            )
        )
    if near is None:
        return out
    points = 0
    if near.distance <= int(cfg["near_days"]):
        points = int(cfg["near_points"])
    elif near.distance <= window:
        points = int(cfg["window_points"])
    if not points:
        return out
    m = near.milestone
    days = f"~{near.distance}" if m.approximate else str(near.distance)
    days_en = f"{days} day" if near.distance == 1 else f"{days} days"
    values = {
        "title_ko": m.title_ko,
        "title_en": m.title_en,
        "date": m.date_text,
        "days": days,
        "days_en": days_en,
    }
    if not has_terms and role not in ("lead", "lead_parent"):
        out.append(_reason(rules, "proximity_alone", 0, **values))
    else:
        key = "proximity_during" if near.during else "proximity"
        out.append(_reason(rules, key, points, **values))
    return out


# --- alerts --------------------------------------------------------------------------


def alert_from_match(
    filing: FilingLike,
    match: MatchResult,
    first_seen_at: datetime | None,
    *,
    event: str = "new",
) -> Alert:
    """The notifier payload for a matched filing. The K-AI context (phase, milestones)
    is only carried when a team applies: for any other company it would be noise."""
    kai = match.team is not None
    return Alert(
        rcept_no=filing.rcept_no,
        corp_code=filing.corp_code,
        corp_name=filing.corp_name,
        report_nm=(filing.report_nm or "").strip(),
        rcept_dt=filing.rcept_dt,
        flr_nm=filing.flr_nm or "",
        stock_code=filing.stock_code or None,
        rm=filing.rm or "",
        first_seen_at=first_seen_at,
        category=match.category,
        category_ko=match.category_ko,
        category_en=match.category_en,
        correction=match.correction,
        amended=match.amended or bool(getattr(filing, "amended", False)),
        withdrawn=match.withdrawn or bool(getattr(filing, "withdrawn", False)),
        team=match.team_en,
        team_ko=match.team_ko,
        role=match.role_en,
        role_ko=match.role_ko,
        team_status=match.team_status,
        team_status_ko=match.team_status_ko,
        team_status_en=match.team_status_en,
        sources_end=match.sources_end if kai else None,
        phase_status=match.phase_status if kai else None,
        phase=match.phase_en if kai else None,
        phase_ko=match.phase_ko if kai else None,
        milestone_before=match.milestone_before if kai else None,
        milestone_after=match.milestone_after if kai else None,
        relevance=match.relevance,
        ai_related=match.ai_related,
        reasons=match.reasons,
        body_used=match.body_used,
        timeline_version=match.timeline_version,
        event=event,
        filed_at=getattr(filing, "filed_at", None),
    )


def alert_from_rows(filing_row: Filing, match_row: Match, *, event: str = "new") -> Alert:
    """Rebuild an alert from the stored ``Filing`` and ``Match`` rows."""
    return alert_from_match(
        filing_row, MatchResult.from_row(match_row), filing_row.first_seen_at, event=event
    )
