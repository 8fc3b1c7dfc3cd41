"""What a correction changed: the facts that differ between an original filing and its
``[기재정정]`` amendment (old → new), plus the amendment body's own 정정사항 rows.

Pure functions; finding the original filing is the caller's job (same company, same
title without the prefix, filed before the amendment).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.facts.model import FactSet
from monitor.facts.routing import split_title

MAX_CHANGES = 8


@dataclass(frozen=True, slots=True)
class Change:
    key: str  # a fact key, or "" for a row of the body's 정정사항 table
    label: str
    old: str
    new: str


def base_title(report_nm: str) -> str:
    """The title without amendment prefixes and spaces: what an amendment shares with
    the filing it corrects."""
    return split_title(report_nm)[1]


def fact_changes(old: FactSet | None, new: FactSet | None) -> list[Change]:
    """Facts whose value differs (or appeared / disappeared), in the new set's order."""
    if old is None or new is None or not old.facts or not new.facts:
        return []
    changes: list[Change] = []
    before = {f.key: f for f in old.facts}
    after = {f.key: f for f in new.facts}
    for key in [*after, *(k for k in before if k not in after)]:
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and a.value == b.value:
            continue
        label = (b or a).label  # type: ignore[union-attr]
        changes.append(Change(key, label, a.display if a else "—", b.display if b else "—"))
    return changes[:MAX_CHANGES]


def body_changes(new: FactSet | None) -> list[Change]:
    """The amendment body's 정정사항 rows (item, before → after)."""
    if new is None:
        return []
    out = [
        Change("", " ".join(item.split()), " ".join(old.split()), " ".join(after.split()))
        for item, old, after in new.corrections
        if old.strip() or after.strip()
    ]
    return out[:MAX_CHANGES]


def changes(old: FactSet | None, new: FactSet | None) -> list[Change]:
    """Fact differences when both sides have facts, else the body's 정정사항 table."""
    return fact_changes(old, new) or body_changes(new)
