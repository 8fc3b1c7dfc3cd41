"""Company names typed by users, resolved against the watched companies (pure).

Aliases, English names and codes are exact keys: ``엔씨``, ``SKT``, ``NAVER``,
``035420``, ``00266961`` each name one company. Korean names match exactly or as a prefix,
which is what makes ``SK`` ambiguous (SK Inc. is literally "SK", and SK Telecom
starts with it) while ``SK텔레콤`` is not. No match gets the closest names (difflib).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.bot.services import CompanyInfo

MAX_ARGUMENT_CHARS = 500
MAX_NAMES = 20
_DROP = re.compile(r"[\s.,·()\[\]{}'\"㈜]")
MAX_WORDS_PER_NAME = 4


def normalize(name: str) -> str:
    return _DROP.sub("", name.replace("(주)", "")).casefold()


@dataclass(frozen=True, slots=True)
class Found:
    query: str
    companies: tuple[CompanyInfo, ...] = ()  # one: resolved; several: ambiguous
    suggestions: tuple[CompanyInfo, ...] = ()  # when nothing matched

    @property
    def company(self) -> CompanyInfo | None:
        return self.companies[0] if len(self.companies) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.companies) > 1


def _strong_keys(c: CompanyInfo) -> set[str]:
    # An alias that merely repeats the Korean name (the watchlist lists "SK" for SK Inc.)
    # stays a name: names also match as prefixes, which keeps "SK" ambiguous.
    name = normalize(c.name_ko)
    keys = {c.corp_code, normalize(c.name_en)} | {normalize(a) for a in c.aliases} - {name}
    if c.stock_code:
        keys.add(c.stock_code)
    return {k for k in keys if k}


def _all_keys(c: CompanyInfo) -> set[str]:
    return (_strong_keys(c) | {normalize(c.name_ko)}) - {c.corp_code, c.stock_code or ""}


def find(query: str, companies: Sequence[CompanyInfo], *, suggest: bool = True) -> Found:
    q = normalize(query)
    if not q:
        return Found(query)
    strong = tuple(c for c in companies if q in _strong_keys(c))
    if strong:
        return Found(query, strong)
    weak = tuple(
        c
        for c in companies
        if q == normalize(c.name_ko) or (len(q) >= 2 and any(k.startswith(q) for k in _all_keys(c)))
    )
    if weak or not suggest:
        return Found(query, weak)
    keyed = {k: c for c in companies for k in _all_keys(c)}
    close = difflib.get_close_matches(q, list(keyed), n=5, cutoff=0.5)
    seen: dict[str, CompanyInfo] = {}
    for key in close:
        seen.setdefault(keyed[key].corp_code, keyed[key])
    return Found(query, suggestions=tuple(seen.values())[:3])


@dataclass
class Parsed:
    found: list[Found] = field(default_factory=list)
    everything: bool = False


def split_names(arguments: str, companies: Sequence[CompanyInfo]) -> Parsed:
    """Split ``네이버, SK Telecom 003550`` into names; ``all``/``전체`` means every company.

    Commas separate names; within a comma-free chunk the longest run of words that
    names exactly one company wins, so multi-word English names work unquoted.
    """
    parsed = Parsed()
    for chunk in (p.strip() for p in arguments.split(",")):
        if not chunk:
            continue
        words = chunk.split()
        i = 0
        while i < len(words):
            if words[i].casefold() in ("all", "전체", "모두"):
                parsed.everything = True
                i += 1
                continue
            taken = None
            for j in range(min(len(words), i + MAX_WORDS_PER_NAME), i + 1, -1):
                candidate = find(" ".join(words[i:j]), companies, suggest=False)
                if candidate.company is not None:
                    taken = (candidate, j)
                    break
            if taken is None:
                taken = (find(words[i], companies), i + 1)
            parsed.found.append(taken[0])
            i = taken[1]
    return parsed
