"""Query-string parameters, checked before anything touches the database.

Pure functions: a bad value raises :class:`BadParameter` naming the parameter, which
the app answers with a 400 page. Free text (``q``, ``company``) is data, never syntax:
it reaches SQL only as bound parameters and the page only through autoescaping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from urllib.parse import urlencode

#: The longest value any parameter may carry (a title search needs far less).
MAX_VALUE = 200
#: The longest whole query string; longer ones get 414.
MAX_QUERY = 2048
MAX_PAGE = 2000
PAGE_SIZES = (20, 50, 100, 200)

_RCEPT_NO = re.compile(r"\d{14}")
_CORP_CODE = re.compile(r"\d{8}")
_IDENT = re.compile(r"[a-z][a-z0-9_]{0,63}")


class BadParameter(ValueError):
    """A parameter's value cannot be used; ``str()`` is one line naming it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def _value(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "") or ""
    if len(value) > MAX_VALUE:
        raise BadParameter(name, f"longer than {MAX_VALUE} characters")
    if any(ord(c) < 32 for c in value):
        raise BadParameter(name, "contains control characters")
    return value.strip()


def parse_day(value: str, name: str) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise BadParameter(name, "expected a date YYYY-MM-DD")


def _int(value: str, name: str, low: int, high: int) -> int | None:
    if not value:
        return None
    if not re.fullmatch(r"\d{1,6}", value):
        raise BadParameter(name, f"expected a whole number {low}–{high}")
    number = int(value)
    if not low <= number <= high:
        raise BadParameter(name, f"expected a whole number {low}–{high}")
    return number


def _tri(value: str, name: str) -> bool | None:
    if value in ("", "any"):
        return None
    if value in ("1", "yes", "true"):
        return True
    if value in ("0", "no", "false"):
        return False
    raise BadParameter(name, "expected yes, no or any")


def _ident(value: str, name: str) -> str | None:
    if not value:
        return None
    if not _IDENT.fullmatch(value):
        raise BadParameter(name, "expected an identifier (lower-case letters, digits, _)")
    return value


@dataclass(frozen=True, slots=True)
class SearchForm:
    """The search form as typed; ``to_query()`` gives it back as a query string."""

    company: str = ""
    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    team: str | None = None
    min_relevance: int | None = None
    ai: bool = False
    amended: bool | None = None
    withdrawn: bool | None = None
    q: str = ""
    page: int = 1
    per_page: int = 50

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.q.split() if t)[:8]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def is_empty(self) -> bool:
        return self == SearchForm(page=self.page, per_page=self.per_page)

    def to_query(self, **changes: object) -> str:
        """The query string of this search (with *changes*), empty values left out."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        out: list[tuple[str, str]] = []
        for name, value in values.items():
            key = {"date_from": "from", "date_to": "to"}.get(name, name)
            if value is None or value == "" or (name == "ai" and value is False):
                continue
            if (name, value) in (("page", 1), ("per_page", 50)):
                continue
            if isinstance(value, bool):
                out.append((key, "yes" if value else "no"))
            elif isinstance(value, date):
                out.append((key, value.isoformat()))
            else:
                out.append((key, str(value)))
        return urlencode(out)


def parse_search(params: Mapping[str, str]) -> SearchForm:
    """The search form from a query string; raises :class:`BadParameter`."""
    date_from = parse_day(_value(params, "from"), "from")
    date_to = parse_day(_value(params, "to"), "to")
    if date_from and date_to and date_from > date_to:
        raise BadParameter("from", "comes after 'to'")
    per_page = _int(_value(params, "per_page"), "per_page", 1, 200) or 50
    if per_page not in PAGE_SIZES:
        raise BadParameter("per_page", f"one of {', '.join(map(str, PAGE_SIZES))}")
    ai = _tri(_value(params, "ai"), "ai")
    return SearchForm(
        company=_value(params, "company"),
        date_from=date_from,
        date_to=date_to,
        category=_ident(_value(params, "category"), "category"),
        team=_ident(_value(params, "team"), "team"),
        min_relevance=_int(_value(params, "min_relevance"), "min_relevance", 0, 100),
        ai=bool(ai),
        amended=_tri(_value(params, "amended"), "amended"),
        withdrawn=_tri(_value(params, "withdrawn"), "withdrawn"),
        q=_value(params, "q"),
        page=_int(_value(params, "page"), "page", 1, MAX_PAGE) or 1,
        per_page=per_page,
    )


def check_rcept_no(value: str) -> str:
    if not _RCEPT_NO.fullmatch(value):
        raise BadParameter("rcept_no", "expected the 14-digit receipt number")
    return value


def check_corp_code(value: str) -> str:
    if not _CORP_CODE.fullmatch(value):
        raise BadParameter("corp_code", "expected the 8-digit OpenDART corp code")
    return value


def check_lang(value: str) -> str | None:
    if not value:
        return None
    if value not in ("ko", "en"):
        raise BadParameter("lang", "expected ko or en")
    return value


def check_format(value: str, allowed: tuple[str, ...] = ("html", "json")) -> str:
    if not value:
        return allowed[0]
    if value not in allowed:
        raise BadParameter("format", f"one of {', '.join(allowed)}")
    return value
