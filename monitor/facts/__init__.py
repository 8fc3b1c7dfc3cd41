"""What a filing says: key facts and a one-line summary.

Public surface: :func:`route` (which extractor reads a title), :class:`Fact` /
:class:`FactSet` (the values), :func:`summarize` (the one-liner, ko/en),
:func:`changes` (what a correction changed) and :class:`FactsService` (fetch once,
store, re-use). Extractors are pure functions over plain data (``structured`` for
DS005/DS004 rows, ``bodies`` for document tables).
"""

from monitor.facts.corrections import Change, changes
from monitor.facts.model import Fact, FactSet
from monitor.facts.routing import Route, route
from monitor.facts.summary import summarize

__all__ = ["Change", "Fact", "FactSet", "Route", "changes", "route", "summarize"]
