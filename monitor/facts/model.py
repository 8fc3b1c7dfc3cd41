"""What a filing says, as plain values: :class:`Fact` and the per-filing :class:`FactSet`.

A fact has a stable snake_case ``key`` (the outside contract: digest JSON, webhook
payloads and ``explain`` carry ``key → value``), a normalised ``value`` (integer won,
float percentages, ISO dates, text), the ``label`` it was read under, its ``unit``, the
``display`` form a Korean reader expects and its ``source`` (``ds005``, ``ds004`` or
``body``).

A :class:`FactSet` is stored once per filing with a status: ``extracted`` (facts
found), ``none`` (no extractor for this kind of filing, or nothing in the source), or
``unparseable`` (the source was there but could not be read) — with the reason, shown
by ``explain``. Transient failures (quota, timeout) are not stored, so a later run
tries again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from monitor.facts import values as v

Source = Literal["ds005", "ds004", "body"]
FactValue = int | float | str | bool

EXTRACTED = "extracted"
NONE = "none"
UNPARSEABLE = "unparseable"
STATUSES = (EXTRACTED, NONE, UNPARSEABLE)


@dataclass(frozen=True, slots=True)
class Fact:
    key: str
    value: FactValue
    label: str
    unit: str  # KRW | % | shares | date | text | count | flag
    display: str
    source: Source

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "label": self.label,
            "unit": self.unit,
            "display": self.display,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fact:
        source = str(data.get("source", "body"))
        return cls(
            key=str(data["key"]),
            value=data["value"],
            label=str(data.get("label", "")),
            unit=str(data.get("unit", "")),
            display=str(data.get("display", data["value"])),
            source=source if source in ("ds005", "ds004", "body") else "body",  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class FactSet:
    """The facts of one filing (or why there are none)."""

    family: str | None
    status: str
    reason: str = ""
    facts: tuple[Fact, ...] = ()
    source: str = ""
    # The body's 정정사항 table of an amendment: (item, before, after).
    corrections: tuple[tuple[str, str, str], ...] = ()
    # The filing a [기재정정] corrects, when it was found.
    corrects: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == EXTRACTED and bool(self.facts)

    def get(self, key: str) -> FactValue | None:
        for fact in self.facts:
            if fact.key == key:
                return fact.value
        return None

    def fact(self, key: str) -> Fact | None:
        for fact in self.facts:
            if fact.key == key:
                return fact
        return None

    def values(self) -> dict[str, FactValue]:
        """``key → value`` (the contract's ``facts`` object)."""
        return {f.key: f.value for f in self.facts}

    def to_json(self) -> list[dict[str, Any]]:
        return [f.to_json() for f in self.facts]

    @classmethod
    def none(cls, family: str | None, reason: str) -> FactSet:
        return cls(family=family, status=NONE, reason=reason)

    @classmethod
    def unparseable(cls, family: str | None, reason: str, source: str = "") -> FactSet:
        return cls(family=family, status=UNPARSEABLE, reason=reason, source=source)


@dataclass(slots=True)
class FactBuilder:
    """Collects facts from one source, skipping values that did not parse."""

    source: Source
    facts: list[Fact] = field(default_factory=list)

    def _add(self, key: str, value: FactValue | None, label: str, unit: str, shown: str) -> None:
        if value is None or any(f.key == key for f in self.facts):
            return
        self.facts.append(Fact(key, value, label, unit, shown, self.source))

    def money(self, key: str, label: str, raw: str | None, multiplier: int = 1) -> None:
        value = v.parse_int(raw, multiplier)
        self._add(key, value, label, "KRW", v.krw(value) if value is not None else "")

    def money_value(self, key: str, label: str, value: int | None) -> None:
        self._add(key, value, label, "KRW", v.krw(value) if value is not None else "")

    def percent(self, key: str, label: str, raw: str | None) -> None:
        value = v.parse_decimal(raw)
        self._add(key, value, label, "%", v.pct(value) if value is not None else "")

    def percent_value(self, key: str, label: str, value: float | None) -> None:
        self._add(key, value, label, "%", v.pct(value) if value is not None else "")

    def shares(self, key: str, label: str, raw: str | None) -> None:
        value = v.parse_int(raw)
        self._add(key, value, label, "shares", v.count(value) if value is not None else "")

    def number(self, key: str, label: str, raw: str | None) -> None:
        value = v.parse_decimal(raw)
        self._add(key, value, label, "count", v.trim_number(value, 4) if value is not None else "")

    def date(self, key: str, label: str, raw: str | None) -> None:
        value = v.parse_date(raw)
        self._add(key, value, label, "date", value or "")

    def text(self, key: str, label: str, raw: str | None, limit: int = 200) -> None:
        value = v.text_value(raw, limit)
        self._add(key, value, label, "text", value or "")

    def flag(self, key: str, label: str, value: bool | None, shown: str) -> None:
        self._add(key, value, label, "flag", shown)

    def result(self, family: str, *, empty_reason: str) -> FactSet:
        if not self.facts:
            return FactSet.none(family, empty_reason)
        return FactSet(family, EXTRACTED, facts=tuple(self.facts), source=self.source)


def merge(*sets: FactSet) -> tuple[Fact, ...]:
    """Facts of several sets, the first set's value winning for a repeated key."""
    seen: dict[str, Fact] = {}
    for s in sets:
        for f in s.facts:
            seen.setdefault(f.key, f)
    return tuple(seen.values())


def facts_from_json(rows: Iterable[Mapping[str, Any]]) -> tuple[Fact, ...]:
    out: list[Fact] = []
    for row in rows:
        try:
            out.append(Fact.from_json(row))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)
