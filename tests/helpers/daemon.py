"""Run ``dartwatch run`` as a subprocess against the local OpenDART and the fake Bot API,
the way an operator would: settings in the environment, signals to stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.conftest import TEST_KEY

# Subprocesses never read the real DART feed (the environment filter drops DART_*).
NO_FEED = {"DART_RSS_URL": ""}


def daemon_env(
    *, dart_url: str, database_url: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DART_", "TELEGRAM_"))
    } | NO_FEED
    env.update(
        {
            "DART_API_KEY": TEST_KEY,
            "DART_BASE_URL": f"{dart_url}/api",
            "DATABASE_URL": database_url,
            "POLL_INTERVAL_SECONDS": "1",
            "POLL_IDLE_INTERVAL_SECONDS": "1",
            "DOCUMENT_TIMEOUT_SECONDS": "2",
            "LOG_FORMAT": "json",
            "PTB_TIMEDELTA": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


@contextlib.contextmanager
def running_daemon(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start the daemon; always stop it (SIGKILL if it will not go) when the block ends."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=log_path.parent,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=timeout)


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
