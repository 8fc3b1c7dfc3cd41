"""Serve an ASGI app on 127.0.0.1 with uvicorn: the bundled local OpenDART for
``dartwatch demo``, and the local servers tests talk to over real sockets.

Two ways: in a background thread (tests, benchmarks: works under any event loop),
or as a task on the caller's running loop (the demo).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _config(app: Any, port: int, host: str = "127.0.0.1") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


@contextlib.contextmanager
def serve_in_thread(
    app: Any, port: int | None = None, *, startup_timeout: float = 10.0
) -> Iterator[str]:
    """Run *app* in a daemon thread; yield its base URL (``http://127.0.0.1:PORT``)."""
    port = port or free_port()
    server = uvicorn.Server(_config(app, port))
    thread = threading.Thread(target=server.run, name=f"loopback-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"local server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.asynccontextmanager
async def serve_on_loop(
    app: Any, port: int | None = None, *, host: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """Run *app* on the running loop; yield its base URL. *host* other than loopback is
    for the Telegram webhook receiver, which a reverse proxy or Telegram must reach."""
    port = port or free_port()
    server = uvicorn.Server(_config(app, port, host))
    # The caller owns SIGINT/SIGTERM; uvicorn must not take them over.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task
        raise RuntimeError(f"local server on port {port} did not start")
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=5)
