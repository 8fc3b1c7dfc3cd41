"""A webhook receiver in its own process, for the dispatcher benchmark.

A local webhook is another program on the host. Served from a thread of the benchmark's
own interpreter instead, the receiver shares the dispatcher's interpreter lock: every
``send()`` and every hand-off to SQLite's thread releases the lock, the receiver takes
it, and the dispatcher waits for the receiver's Python before it runs on. The figure
then measures both programs on one core, interleaved (see ``docs/delivery.md``).

The process serves the test receiver (:class:`tests.fakes.receiver.OutboxReceiver`,
which counts deliveries by ``X-Dartwatch-Id`` and checks signatures) and answers
``GET /_stats`` with its counts and ``POST /_reset`` by forgetting them.

Run alone: .venv/bin/python -m benchmarks.receiver --port 8099 [--secret S] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.core.loopback import free_port  # noqa: E402
from testkit.fakes.receiver import OutboxReceiver  # noqa: E402


class CountingApp:
    """The receiver, plus its counts over HTTP for the process that started it."""

    def __init__(self, secret: str | None, delay: float) -> None:
        self.secret = secret
        self.delay = delay
        self.receiver = OutboxReceiver(secret, delay=delay)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/_stats":
            rx = self.receiver
            stats = {
                "total": rx.total,
                "distinct": len(rx.ids),
                "duplicates": rx.duplicates(),
                "bad_signatures": rx.bad_signatures,
                "requests": rx.requests,
            }
            await _answer(send, json.dumps(stats).encode())
            return
        if path == "/_reset":
            self.receiver = OutboxReceiver(self.secret, delay=self.delay)
            await _answer(send, b"{}")
            return
        await self.receiver(scope, receive, send)


async def _answer(send: Any, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class ReceiverProcess:
    """A receiver running in a child process: its URL and its counts."""

    base: str
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"{self.base}/hook"

    def stats(self) -> dict[str, int]:
        data: dict[str, int] = httpx.get(f"{self.base}/_stats", timeout=10).json()
        return data

    def reset(self) -> None:
        httpx.post(f"{self.base}/_reset", timeout=10).raise_for_status()


@contextlib.contextmanager
def receiver_process(
    *, secret: str | None = None, delay: float = 0.0, startup_timeout: float = 20.0
) -> Iterator[ReceiverProcess]:
    """Start a receiver process on a free loopback port; stop it on exit."""
    port = free_port()
    args = [sys.executable, "-m", "benchmarks.receiver", "--port", str(port)]
    if secret:
        args += ["--secret", secret]
    if delay:
        args += ["--delay", str(delay)]
    process = subprocess.Popen(args, cwd=ROOT)
    handle = ReceiverProcess(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                handle.stats()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the receiver on port {port} did not start") from None
                time.sleep(0.05)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", default=None)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    uvicorn.run(
        CountingApp(args.secret, args.delay),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
