"""Which extractor reads a filing, decided from ``report_nm`` alone (``families.toml``).

Amendment prefixes (``[기재정정]``, ``[첨부정정]`` …) and spaces are removed first;
a ``(자회사의 주요경영사항)`` suffix keeps the family (the body names the subsidiary)
but is remembered, because such filings are exchange filings even when the parent's
own version would be a ``주요사항보고서``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

FAMILIES_FILE = Path(__file__).with_name("families.toml")
_PREFIX = re.compile(r"^\s*\[([^\]]+)\]\s*")
SUBSIDIARY_MARK = "자회사의주요경영사항"

RouteSource = Literal["ds005", "ds004", "body"]


class FamiliesError(ValueError):
    """``families.toml`` is malformed (one-line message naming the entry)."""


@dataclass(frozen=True, slots=True)
class Route:
    family: str
    source: RouteSource
    endpoint: str | None = None
    prefix: str | None = None  # the amendment prefix, e.g. 기재정정
    subsidiary: bool = False

    @property
    def correction(self) -> bool:
        return self.prefix == "기재정정"


@dataclass(frozen=True, slots=True)
class _Family:
    id: str
    source: RouteSource
    endpoint: str | None
    pattern: re.Pattern[str]


@cache
def _families() -> tuple[_Family, ...]:
    raw = tomllib.loads(FAMILIES_FILE.read_text(encoding="utf-8"))
    out: list[_Family] = []
    for i, entry in enumerate(raw.get("families", [])):
        where = f"families.toml: families[{i}]"
        try:
            source = entry["source"]
            if source not in ("ds005", "ds004", "body"):
                raise FamiliesError(f"{where}: source must be ds005, ds004 or body")
            if source != "body" and not entry.get("endpoint"):
                raise FamiliesError(f"{where}: {source} needs an endpoint")
            pattern = re.compile("|".join(f"(?:{p})" for p in entry["patterns"]))
            out.append(_Family(str(entry["id"]), source, entry.get("endpoint"), pattern))
        except KeyError as missing:
            raise FamiliesError(f"{where}: {missing.args[0]} missing") from None
        except re.error as exc:
            raise FamiliesError(f"{where}: bad pattern ({exc})") from None
    return tuple(out)


def split_title(report_nm: str) -> tuple[str | None, str]:
    """``(first amendment prefix, title without prefixes and spaces)``."""
    title = (report_nm or "").strip()
    prefix: str | None = None
    while m := _PREFIX.match(title):
        prefix = prefix or m.group(1).strip()
        title = title[m.end() :]
    return prefix, "".join(title.split())


def route(report_nm: str) -> Route | None:
    """The family of *report_nm*, or None when dartwatch extracts nothing from it."""
    prefix, title = split_title(report_nm)
    subsidiary = SUBSIDIARY_MARK in title
    for family in _families():
        if not family.pattern.search(title):
            continue
        if subsidiary and family.source == "ds005":
            continue  # subsidiaries' events are exchange filings: read the body
        return Route(family.id, family.source, family.endpoint, prefix, subsidiary)
    return None


def families() -> tuple[str, ...]:
    """Every family id, in the order of the file, without repeats."""
    return tuple(dict.fromkeys(f.id for f in _families()))
