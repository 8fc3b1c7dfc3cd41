"""``dartwatch init`` as an operator runs it, against the local OpenDART and Bot API:
non-interactively (flags and environment) and interactively through a pseudo-terminal.
The key and the token are checked live, the operator's user id comes from their
/start (older updates ignored, none confirmed), and .env is written 0600, never over
an existing file without --force, never at all when a check fails."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]
OPERATOR = 424242
STRANGER = 777


class Local:
    def __init__(self, dart: FakeDart, telegram: FakeTelegram, env: dict[str, str]) -> None:
        self.dart, self.telegram, self.env = dart, telegram, env


@pytest.fixture
def local() -> Iterator[Local]:
    dart = FakeDart(keys={TEST_KEY}, noise_per_day=0, noise_companies=5)
    telegram = FakeTelegram()
    with serve_in_thread(dart) as dart_url, serve_in_thread(telegram) as tg_url:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DART_", "TELEGRAM_", "NOTIFIERS", "ADMIN_", "DATABASE_"))
        }
        env.update(
            DART_BASE_URL=f"{dart_url}/api",
            # the local OpenDART's feed, never DART's real one
            DART_RSS_URL=f"{dart_url}/api/todayRSS.xml",
            TELEGRAM_BASE_URL=f"{tg_url}/bot",
            PYTHONPATH=str(ROOT),
        )
        yield Local(dart, telegram, env)


def dartwatch(local: Local, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env={**local.env, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_answering_start(
    local: Local, cwd: Path, args: list[str], **env: str
) -> subprocess.CompletedProcess[str]:
    """Run dartwatch; when it asks for /start, the operator sends it (as a person
    would: after reading the prompt)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        env={**local.env, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "send /start" in line:
            local.telegram.private_text(OPERATOR, "/start")
    _, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, "".join(lines), err)


def read_env(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_non_interactive_writes_a_checked_env_that_check_accepts(
    local: Local, tmp_path: Path
) -> None:
    # A stranger's /start from a minute ago is pending: it must not become the admin.
    local.telegram.private_text(STRANGER, "/start")
    local.telegram._s.updates[-1]["message"]["date"] -= 60
    result = run_answering_start(
        local,
        tmp_path,
        ["init", "--non-interactive", "--wait", "20"],
        DART_API_KEY=TEST_KEY,
        TELEGRAM_BOT_TOKEN=TOKEN,
    )
    assert result.returncode == 0, result.stderr
    env_file = tmp_path / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert read_env(env_file) == {
        "DART_API_KEY": TEST_KEY,
        "NOTIFIERS": "telegram",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ADMIN_USER_IDS": str(OPERATOR),
    }
    assert f"your Telegram user id: {OPERATOR}" in result.stdout
    assert local.dart.count("list.json") == 1
    assert local.telegram.pending_updates() == 2  # nothing confirmed: the bot answers later
    assert TEST_KEY not in result.stdout + result.stderr
    # The written file is a configuration `check` accepts (settings come from .env).
    check = subprocess.run(
        [sys.executable, "-m", "monitor", "check"],
        env=local.env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "@dartwatch_test_bot" in check.stdout


def test_never_replaces_a_file_without_force(local: Local, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("NOTIFIERS=console\n")
    refused = dartwatch(local, tmp_path, "init", "--non-interactive", DART_API_KEY=TEST_KEY)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert env_file.read_text() == "NOTIFIERS=console\n"
    forced = dartwatch(
        local,
        tmp_path,
        "init",
        "--non-interactive",
        "--force",
        "--notifiers",
        "console",
        DART_API_KEY=TEST_KEY,
    )
    assert forced.returncode == 0, forced.stderr
    assert read_env(env_file) == {"DART_API_KEY": TEST_KEY, "NOTIFIERS": "console"}
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DART_API_KEY": "f" * 40, "TELEGRAM_BOT_TOKEN": TOKEN}, "refused the key"),
        (
            {
                "DART_API_KEY": TEST_KEY,
                "TELEGRAM_BOT_TOKEN": "123456789:AAWrongTokenWrongToken_xyz",
            },
            "rejected the bot token",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN}, "--dart-key"),
        ({"DART_API_KEY": TEST_KEY, "NOTIFIERS": "telegram"}, "--bot-token"),
        ({"DART_API_KEY": "short"}, "DART_API_KEY"),
        ({"DART_API_KEY": TEST_KEY, "NOTIFIERS": "telegarm"}, "unknown notifier telegarm"),
    ],
)
def test_a_failed_check_writes_nothing(
    env: dict[str, str], message: str, local: Local, tmp_path: Path
) -> None:
    result = dartwatch(local, tmp_path, "init", "--non-interactive", "--wait", "0", **env)
    assert result.returncode in (1, 2)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / ".env").exists()
    for secret in ("DART_API_KEY", "TELEGRAM_BOT_TOKEN"):  # never echoed, even when wrong
        assert env.get(secret, "\0") not in result.stderr


def test_no_start_within_the_wait_still_writes_without_admins(local: Local, tmp_path: Path) -> None:
    began = time.monotonic()
    result = dartwatch(
        local,
        tmp_path,
        "init",
        "--non-interactive",
        "--wait",
        "2",
        DART_API_KEY=TEST_KEY,
        TELEGRAM_BOT_TOKEN=TOKEN,
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - began < 45  # bounded: a 2 s wait, not the default 120 s
    assert "no /start arrived" in result.stderr
    assert "ADMIN_USER_IDS" not in read_env(tmp_path / ".env")


# --- interactive, through a pseudo-terminal ------------------------------------------


class Terminal:
    """A child process on a pseudo-terminal, driven like a person at the keyboard."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: becomes dartwatch, the pty its controlling terminal
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "monitor", *args], env)
        self.pid, self.fd, self.seen = pid, fd, ""

    def expect(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"never saw {text!r}; screen:\n{self.seen}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"exited before {text!r}; screen:\n{self.seen}")
                self.seen += chunk.decode("utf-8", "replace")

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def wait(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = os.read(self.fd, 4096)
                self.seen += chunk.decode("utf-8", "replace")
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        os.kill(self.pid, 9)
        raise AssertionError(f"did not exit; screen:\n{self.seen}")


def test_interactive_prompts_hide_secrets_and_find_the_operator(
    local: Local, tmp_path: Path
) -> None:
    term = Terminal(["init"], local.env, tmp_path)
    term.expect("OpenDART key")
    term.type(TEST_KEY)
    term.expect("Notifiers, comma-separated [telegram]:")
    term.type("")
    term.expect("Telegram bot token")
    term.type(TOKEN)
    term.expect("Database URL [sqlite:///dartwatch.db]:")
    term.type("")
    term.expect("send /start to @dartwatch_test_bot")
    local.telegram.private_text(OPERATOR, "/start")
    term.expect("wrote .env")
    assert term.wait() == 0, term.seen
    assert TEST_KEY not in term.seen and TOKEN not in term.seen  # not echoed
    values = read_env(tmp_path / ".env")
    assert values["ADMIN_USER_IDS"] == str(OPERATOR)
    assert values["DART_API_KEY"] == TEST_KEY and values["TELEGRAM_BOT_TOKEN"] == TOKEN
    assert values["DATABASE_URL"] == "sqlite:///dartwatch.db"
