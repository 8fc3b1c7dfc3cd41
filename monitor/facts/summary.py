"""One-line summaries from facts, written from the templates of ``summaries.toml``.

Pure: a :class:`FactSet` and a language in, a line (or None) out. The template syntax is
small on purpose (``{key}``, ``{key:short}``, ``{key:signed}``, optional ``[...]``) so
the wording stays in the data file where a non-programmer can change it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from monitor.facts import values as v
from monitor.facts.model import Fact, FactSet

SUMMARIES_FILE = Path(__file__).with_name("summaries.toml")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)(?::([a-z]+))?\}")
MAX_CHARS = 200


class SummaryTemplatesError(ValueError):
    """``summaries.toml`` is malformed."""


@dataclass(frozen=True, slots=True)
class _Templates:
    by_family: dict[str, dict[str, tuple[str, ...]]]
    terms: dict[str, str]


@cache
def _templates() -> _Templates:
    raw = tomllib.loads(SUMMARIES_FILE.read_text(encoding="utf-8"))
    terms = {str(k): str(val) for k, val in raw.pop("terms", {}).items()}
    by_family: dict[str, dict[str, tuple[str, ...]]] = {}
    for family, entry in raw.items():
        langs: dict[str, tuple[str, ...]] = {}
        for lang in ("ko", "en"):
            items = entry.get(lang)
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise SummaryTemplatesError(f"summaries.toml: {family}.{lang} must be a list")
            for item in items:
                if item.count("[") != item.count("]"):
                    raise SummaryTemplatesError(
                        f"summaries.toml: {family}.{lang}: unbalanced [ ] in {item!r}"
                    )
            langs[lang] = tuple(items)
        by_family[str(family)] = langs
    return _Templates(by_family, terms)


def _quarter(facts: FactSet) -> str | None:
    end = facts.get("period_end")
    if not isinstance(end, str) or len(end) < 7:
        return None
    month = int(end[5:7])
    return f"{(month - 1) // 3 + 1}Q"


def _show(fact: Fact, style: str | None, lang: str, terms: dict[str, str]) -> str:
    value = fact.value
    if fact.unit == "KRW" and isinstance(value, int):
        if lang == "en":
            return v.krw_en(value)
        return v.krw_short(value) if style == "short" else v.krw(value)
    if style == "signed" and isinstance(value, int | float) and not isinstance(value, bool):
        if fact.unit == "%":
            return v.signed_pct(float(value))
        return ("+" if value > 0 else "") + f"{value:,}"
    if fact.unit == "shares" and lang == "en" and isinstance(value, int):
        return f"{value:,} shares"
    if lang == "en" and isinstance(value, str):
        return terms.get(value, value)
    return fact.display


class _Missing(Exception):
    pass


def _render(template: str, facts: FactSet, lang: str, terms: dict[str, str]) -> tuple[str, int]:
    """``(text, placeholders filled)``; raises :class:`_Missing` for a required gap."""
    quarter = _quarter(facts)
    used = 0

    def fill(part: str) -> str:
        nonlocal used

        def one(m: re.Match[str]) -> str:
            nonlocal used
            key, style = m.group(1), m.group(2)
            if key == "quarter":
                if quarter is None:
                    raise _Missing(key)
                used += 1
                return quarter
            fact = facts.fact(key)
            if fact is None:
                raise _Missing(key)
            used += 1
            return _show(fact, style, lang, terms)

        return _PLACEHOLDER.sub(one, part)

    out: list[str] = []
    for piece in re.split(r"(\[[^\[\]]*\])", template):
        if piece.startswith("[") and piece.endswith("]"):
            before = used
            try:
                out.append(fill(piece[1:-1]))
            except _Missing:
                used = before
        else:
            out.append(fill(piece))
    return "".join(out), used


def summarize(facts: FactSet | None, lang: str = "ko") -> str | None:
    """The one-line summary of *facts* in *lang* (``ko``/``en``), or None."""
    if facts is None or not facts.ok or facts.family is None:
        return None
    templates = _templates()
    family = templates.by_family.get(facts.family)
    if family is None:
        return None
    for template in family.get(lang if lang in ("ko", "en") else "ko", ()):
        try:
            text, used = _render(template, facts, lang, templates.terms)
        except _Missing:
            continue
        if used:
            text = " ".join(text.split())
            return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
    return None


def families_with_templates() -> tuple[str, ...]:
    return tuple(_templates().by_family)


def facts_text(facts: FactSet | None) -> str:
    """What a subscriber's keywords read of the facts: both summaries and every text
    fact (a counterparty, a target company, a purpose), so ``/keyword 반도체`` finds a
    supply contract whose title names neither."""
    if facts is None or not facts.ok:
        return ""
    parts = [summarize(facts, "ko") or "", summarize(facts, "en") or ""]
    parts.extend(f.display for f in facts.facts if f.unit == "text")
    return " ".join(p for p in parts if p)
