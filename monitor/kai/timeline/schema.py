"""The shape of a timeline file, as pydantic models: one model per kind of entry.

Each entry (a ``[[milestones]]`` table, one label, ``[meta]``) is checked on its own, so
one run lists every problem of every entry. :func:`check` turns pydantic's errors into
the one-line ``section[index].field: message`` texts users read, in the order the
fields are declared below (unknown fields of a table first). An entry whose only
problem is an unknown field is still used, so a typo causes no knock-on errors.
Rules across fields or entries (a span ending before it starts, references, duplicate
ids) are the loader's (:mod:`.loading`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar, Generic, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from monitor.kai.timeline.model import (
    MILESTONE_STATUSES,
    RECORD_RESULTS,
    ROLES,
    TEAM_STATUSES,
    Label,
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
)

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CODE_RES = {8: re.compile(r"^\d{8}$"), 6: re.compile(r"^\d{6}$")}
_URL_RE = re.compile(r"^https?://\S+$")

T = TypeVar("T")


def type_name(value: object) -> str:
    """How a TOML value is named in messages: "a table", "a list", "int", ..."""
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def show(value: object) -> str:
    """A value as quoted in a message: strings (shortened) in quotes, others by type."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return type_name(value)


def _problem(message: str, field: str | None = None) -> PydanticCustomError:
    """An error whose text is *message* as is; *field* names the field it is reported
    at when that is not the one being validated."""
    context: dict[str, Any] = {"message": message}
    if field is not None:
        context["field"] = field
    return PydanticCustomError("timeline", "{message}", context)


# --- field types ---------------------------------------------------------------------


def text(value: object) -> str:
    """A non-empty string, stripped."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _problem(f"expected a non-empty string, got {show(value)}")


def _optional_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    raise _problem(f"expected a non-empty string, got {show(value)}")


def _ident(value: object) -> str:
    found = text(value)
    if not _ID_RE.match(found):
        raise _problem(f"expected lower-case letters, digits, '-' or '_', got {found!r}")
    return found


def _one_of(options: Sequence[str]) -> PlainValidator:
    def check(value: object) -> str:
        found = text(value)
        if found not in options:
            raise _problem(f"expected one of {', '.join(options)}, got {found!r}")
        return found

    return PlainValidator(check)


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _problem(f"expected true or false, got {show(value)}")


def any_date(value: object) -> PartialDate:
    """A day or a month (``2026-08-07``, ``2026-08``, or a TOML date)."""
    try:
        return PartialDate.parse(value)
    except ValueError:
        raise _problem(f"expected a date as YYYY-MM-DD or YYYY-MM, got {show(value)}") from None


def full_date(value: object) -> date:
    """A day (``2026-08-07`` or a TOML date); a month alone is refused."""
    try:
        parsed: PartialDate | None = PartialDate.parse(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.day is None:
        raise _problem(f"expected a date as YYYY-MM-DD, got {show(value)}")
    return parsed.first


def strings(value: object) -> tuple[str, ...]:
    """A list of non-empty strings, each stripped."""
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    raise _problem(f"expected a list of non-empty strings, got {show(value)}")


def _url(value: str) -> str:
    if _URL_RE.match(value):
        return value
    raise _problem(f"expected an http(s) URL, got {show(value)}")


def _at_least_one(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise _problem("needs at least one source URL")
    return value


def _tables(value: object) -> object:
    if isinstance(value, list):
        return value
    raise _problem(f"expected a list of tables, got {show(value)}")


def _code(digits: int) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        found = _optional_text(value) if value is not None else ""
        if found and not _CODE_RES[digits].match(found):
            raise _problem(f"expected {digits} digits, got {found!r}")
        return found or None

    return check


def _results(value: object) -> object:
    if isinstance(value, dict):
        return value
    raise _problem(f'expected a table like {{ lg = "advanced" }}, got {show(value)}')


def _result(value: object) -> str:
    if isinstance(value, str) and value in RECORD_RESULTS:
        return value
    raise _problem(f"expected one of {', '.join(RECORD_RESULTS)}, got {show(value)}")


Text = Annotated[str, PlainValidator(text)]
OptionalText = Annotated[str, PlainValidator(_optional_text)]
Ident = Annotated[str, PlainValidator(_ident)]
Flag = Annotated[bool, PlainValidator(_flag)]
AnyDate = Annotated[PartialDate, PlainValidator(any_date)]
OptionalDate = Annotated[PartialDate | None, PlainValidator(any_date)]
FullDate = Annotated[date, PlainValidator(full_date)]
Strings = Annotated[tuple[str, ...], PlainValidator(strings)]
Urls = Annotated[tuple[Annotated[str, AfterValidator(_url)], ...], BeforeValidator(strings)]
# Every fact carries its sources: at least one URL.
Sources = Annotated[Urls, AfterValidator(_at_least_one)]
CorpCode = Annotated[str | None, PlainValidator(_code(8))]
StockCode = Annotated[str | None, PlainValidator(_code(6))]
Results = Annotated[dict[str, Annotated[str, PlainValidator(_result)]], BeforeValidator(_results)]


def valid(check: Callable[[object], T], value: object) -> T | None:
    """*value* as *check* reads it, or None when it is not valid (for rules that look at
    some fields of an entry whose other fields may be wrong)."""
    try:
        return check(value)
    except PydanticCustomError:
        return None


# --- entries -------------------------------------------------------------------------


class Entry(BaseModel):
    """One table of the file. ``missing_hints`` replaces "missing (required)" for a field
    where a hint helps."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    missing_hints: ClassVar[dict[str, str]] = {}


class LabelEntry(Entry):
    ko: Text
    en: Text

    def build(self) -> Label:
        return Label(self.ko, self.en)


class MetaEntry(Entry):
    title_ko: Text = ""
    title_en: Text = ""
    sources_end: OptionalDate = None


class PhaseEntry(Entry):
    id: Ident
    title_ko: Text
    title_en: Text
    start: FullDate
    end: FullDate
    status: Annotated[str, _one_of(MILESTONE_STATUSES)]
    sources: Sources

    def build(self) -> Phase:
        return Phase(
            self.id, self.title_ko, self.title_en, self.start, self.end, self.status, self.sources
        )


class CompanyEntry(Entry):
    role: Annotated[str, _one_of(ROLES)]
    name_ko: Text
    name_en: Text
    corp_code: CorpCode = None
    stock_code: StockCode = Field(default=None, validate_default=True)
    verify: Flag = False
    note: OptionalText = ""

    @field_validator("stock_code")
    @classmethod
    def _needs_a_code(cls, stock: str | None, info: ValidationInfo) -> str | None:
        """A company is found by its codes: one of them is needed (asked only once the
        fields before are valid, so a wrong code is not reported twice)."""
        earlier = ("role", "name_ko", "name_en", "corp_code")
        if stock is None and all(n in info.data for n in earlier) and not info.data["corp_code"]:
            raise _problem("a company needs a corp_code or a stock_code", field="corp_code")
        return stock

    def build(self) -> TeamCompany:
        return TeamCompany(
            self.role,
            self.name_ko,
            self.name_en,
            self.corp_code,
            self.stock_code,
            self.verify,
            self.note,
        )


class ModelEntry(Entry):
    name: Text
    keywords: Strings = ()
    note: OptionalText = ""

    def build(self) -> Model:
        return Model(self.name, self.keywords, self.note)


class TeamEntry(Entry):
    id: Ident
    name_ko: Text
    name_en: Text
    lead_ko: Text
    lead_en: Text
    sources: Strings = ()
    companies: Annotated[tuple[CompanyEntry, ...], BeforeValidator(_tables)] = ()
    models: Annotated[tuple[ModelEntry, ...], BeforeValidator(_tables)] = ()

    def build(self) -> Team:
        return Team(
            self.id,
            self.name_ko,
            self.name_en,
            self.lead_ko,
            self.lead_en,
            tuple(c.build() for c in self.companies),
            tuple(m.build() for m in self.models),
            self.sources,
        )


class StatusChangeEntry(Entry):
    id: Ident
    team: Text
    date: FullDate
    status: Annotated[str, _one_of(TEAM_STATUSES)]
    reason_ko: Text
    reason_en: Text
    milestone: OptionalText = ""
    sources: Strings = ()

    def build(self) -> StatusChange:
        return StatusChange(
            self.id,
            self.team,
            self.date,
            self.status,
            self.reason_ko,
            self.reason_en,
            self.milestone or None,
            self.sources,
        )


class ReadingEntry(Entry):
    ko: Text
    en: Text
    sources: Urls = ()

    def build(self) -> Reading:
        return Reading(self.ko, self.en, self.sources)


class MilestoneEntry(Entry):
    missing_hints: ClassVar[dict[str, str]] = {
        "teams": 'missing (required; use ["all"] for every team, [] for none)'
    }

    id: Ident
    date: AnyDate
    end: OptionalDate = None
    kind: Text
    key: Flag = False
    title_ko: Text
    title_en: Text
    teams: Strings
    status: Annotated[str, _one_of(MILESTONE_STATUSES)]
    sources: Sources
    note_ko: OptionalText = ""
    note_en: OptionalText = ""
    short_ko: OptionalText = ""
    short_en: OptionalText = ""
    eliminates: Flag = False
    readings: Annotated[tuple[ReadingEntry, ...], BeforeValidator(_tables)] = ()

    def build(self) -> Milestone:
        return Milestone(
            self.id,
            self.date,
            self.end,
            self.kind,
            self.key,
            self.title_ko,
            self.title_en,
            self.teams,
            self.status,
            self.sources,
            self.note_ko,
            self.note_en,
            self.short_ko,
            self.short_en,
            self.eliminates,
            tuple(r.build() for r in self.readings),
        )


class RecordEntry(Entry):
    milestone: Ident
    date: FullDate
    outcome_ko: Text
    outcome_en: OptionalText = ""
    sources: Sources
    recorded_at: OptionalText = ""
    teams: Results = Field(default_factory=dict)

    def build(self) -> Record:
        outcome = Outcome(
            self.date,
            self.outcome_ko,
            self.outcome_en or self.outcome_ko,
            self.sources,
            tuple(self.teams.items()),
        )
        return Record(self.milestone, outcome)


# --- pydantic's errors as the lines users read --------------------------------------

E = TypeVar("E", bound=Entry)


@dataclass(frozen=True, slots=True)
class Checked(Generic[E]):
    """One entry checked: the entry (None when unusable), its problems as lines, and the
    names of its fields that were wrong."""

    entry: E | None
    problems: list[str]
    failed: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Place:
    """Where an error is: the path as users read it (``.readings[1].ko``), a key that
    orders errors as the fields are declared (unknown fields of a table first), and
    the table's model and field name."""

    path: str
    order: tuple[int, ...]
    owner: type[Entry] | None
    field: str


def _place(model: type[Entry], loc: tuple[int | str, ...]) -> _Place:
    path, order, owner, name = "", [], None, ""
    kind: Any = model
    for part in loc:
        if isinstance(kind, type) and issubclass(kind, Entry):
            owner, name = kind, str(part)
            path += f".{part}"
            fields = list(kind.model_fields)
            if name in kind.model_fields:
                order.append(1 + fields.index(name))
                kind = kind.model_fields[name].annotation
            else:
                order.append(0)
                kind = None
        else:
            # An item of a list (index) or of a table (key, kept in file order).
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
            order.append(part if isinstance(part, int) else 0)
            args = [a for a in get_args(kind) if a is not Ellipsis]
            kind = args[-1] if args else None
    return _Place(path, tuple(order), owner, name)


def _line(where: str, place: _Place, detail: ErrorDetails) -> str:
    context = detail.get("ctx") or {}
    path = place.path
    if "field" in context:
        path = path.rsplit(".", 1)[0] + f".{context['field']}"
    kind = detail["type"]
    owner = place.owner
    if kind == "missing" and owner is not None:
        message = owner.missing_hints.get(place.field, "missing (required)")
    elif kind == "extra_forbidden" and owner is not None:
        message = f"unknown field (allowed: {', '.join(sorted(owner.model_fields))})"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"expected a table, got {type_name(detail['input'])}"
    else:
        message = str(context.get("message", detail["msg"]))
    return f"{where}{path}: {message}"


def _without(data: object, locs: list[tuple[int | str, ...]]) -> object:
    """*data* less the values at *locs* (unknown fields)."""
    data = copy.deepcopy(data)
    for loc in locs:
        table: Any = data
        for part in loc[:-1]:
            table = table[part]
        del table[loc[-1]]
    return data


def check(model: type[E], where: str, data: object) -> Checked[E]:
    """Validate *data*, the table at *where* (``milestones[3]``), as *model*."""
    try:
        return Checked(model.model_validate(data), [], frozenset())
    except ValidationError as exc:
        details = exc.errors(include_url=False)
    placed = sorted(((_place(model, d["loc"]), d) for d in details), key=lambda pd: pd[0].order)
    problems = [_line(where, place, detail) for place, detail in placed]
    failed = frozenset(str(d["loc"][0]) for d in details if d["loc"])
    if all(d["type"] == "extra_forbidden" for d in details):
        cleaned = _without(data, [d["loc"] for d in details])
        return Checked(model.model_validate(cleaned), problems, failed)
    return Checked(None, problems, failed)


def entry_of(model: type[E], where: str, data: object, errors: list[str]) -> E | None:
    """:func:`check`, with the problems added to *errors*: the entry, or None."""
    checked = check(model, where, data)
    errors.extend(checked.problems)
    return checked.entry
