"""SIGTERM that arrives while a long-running verb is still starting.

A service manager may stop `dartwatch run` during its imports or database migration.
Dying by the signal (exit -15) looks like a crash, and raising an exception from the
handler could interrupt any line of start-up (a lock held, a thread half-joined). So
the first handler only remembers the signal; once the daemon's event loop handles
signals itself, it asks :func:`received` and shuts down cleanly (exit 0).
"""

from __future__ import annotations

import signal
from typing import Any

_received = False


def _remember(signum: int, frame: Any) -> None:
    global _received
    _received = True


def install() -> None:
    signal.signal(signal.SIGTERM, _remember)


def received() -> bool:
    return _received
