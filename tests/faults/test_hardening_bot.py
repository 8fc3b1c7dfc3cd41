"""Hostile Telegram traffic and hostile configuration, against the real bot and settings:

- forged updates in webhook mode (no secret: refuse to start; wrong, missing or
  non-ASCII secret header: 403);
- admin rights follow the person (``effective_user``), only in private chats;
  anonymous group admins and channel posts never count;
- one flooding chat cannot starve another chat's replies (per-chat command budget);
- secrets never travel over cleartext to a non-loopback host;
- every webhook body carries an id inside the signed bytes, for replay de-duplication.

The threat model these prove is docs/security.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notifiers.base import NotifierConfigError
from notifiers.telegram_bot import BotConfig, WebhookApp, start_bot
from storage.db import Database
from tests.conftest import TEST_KEY
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.telegram_support import FakeServices, running_bot

pytestmark = pytest.mark.faults

SECRET = "s3cret_token-1"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _help_update(chat_id: int) -> dict[str, Any]:
    return {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "K"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "K", "language_code": "en"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


# --- forged updates in webhook mode ---------------------------------------------------


def test_webhook_mode_without_secret_refuses_to_start(tmp_path: Path) -> None:
    """`dartwatch run` in webhook mode without TELEGRAM_WEBHOOK_SECRET: one line naming
    the setting, exit 2 (before: it started and accepted any POST)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DART_", "TELEGRAM_"))}
    base.update(
        {
            "DART_API_KEY": TEST_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "NOTIFIERS": "telegram",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "run"],
        env=base,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "TELEGRAM_WEBHOOK_SECRET" in lines[0], result.stderr


async def test_start_bot_without_secret_is_a_config_error(sqlite_db: Database) -> None:
    api = FakeTelegram()
    from monitor.loopback import serve_in_thread

    with serve_in_thread(api) as url:
        config = BotConfig(token=TOKEN, base_url=f"{url}/bot", webhook_url="https://h/tg")
        with pytest.raises(NotifierConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
            await start_bot(config, sqlite_db, FakeServices())
    assert not api.calls("setWebhook"), "nothing registered before the check"
    with pytest.raises(NotifierConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        WebhookApp(None, "")  # type: ignore[arg-type]


@pytest.fixture
async def hook_env(sqlite_db: Database) -> AsyncIterator[Any]:
    async with running_bot(
        sqlite_db, webhook_url="https://bot.example.com/tg", webhook_secret=SECRET
    ) as env:
        env.api.add_chat(95)
        yield env


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(SECRET_HEADER.encode(), b"")],
        [(SECRET_HEADER.encode(), b"s3cret_token-2")],
        [(SECRET_HEADER.encode(), SECRET.encode() + b" ")],
        [(SECRET_HEADER.encode(), SECRET[:-1].encode())],
        [(SECRET_HEADER.encode(), "s3cret_tökén-1".encode())],
        [(SECRET_HEADER.encode(), "s3cret_tökén-1".encode("latin-1"))],
        [(SECRET_HEADER.encode(), b"\xff\xfe\x00")],
        [(SECRET_HEADER.encode(), SECRET.encode()), (SECRET_HEADER.encode(), b"x")],
    ],
    ids=["absent", "empty", "wrong", "padded", "prefix", "utf8", "latin1", "binary", "twice"],
)
async def test_webhook_refuses_every_request_without_the_exact_secret(
    hook_env: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    """Absent, wrong or non-ASCII header: 403 and nothing queued (before: a non-ASCII
    header was a 500 from a TypeError in compare_digest)."""
    status, body = await _asgi_post(hook_env.bot.webhook_app, _help_update(95), headers)
    assert (status, body) == (403, b"forbidden")
    assert hook_env.bot.application.update_queue.qsize() == 0
    # The one right header still works afterwards.
    status, _ = await _asgi_post(
        hook_env.bot.webhook_app, _help_update(95), [(SECRET_HEADER.encode(), SECRET.encode())]
    )
    assert status == 200
    [reply] = await hook_env.api.wait_sent(95, 1)
    assert "Commands" in reply.text


async def test_webhook_over_http_with_non_ascii_header(hook_env: Any) -> None:
    """The same through a real HTTP client (bytes header values pass through httpx)."""
    transport = httpx.ASGITransport(app=hook_env.bot.webhook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
        bad = await client.post(
            "/tg", json=_help_update(95), headers={SECRET_HEADER: "비밀".encode()}
        )
    assert bad.status_code == 403


async def _asgi_post(
    app: Any, update: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    import json

    body = json.dumps(update).encode()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "http", "method": "POST", "headers": headers}, receive, send)
    return sent[0]["status"], sent[1]["body"]
