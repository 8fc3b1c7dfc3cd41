"""The watchlist (a TOML data file) and company-name resolution.

Everything is keyed by corp code: names are ambiguous ("SK" is both SK Inc. 00181712 and
the delisted SK Corp. 00144155) and OpenDART renames companies (엔씨소프트 -> NC). A query
may be a corp code, a stock code, a Korean or English name or an alias; it is resolved
against the watchlist and the corpCode cache, and more than one candidate is an error
that lists them.

:func:`resolve_in` is pure (plain data in, :class:`Resolution` out), for the Telegram bot
and tests; :func:`resolve_company` gathers the data from the database first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.core.errors import UserError
from monitor.core.settings import ConfigError

if TYPE_CHECKING:
    from storage.db import Database

BUNDLED_FILE = Path(__file__).resolve().parents[1] / "data" / "watchlist.toml"

_CORP_CODE = re.compile(r"^\d{8}$")
_STOCK_CODE = re.compile(r"^[0-9A-Z]{6}$")
_KINDS = ("company", "partner", "namesake")
_FIELDS = {"corp_code", "stock_code", "name", "name_en", "aliases", "team", "watch"}


class WatchlistError(ConfigError):
    """The watchlist file is invalid; the message names the file, entry and field."""


class UnknownCompany(UserError):
    """No company matches the query (the user's input: exit 2)."""

    exit_code = 2


class AmbiguousCompany(UserError):
    """Several companies match the query; the message lists them by corp code (exit 2)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class WatchEntry:
    kind: str  # company | partner | namesake
    name: str
    corp_code: str | None = None
    stock_code: str | None = None
    name_en: str | None = None
    aliases: tuple[str, ...] = ()
    team: str | None = None
    watch: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} ({self.corp_code or self.stock_code})"

    def names(self) -> tuple[str, ...]:
        return (self.name, *((self.name_en,) if self.name_en else ()), *self.aliases)


@dataclass(frozen=True, slots=True)
class Watchlist:
    entries: tuple[WatchEntry, ...]
    sources: tuple[str, ...] = ()

    @property
    def watched(self) -> tuple[WatchEntry, ...]:
        """Entries to poll (companies and partners with ``watch = true``)."""
        return tuple(e for e in self.entries if e.watch and e.kind != "namesake")

    @property
    def companies(self) -> tuple[WatchEntry, ...]:
        return tuple(e for e in self.entries if e.kind == "company")

    @property
    def partners(self) -> tuple[WatchEntry, ...]:
        return tuple(e for e in self.entries if e.kind == "partner")


# ----------------------------------------------------------------------------- loading
def _text(where: str, name: str, value: Any, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise WatchlistError(f"{where}: field '{name}' is required")
        return None
    if not isinstance(value, str):
        raise WatchlistError(
            f"{where}: field '{name}' must be a string, not {type(value).__name__}"
        )
    value = value.strip()
    if required and not value:
        raise WatchlistError(f"{where}: field '{name}' must not be empty")
    return value or None


def _entry(kind: str, index: int, raw: Any, origin: str) -> WatchEntry:
    where = f"{origin}: [[{kind}]] #{index + 1}"
    if not isinstance(raw, dict):
        raise WatchlistError(f"{where}: must be a table")
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        where += f" ({name.strip()})"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise WatchlistError(
            f"{where}: unknown field '{unknown[0]}' (known: {', '.join(sorted(_FIELDS))})"
        )
    corp_code = _text(where, "corp_code", raw.get("corp_code"), required=kind != "partner")
    if corp_code is not None and not _CORP_CODE.match(corp_code):
        raise WatchlistError(f"{where}: field 'corp_code' must be 8 digits (got {corp_code!r})")
    stock_code = _text(where, "stock_code", raw.get("stock_code"), required=kind == "partner")
    if stock_code is not None and not _STOCK_CODE.match(stock_code):
        raise WatchlistError(
            f"{where}: field 'stock_code' must be 6 characters (got {stock_code!r})"
        )
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise WatchlistError(f"{where}: field 'aliases' must be a list of non-empty strings")
    watch = raw.get("watch", kind == "company")
    if not isinstance(watch, bool):
        raise WatchlistError(f"{where}: field 'watch' must be true or false")
    if kind == "namesake" and watch:
        raise WatchlistError(f"{where}: a namesake cannot be watched (move it to [[company]])")
    return WatchEntry(
        kind=kind,
        name=_text(where, "name", raw.get("name"), required=True) or "",
        corp_code=corp_code,
        stock_code=stock_code,
        name_en=_text(where, "name_en", raw.get("name_en")),
        aliases=tuple(a.strip() for a in aliases),
        team=_text(where, "team", raw.get("team")),
        watch=watch,
    )


def parse_watchlist(text: str, origin: str = "watchlist") -> tuple[list[WatchEntry], bool]:
    """Entries of one file, and whether it asks to replace the bundled list."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{origin}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"schema", "replace", *_KINDS})
    if unknown:
        raise WatchlistError(
            f"{origin}: unknown top-level key '{unknown[0]}' "
            "(use [[company]], [[partner]] or [[namesake]])"
        )
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise WatchlistError(f"{origin}: 'replace' must be true or false")
    entries: list[WatchEntry] = []
    for kind in _KINDS:
        tables = data.get(kind, [])
        if not isinstance(tables, list):
            raise WatchlistError(f"{origin}: '{kind}' must be an array of tables ([[{kind}]])")
        entries.extend(_entry(kind, i, raw, origin) for i, raw in enumerate(tables))
    return entries, replace


def _same(a: WatchEntry, b: WatchEntry) -> bool:
    return bool(
        (a.corp_code and a.corp_code == b.corp_code)
        or (a.stock_code and a.stock_code == b.stock_code)
    )


def merge(base: Sequence[WatchEntry], extra: Sequence[WatchEntry]) -> list[WatchEntry]:
    """*extra* entries replace *base* entries with the same corp code (or stock code)."""
    merged = list(base)
    for entry in extra:
        merged = [e for e in merged if not _same(e, entry)]
        merged.append(entry)
    return merged


def _check_unique(entries: Sequence[WatchEntry], origin: str) -> None:
    seen: dict[str, WatchEntry] = {}
    for entry in entries:
        if entry.corp_code is None:
            continue
        other = seen.get(entry.corp_code)
        if other is not None:
            raise WatchlistError(
                f"{origin}: corp_code {entry.corp_code} appears twice ({other.name}, {entry.name})"
            )
        seen[entry.corp_code] = entry


def load_watchlist(path: Path | None = None) -> Watchlist:
    """The bundled watchlist, extended (or replaced) by *path* (``WATCHLIST_FILE``)."""
    bundled, _ = parse_watchlist(BUNDLED_FILE.read_text(encoding="utf-8"), BUNDLED_FILE.name)
    _check_unique(bundled, BUNDLED_FILE.name)
    if path is None:
        return Watchlist(tuple(bundled), (str(BUNDLED_FILE),))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise WatchlistError(
            f"WATCHLIST_FILE: cannot read {path} ({exc.strerror or exc})"
        ) from None
    except UnicodeDecodeError:
        raise WatchlistError(f"WATCHLIST_FILE: {path} is not UTF-8 text") from None
    extra, replace = parse_watchlist(text, str(path))
    _check_unique(extra, str(path))
    entries = extra if replace else merge(bundled, extra)
    if not any(e.watch for e in entries if e.kind != "namesake"):
        raise WatchlistError(f"{path}: the watchlist watches no company")
    return Watchlist(tuple(entries), (str(path),) if replace else (str(BUNDLED_FILE), str(path)))


# ----------------------------------------------------------------------------- resolution
def normalize(name: str) -> str:
    """Case- and space-insensitive form; legal-form marks like (주) are kept: they are
    part of how people tell companies apart."""
    return "".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class CorpRecord:
    """A corpCode.xml entry (plain data for :func:`resolve_in`)."""

    corp_code: str
    corp_name: str
    stock_code: str | None = None
    corp_eng_name: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    corp_code: str | None
    name: str
    stock_code: str | None = None
    name_en: str | None = None
    watched: bool = False
    sources: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [self.corp_code or "?"]
        parts.append(self.name + (f" / {self.name_en}" if self.name_en else ""))
        parts.append(f"stock {self.stock_code}" if self.stock_code else "unlisted")
        if self.watched:
            parts.append("watched")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Resolution:
    query: str
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return len(self.candidates) == 1

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    def require(self) -> Candidate:
        """The one candidate; :class:`UnknownCompany` / :class:`AmbiguousCompany` else."""
        if not self.candidates:
            raise UnknownCompany(f"no company matches {self.query!r}")
        if len(self.candidates) > 1:
            listed = "; ".join(c.describe() for c in self.candidates)
            raise AmbiguousCompany(f"{self.query!r} is ambiguous: {listed} — name one by corp code")
        return self.candidates[0]


def query_kind(query: str) -> str:
    q = query.strip()
    if _CORP_CODE.match(q):
        return "corp_code"
    if re.fullmatch(r"\d{6}", q):
        return "stock_code"
    return "name"


def resolve_in(query: str, watchlist: Watchlist, registry: Iterable[CorpRecord] = ()) -> Resolution:
    """Resolve *query* against the watchlist and corpCode records (pure)."""
    q = query.strip()
    kind = query_kind(q)
    wanted = normalize(q)
    found: dict[str, Candidate] = {}

    def add(cand: Candidate) -> None:
        key = cand.corp_code or f"stock:{cand.stock_code}"
        old = found.get(key)
        if old is None:
            found[key] = cand
            return
        found[key] = Candidate(
            corp_code=old.corp_code or cand.corp_code,
            name=old.name,
            stock_code=old.stock_code or cand.stock_code,
            name_en=old.name_en or cand.name_en,
            watched=old.watched or cand.watched,
            sources=tuple(dict.fromkeys((*old.sources, *cand.sources))),
        )

    records = list(registry)
    by_stock = {r.stock_code: r for r in records if r.stock_code}
    for entry in watchlist.entries:
        if kind == "corp_code":
            hit = entry.corp_code == q
        elif kind == "stock_code":
            hit = entry.stock_code == q
        else:
            hit = any(normalize(n) == wanted for n in entry.names())
        if not hit:
            continue
        corp_code = entry.corp_code
        if corp_code is None and entry.stock_code in by_stock:
            corp_code = by_stock[entry.stock_code].corp_code
        add(
            Candidate(
                corp_code=corp_code,
                name=entry.name,
                stock_code=entry.stock_code,
                name_en=entry.name_en,
                watched=entry.watch and entry.kind != "namesake",
                sources=("watchlist",),
            )
        )
    for record in records:
        if kind == "corp_code":
            hit = record.corp_code == q
        elif kind == "stock_code":
            hit = record.stock_code == q
        else:
            hit = normalize(record.corp_name) == wanted or (
                record.corp_eng_name is not None and normalize(record.corp_eng_name) == wanted
            )
        if hit:
            add(
                Candidate(
                    corp_code=record.corp_code,
                    name=record.corp_name,
                    stock_code=record.stock_code,
                    name_en=record.corp_eng_name,
                    sources=("corpCode",),
                )
            )
    ordered = sorted(found.values(), key=lambda c: (not c.watched, c.corp_code or ""))
    return Resolution(q, tuple(ordered))


async def resolve_company(
    query: str, *, db: Database | None = None, watchlist: Watchlist | None = None
) -> Resolution:
    """Resolve *query* through the watchlist and (given a :class:`storage.db.Database`)
    the corpCode cache. Use ``.require()`` on the result for the one corp code."""
    from storage import corpcodes

    watchlist = watchlist or load_watchlist()
    records: list[CorpRecord] = []
    if db is not None:
        q = query.strip()
        kind = query_kind(q)
        rows: list[Any] = []
        if kind == "corp_code":
            row = await corpcodes.by_code(db, q)
            rows = [row] if row is not None else []
        elif kind == "stock_code":
            rows = await corpcodes.by_stock(db, q)
        else:
            rows = await corpcodes.by_name(db, q)
        # Partners are named by stock code in the file; look their codes up too.
        stocks = [e.stock_code for e in watchlist.entries if e.corp_code is None and e.stock_code]
        for stock in stocks:
            rows.extend(await corpcodes.by_stock(db, stock))
        records = [
            CorpRecord(r.corp_code, r.corp_name, r.stock_code, r.corp_eng_name) for r in rows
        ]
    return resolve_in(query, watchlist, records)


def company_rows(
    watchlist: Watchlist, registry: Iterable[CorpRecord] = ()
) -> tuple[list[dict[str, Any]], list[WatchEntry]]:
    """Rows for the ``companies`` table (watched entries with a known corp code), and the
    watched entries whose corp code could not be found (partners not in the cache)."""
    by_stock = {r.stock_code: r for r in registry if r.stock_code}
    rows: list[dict[str, Any]] = []
    unresolved: list[WatchEntry] = []
    for entry in watchlist.entries:
        if entry.kind == "namesake":
            continue
        corp_code = entry.corp_code
        if corp_code is None and entry.stock_code in by_stock:
            corp_code = by_stock[entry.stock_code].corp_code
        if corp_code is None:
            if entry.watch:
                unresolved.append(entry)
            continue
        rows.append(
            {
                "corp_code": corp_code,
                "corp_name": entry.name,
                "corp_eng_name": entry.name_en,
                "stock_code": entry.stock_code,
                "aliases": list(entry.aliases),
                "watched": entry.watch,
            }
        )
    return rows, unresolved
