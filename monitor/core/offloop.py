"""Run CPU-bound work on untrusted input off the event loop, with a hard time limit.

The bot, the dispatcher and the scheduler share one event loop, so a parser that
spends seconds on a crafted document would freeze them all. A thread does not help:
the regex engine and most C parsers hold the GIL, and a thread cannot be stopped. The
work therefore runs in a child process that is killed when its time is up; the event
loop only awaits a future (the blocking hand-over happens in a helper thread).

One long-lived worker process per :class:`BoundedRunner` keeps the import cost to the
first call (and the first call after a kill). Calls are serialised: bodies are parsed
one at a time, which keeps a burst of filings from taking every core.

Exceptions::

    OffloopError          the work could not be run to completion
    ├── OffloopTimeout    it ran longer than its limit (the worker was killed)
    └── OffloopCrashed    the worker died (out of memory, a crash in C code)

An exception raised by the function itself is re-raised as it is (it must pickle).
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")

# spawn, not fork: the daemon has threads (HTTP pools, the database) that a fork would
# copy in whatever state they are in.
_CONTEXT = multiprocessing.get_context("spawn")


_READY = "ready"
# A new worker imports its modules before the first call's clock starts; this bounds
# that start-up instead.
START_SECONDS = 60.0


class OffloopError(Exception):
    """The work could not be run to completion in the worker process."""


class OffloopTimeout(OffloopError):
    """The work ran longer than its time limit; the worker was killed."""


class OffloopCrashed(OffloopError):
    """The worker process died without an answer."""


def _serve(conn: Connection, preload: tuple[str, ...]) -> None:
    """The worker's loop: import *preload*, say so, then call what it is sent and send
    back ``(ok, value)``."""
    for name in preload:
        importlib.import_module(name)
    conn.send(_READY)
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:
            result = (False, exc)
        try:
            conn.send(result)
        except Exception as exc:  # an unpicklable result or exception
            conn.send((False, OffloopError(f"{type(exc).__name__}: {exc}")))


class BoundedRunner:
    """A worker process that runs one call at a time, each within its own time limit."""

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        self._preload = preload
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def _ensure(self) -> Connection:
        if self._process is None or not self._process.is_alive() or self._conn is None:
            self._discard()
            parent, child = _CONTEXT.Pipe()
            process = _CONTEXT.Process(target=_serve, args=(child, self._preload), daemon=True)
            process.start()
            child.close()
            self._process, self._conn = process, parent
            try:
                started = parent.poll(START_SECONDS) and parent.recv() == _READY
            except (EOFError, OSError):
                started = False
            if not started:
                self._discard()
                raise OffloopCrashed("the worker process did not start")
        return self._conn

    def _discard(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def call(self, fn: Callable[..., T], *args: Any, timeout: float) -> T:
        """Blocking: ``fn(*args)`` in the worker; the time limit counts from the
        moment the worker has the call (not the start-up of a new worker)."""
        with self._lock:
            conn = self._ensure()
            try:
                conn.send((fn, args))
                ready = conn.poll(timeout)
                if ready:
                    ok, value = conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self._discard()
                raise OffloopCrashed("the worker process died") from None
            if not ready:
                self._discard()
                raise OffloopTimeout(f"still running after {timeout:g} s; stopped")
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    async def run(self, fn: Callable[..., T], *args: Any, timeout: float) -> T:
        """:meth:`call` awaited from the event loop without blocking it."""
        return await asyncio.to_thread(self.call, fn, *args, timeout=timeout)

    def close(self) -> None:
        with self._lock:
            self._discard()


_default: BoundedRunner | None = None
_default_lock = threading.Lock()


def default_runner() -> BoundedRunner:
    """The process-wide runner (one worker for all untrusted parsing)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = BoundedRunner(preload=("monitor.opendart.parsing",))
        return _default


async def run_bounded(fn: Callable[..., T], *args: Any, timeout: float) -> T:
    """``fn(*args)`` in the shared worker process, killed after *timeout* seconds.

    *fn* and its arguments must pickle (a module-level function and plain data).
    Raises :class:`OffloopTimeout` or :class:`OffloopCrashed`, or what *fn* raised.
    """
    return await default_runner().run(fn, *args, timeout=timeout)
