"""Render an alert once per (alert, language, format) during a fan-out.

The dispatcher hands every destination of one filing the same :class:`Alert` object
(the payload resolver caches it per reference for a batch and a short TTL), so the
text formatted for the first destination serves the next thousand. Entries are keyed
by the object's identity and checked with ``is``: a rematch builds a new object and
therefore a new rendering, and a recycled ``id()`` never returns another alert's text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from notifiers.base import Alert

T = TypeVar("T")


class RenderCache(Generic[T]):
    """A small LRU of renderings; *size* bounds the alerts remembered."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str, str], tuple[Alert, T]] = OrderedDict()

    def get(self, alert: Alert, lang: str, fmt: str, render: Callable[[], T]) -> T:
        key = (id(alert), lang, fmt)
        hit = self._items.get(key)
        if hit is not None and hit[0] is alert:
            self._items.move_to_end(key)
            return hit[1]
        value = render()
        self._items[key] = (alert, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value
