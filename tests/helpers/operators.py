"""The local services an operator's configuration points at in the ``check``,
``notify test`` and ``init`` tests: OpenDART, the Bot API, a webhook receiver and an
SMTP server, all on 127.0.0.1, each reachable with the settings in :attr:`env`."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.cli import main
from monitor.core.loopback import free_port, serve_in_thread
from monitor.fakedart import FakeDart
from testkit.fakes.receiver import OutboxReceiver
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.conftest import TEST_KEY

WEBHOOK_SECRET = "hook-secret-for-tests"


class Mailbox:
    """An aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"


@dataclass
class Services:
    dart: FakeDart
    telegram: FakeTelegram
    receiver: OutboxReceiver
    mailbox: Mailbox
    env: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def local_services(database_url: str) -> Iterator[Services]:
    dart = FakeDart(keys={TEST_KEY}, noise_per_day=0, noise_companies=5)
    telegram = FakeTelegram()
    receiver = OutboxReceiver(secret=WEBHOOK_SECRET)
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port, ready_timeout=10)
    controller.start()
    try:
        with (
            serve_in_thread(dart) as dart_url,
            serve_in_thread(telegram) as tg_url,
            serve_in_thread(receiver) as hook_url,
        ):
            env = {
                "DATABASE_URL": database_url,
                "DART_API_KEY": TEST_KEY,
                "DART_BASE_URL": f"{dart_url}/api",
                "DART_MAX_RETRIES": "0",
                "NOTIFIERS": "telegram,webhook,email",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": f"{tg_url}/bot",
                "WEBHOOK_URL": f"{hook_url}/hook",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_port),
                "SMTP_SECURITY": "none",
                "SMTP_TIMEOUT_SECONDS": "5",
                "EMAIL_FROM": "dartwatch <alerts@example.com>",
                "EMAIL_TO": "analyst@example.com",
            }
            yield Services(dart, telegram, receiver, mailbox, env)
    finally:
        controller.stop()


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    *args: str,
) -> tuple[int, str, str]:
    """``dartwatch ARGS`` in this process with exactly *env* set; (code, stdout, stderr)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def check_json(out: str) -> dict[str, dict[str, str]]:
    """``check --json`` output keyed by part."""
    doc = json.loads(out)
    return {c["part"]: c for c in doc["checks"]}
