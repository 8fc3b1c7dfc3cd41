"""Facts on an alert: the summary lines, the ``key → value`` object and, for a
correction, what changed. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from monitor.facts.corrections import Change
from monitor.facts.model import FactSet
from monitor.facts.summary import summarize
from notifiers.base import Alert, FactChange


def with_facts(alert: Alert, facts: FactSet | None, changes: Sequence[Change] = ()) -> Alert:
    """*alert* carrying *facts* (summary ko/en, values) and a correction's *changes*."""
    if facts is None:
        return alert
    return replace(
        alert,
        summary=summarize(facts, "ko"),
        summary_en=summarize(facts, "en"),
        facts=facts.values() if facts.ok else {},
        corrects=facts.corrects,
        changes=tuple(FactChange(c.key, c.label, c.old, c.new) for c in changes),
    )
