"""`dartwatch run` and `dartwatch demo` as a user runs them: bad configuration is one
line and exit 2; the demo works with no key and no network and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY

# Subprocesses never read the real DART feed (the environment filter drops DART_*).
NO_FEED = {"DART_RSS_URL": ""}


def _run(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DART_", "TELEGRAM_"))
    } | NO_FEED
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=base,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({}, "DART_API_KEY"),
        ({"DART_API_KEY": TEST_KEY, "NOTIFIERS": "webhook"}, "WEBHOOK_URL"),
        ({"DART_API_KEY": TEST_KEY, "NOTIFIERS": "telegram"}, "TELEGRAM_BOT_TOKEN"),
        ({"DART_API_KEY": TEST_KEY, "NOTIFIERS": "slak"}, "NOTIFIERS"),
        ({"DART_API_KEY": TEST_KEY, "POLL_INTERVAL_SECONDS": "0"}, "POLL_INTERVAL_SECONDS"),
        ({"DART_API_KEY": TEST_KEY, "TIMELINE_FILE": "missing.toml"}, "TIMELINE_FILE"),
        ({"DART_API_KEY": "short"}, "DART_API_KEY"),
        ({"DART_API_KEY": TEST_KEY, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DART_API_KEY": TEST_KEY, "DIGEST_TIME": "25:00"}, "DIGEST_TIME"),
    ],
)
def test_run_refuses_bad_configuration_in_one_line(
    env: dict[str, str], setting: str, tmp_path: Path
) -> None:
    result = _run(["run"], {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env}, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert setting in lines[0] and "Traceback" not in result.stderr
    assert "short" not in lines[0] or setting != "DART_API_KEY"  # secrets never echoed


@pytest.mark.slow
def test_demo_runs_with_no_key_and_no_network(tmp_path: Path) -> None:
    result = _run(
        ["demo", "--seconds", "6", "--lang", "en", "--dir", str(tmp_path / "demo")],
        {},
        tmp_path,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "View on DART" in out or "dart.fss.or.kr" in out
    assert "K-AI" in out
    assert "alerts delivered, 0 failed" in out
    html = sorted((tmp_path / "demo").glob("digest-*.html"))
    md = sorted((tmp_path / "demo").glob("digest-*.md"))
    assert html and md and "<svg" in html[0].read_text()
    assert "filings published" in result.stderr  # the progress line
    # The demo ends by telling the next three steps, in order.
    last = [line.split()[1:3] for line in out.strip().splitlines()[-3:]]
    assert last == [["dartwatch", "init"], ["dartwatch", "check"], ["dartwatch", "run"]], out


def _catches_sigterm(pid: int) -> bool:
    """Whether *pid* has a SIGTERM handler yet (the SigCgt mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt")), "0")
    return bool(int(mask, 16) & (1 << (15 - 1)))


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.0, 0.15, 0.4, 1.0, 2.5])
def test_sigterm_at_any_point_of_start_up_is_a_clean_stop(after: float, tmp_path: Path) -> None:
    """A service manager may stop the daemon while it is still importing, migrating the
    database or starting its tasks: every such stop is exit 0 with a line saying so,
    never death by signal (-15) or a traceback. *after* counts from the moment the
    process can catch SIGTERM at all (before that, the interpreter is still starting
    and no Python code can act on it)."""
    import signal
    import time

    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DART_", "TELEGRAM_"))
    } | NO_FEED
    base.update(
        {
            "DART_API_KEY": TEST_KEY,
            "DART_BASE_URL": "http://127.0.0.1:9/api",  # nothing listens: no network
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "NOTIFIERS": "console",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run"],
        env=base,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _catches_sigterm(proc.pid):
            assert proc.poll() is None and time.monotonic() < deadline, "never started"
            time.sleep(0.005)
        time.sleep(after)
        proc.send_signal(signal.SIGTERM)
        try:
            _out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate(timeout=10)
            raise AssertionError(f"still running 30 s after SIGTERM:\n{err[-3000:]}") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err, err[-3000:]
    assert "received SIGTERM: shutting down" in err and "stopped cleanly" in err
