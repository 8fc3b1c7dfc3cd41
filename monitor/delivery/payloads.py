"""Rebuild the message an outbox row refers to, at send time.

Rows carry a reference (``rcept_no``, ``rcept_no#withdrawn``, a digest date), not
the message: a 10,000-subscriber fan-out stores 10,000 small rows, and the alert is
built once (cached for a short while, so a rematch still shows up in later sends).

:meth:`PayloadResolver.prefetch` builds the alerts of a whole claimed batch with one
query per table, instead of one session per row: the dispatcher calls it right after
each claim, so every row of the batch then resolves from the cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from sqlmodel import col, select

from monitor.delivery.pipeline import EVENT_SEP, alert_for_ref
from monitor.facts.alerts import with_facts
from monitor.facts.service import stored_facts
from monitor.kai.matcher import alert_from_rows
from notifiers.base import Alert, DigestMessage, HeldAlerts
from storage.db import Database
from storage.models import Delivery, Filing, Match
from storage.outbox import HELD_KIND

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

    async def prefetch(self, rows: Sequence[Delivery]) -> int:
        """Build the alerts of *rows* not cached yet, with one query per table; return
        how many were built. A reference whose filing is gone is left out: resolving
        its row raises the usual :class:`LookupError`."""
        wanted = {r.ref for r in rows if r.kind == "alert"}
        for row in rows:
            if row.kind == HELD_KIND:
                wanted.update(str(ref) for ref in row.payload.get("refs", ()))
        refs = {ref for ref in wanted if self._get((ref, "alert")) is None}
        if not refs:
            return 0
        rcept_nos = {ref.partition(EVENT_SEP)[0] for ref in refs}
        async with self.db.session() as session:
            filings = {
                f.rcept_no: f
                for f in (
                    await session.exec(select(Filing).where(col(Filing.rcept_no).in_(rcept_nos)))
                ).all()
            }
            matches = {
                m.rcept_no: m
                for m in (
                    await session.exec(select(Match).where(col(Match.rcept_no).in_(rcept_nos)))
                ).all()
            }
        # What the filings say (the summary that leads an alert), also in one query.
        facts = await stored_facts(self.db, sorted(rcept_nos))
        built = 0
        for ref in sorted(refs):
            rcept_no, _, event = ref.partition(EVENT_SEP)
            filing, match = filings.get(rcept_no), matches.get(rcept_no)
            if filing is None or match is None:
                continue
            alert = alert_from_rows(filing, match, event=event or "new")
            found, changes = facts.get(rcept_no, (None, []))
            self._put((ref, "alert"), with_facts(alert, found, changes))
            built += 1
        return built

    async def _alert(self, ref: str) -> Alert:
        key = (ref, "alert")
        alert = self._get(key)
        if alert is None:
            alert = await alert_for_ref(self.db, ref)
            self._put(key, alert)
        assert isinstance(alert, Alert)
        return alert

    async def __call__(self, row: Delivery) -> Alert | DigestMessage | HeldAlerts | str:
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
            return await self._alert(row.ref)
        if row.kind == HELD_KIND:
            return await self._held(row)
        raise ValueError(f"unknown delivery kind {row.kind!r}")

    async def _held(self, row: Delivery) -> HeldAlerts:
        """The alerts of a quiet-hours summary; one whose filing is no longer stored
        is left out, and a summary with none left cannot be built."""
        refs = row.payload.get("refs")
        if not isinstance(refs, list) or not refs:
            raise ValueError("a held-alerts summary without alerts")
        alerts = []
        for ref in refs:
            try:
                alerts.append(await self._alert(str(ref)))
            except LookupError:
                continue
        if not alerts:
            raise LookupError("none of the held alerts is stored any more")
        return HeldAlerts(tuple(alerts))
