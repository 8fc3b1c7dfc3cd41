"""Health endpoints for orchestrators, on the metrics listener (``METRICS_PORT``).

- ``/healthz``: the process is up and its event loop answers (liveness). Always 200
  while the loop runs; a frozen loop cannot answer, which is the point.
- ``/readyz``: this replica can do its work (readiness): the database answers, its
  schema is the one this version needs, the scheduler runs, and a poll (by any
  replica: only the leader polls) started recently. 200 when every check passes,
  503 otherwise; the JSON body lists each check, so the reason is in the probe log.
- anything else: the Prometheus exposition, as before.

Both bodies are JSON objects. The endpoints run on the daemon's own loop, so a
readiness answer is the daemon's real state, not a side thread's guess.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: Seconds each readiness check may take before it counts as failed.
CHECK_TIMEOUT = 3.0

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@dataclass(slots=True)
class Readiness:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, ok: bool, **detail: Any) -> None:
        self.checks[name] = {"ok": ok, **detail}

    @property
    def ready(self) -> bool:
        return bool(self.checks) and all(c["ok"] for c in self.checks.values())

    def body(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", "checks": self.checks}


def poll_is_recent(
    last_started: datetime | None, now: datetime, idle_interval_seconds: int
) -> bool:
    """Whether the last poll started recently enough for a healthy daemon: within two
    of the longest intervals the schedule uses (the idle one) plus a minute of slack,
    so the switch from night to market hours never reads as stuck."""
    if last_started is None:
        return False
    return now - last_started <= timedelta(seconds=2 * idle_interval_seconds + 60)


async def bounded(check: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(check, timeout=CHECK_TIMEOUT)


class HealthApp:
    """The ASGI app of the metrics listener: the two probes, then Prometheus."""

    def __init__(self, metrics: ASGIApp, readiness: Callable[[], Awaitable[Readiness]]) -> None:
        self.metrics = metrics
        self.readiness = readiness
        self.started = time.monotonic()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope.get("path", "")
        if path == "/healthz":
            uptime = round(time.monotonic() - self.started, 1)
            await _json(send, 200, {"status": "ok", "uptime_seconds": uptime})
        elif path == "/readyz":
            try:
                result = await self.readiness()
            except Exception as exc:  # a bug here must read as "not ready", not a 500
                result = Readiness()
                result.add("readiness", False, error=type(exc).__name__)
            await _json(send, 200 if result.ready else 503, result.body())
        else:
            await self.metrics(scope, receive, send)


async def _json(send: Any, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
