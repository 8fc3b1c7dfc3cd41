"""A webhook receiver for outbox tests: counts deliveries by ``X-Dartwatch-Id`` (so
duplicates are visible), verifies signatures, and can misbehave on demand — answer 5xx
for a while, stall past the client's timeout, or be stopped and restarted on the same
port (connection refused meanwhile)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from monitor.core.loopback import free_port, serve_in_thread
from notifiers.webhook import verify_signature


class OutboxReceiver:
    def __init__(self, secret: str | None = None, *, delay: float = 0.0) -> None:
        self.secret = secret
        self.delay = delay
        self.ids: Counter[str] = Counter()  # accepted (2xx) deliveries by X-Dartwatch-Id
        # ...and by the rcept_no in the JSON body: a second count that does not trust
        # the header the sender chose
        self.rcepts: Counter[str] = Counter()
        self.fail_next_n = 0
        self.requests = 0
        self.bad_signatures = 0
        self.aborted = 0  # requests whose sender vanished before the body was in
        self.fail_until = 0.0
        self.fail_status = 503
        self.stall_until = 0.0
        self.stalled_count = False  # whether a stalled request is processed after all
        self.permanent: set[str] = set()  # rcept_nos answered 400
        self._lock = threading.Lock()

    def fail_for(self, seconds: float, status: int = 503) -> None:
        self.fail_status = status
        self.fail_until = time.monotonic() + seconds

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer *status* to the next *n* requests, whatever they are."""
        with self._lock:
            self.fail_status = status
            self.fail_next_n = n

    def stall_for(self, seconds: float, *, processed: bool = False) -> None:
        """Hang requests for *seconds* (past the client's timeout); with *processed* the
        receiver still acts on them afterwards, as a slow server does."""
        self.stall_until = time.monotonic() + seconds
        self.stalled_count = processed

    def _take_failure(self) -> bool:
        with self._lock:
            if self.fail_next_n <= 0:
                return False
            self.fail_next_n -= 1
            return True

    @property
    def total(self) -> int:
        return sum(self.ids.values())

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.ids.values() if n > 1)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The sender died mid-request (SIGKILL): nothing was delivered.
                with self._lock:
                    self.aborted += 1
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ident = headers.get("x-dartwatch-id", "")
        with self._lock:
            self.requests += 1
        status = 200
        now = time.monotonic()
        if now < self.stall_until:
            await asyncio.sleep(self.stall_until - now + 0.5)  # past the client's timeout
            status = 200 if self.stalled_count else 504
        elif now < self.fail_until or self._take_failure():
            status = self.fail_status
        elif ident.split(":")[0] in self.permanent:
            status = 400
        elif self.secret is not None and not verify_signature(
            self.secret,
            body,
            headers.get("x-dartwatch-timestamp"),
            headers.get("x-dartwatch-signature"),
        ):
            with self._lock:
                self.bad_signatures += 1
            status = 401
        if self.delay:
            await asyncio.sleep(self.delay)
        if status == 200:
            with self._lock:
                self.ids[ident] += 1
                self.rcepts[_rcept_no(body)] += 1
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"no"})


def _rcept_no(body: bytes) -> str:
    try:
        alert = json.loads(body).get("alert") or {}
    except (ValueError, AttributeError):
        return ""
    return str(alert.get("rcept_no", "")) if isinstance(alert, dict) else ""


@contextlib.contextmanager
def restartable(app: OutboxReceiver) -> Iterator[Any]:
    """Serve *app* on a fixed port; the yielded handle can ``stop()`` and ``start()``."""

    class Handle:
        def __init__(self) -> None:
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}/hook"
            self._cm: contextlib.AbstractContextManager[str] | None = None

        def start(self) -> None:
            self._cm = serve_in_thread(app, self.port)
            self._cm.__enter__()

        def stop(self) -> None:
            if self._cm is not None:
                self._cm.__exit__(None, None, None)
                self._cm = None

    handle = Handle()
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()
