"""Rebuild the message an outbox row refers to, at send time.

Rows carry a reference (``rcept_no``, ``rcept_no#withdrawn``, a digest date), not
the message: a 10,000-subscriber fan-out stores 10,000 small rows, and the alert is
built once (cached for a short while, so a rematch still shows up in later sends).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from monitor.pipeline import alert_for_ref
from notifiers.base import Alert, DigestMessage
from storage.db import Database
from storage.models import Delivery

DigestRenderer = Callable[[date, str], Awaitable[DigestMessage]]


class PayloadResolver:
    def __init__(
        self,
        db: Database,
        digest_renderer: DigestRenderer | None = None,
        *,
        ttl: float = 60.0,
        size: int = 256,
    ) -> None:
        self.db = db
        self.digest_renderer = digest_renderer
        self.ttl = ttl
        self.size = size
        self._cache: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()

    def _get(self, key: tuple[str, str]) -> Any:
        hit = self._cache.get(key)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            return None
        self._cache.move_to_end(key)
        return hit[1]

    def _put(self, key: tuple[str, str], value: Any) -> None:
        self._cache[key] = (time.monotonic(), value)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)

    async def __call__(self, row: Delivery) -> Alert | DigestMessage | str:
        if row.kind in ("broadcast", "admin"):
            text = row.payload.get("text")
            if not isinstance(text, str) or not text:
                raise ValueError("a text delivery without text")
            return text
        if row.kind == "digest":
            lang = str(row.payload.get("lang", "ko"))
            key = (f"digest:{row.ref}", lang)
            cached = self._get(key)
            if cached is None:
                if self.digest_renderer is None:
                    raise LookupError("digests are not available in this process")
                cached = await self.digest_renderer(date.fromisoformat(row.ref), lang)
                self._put(key, cached)
            assert isinstance(cached, DigestMessage)
            return cached
        if row.kind == "test":
            # `dartwatch notify test`: the alert travels in the row (no stored filing).
            return Alert.from_dict(dict(row.payload["alert"]))
        if row.kind == "alert":
            key = (row.ref, "alert")
            alert = self._get(key)
            if alert is None:
                alert = await alert_for_ref(self.db, row.ref)
                self._put(key, alert)
            assert isinstance(alert, Alert)
            return alert
        raise ValueError(f"unknown delivery kind {row.kind!r}")
