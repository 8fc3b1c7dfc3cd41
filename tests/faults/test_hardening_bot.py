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

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.bot import BotConfig, WebhookApp, start_bot
from notifiers.base import NotifierConfigError
from storage.db import Database
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from testkit.telegram import FakeServices, running_bot
from tests.conftest import TEST_KEY

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
    from monitor.core.loopback import serve_in_thread

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


# --- admin rights belong to people, in private chats ----------------------------------

GROUP, CHANNEL, LEGACY_ADMIN, MEMBER = -1001234, -1009876, 900002, 70


@pytest.fixture
async def admin_env(sqlite_db: Database) -> AsyncIterator[Any]:
    """ADMIN (900001) by ADMIN_USER_IDS; the legacy ADMIN_CHAT_IDS list holds a group, a
    channel and one private chat (LEGACY_ADMIN)."""
    async with running_bot(
        sqlite_db, admin_chat_ids=frozenset({GROUP, CHANNEL, LEGACY_ADMIN})
    ) as env:
        yield env


async def _group_replies_after(env: Any, chat_id: int, *, channel: bool = False) -> list[str]:
    """Every reply in *chat_id* once a /help sent after the pushed updates is answered
    (updates of one chat are handled in order)."""
    before = len(env.api.sent_messages(chat_id))
    if channel:
        env.api.channel_post(chat_id, "/help")
    else:
        env.api.group_text(chat_id, MEMBER, "/help", supergroup=True)
    msgs = await env.api.wait_sent(chat_id, before + 1)
    return [m.text for m in msgs]


async def test_group_members_of_a_legacy_admin_group_are_not_admins(admin_env: Any) -> None:
    """Before: any member of a group listed in ADMIN_CHAT_IDS could /broadcast."""
    admin_env.api.group_text(GROUP, MEMBER, "/broadcast free money", supergroup=True)
    admin_env.api.group_text(GROUP, MEMBER, "/stats", supergroup=True)
    replies = await _group_replies_after(admin_env, GROUP)
    assert admin_env.services.broadcasts == []
    assert len(replies) == 1 and "/subscribe" in replies[0]  # only the /help answer


async def test_an_admin_in_a_group_gets_no_admin_answer(admin_env: Any) -> None:
    """Admin commands answer only in private chats: a group would see the figures."""
    from testkit.telegram import ADMIN

    admin_env.api.group_text(GROUP, ADMIN, "/stats", supergroup=True)
    admin_env.api.group_text(GROUP, ADMIN, "/broadcast from the group", supergroup=True)
    replies = await _group_replies_after(admin_env, GROUP)
    assert admin_env.services.broadcasts == [] and len(replies) == 1
    assert "subscribers" not in replies[0]


@pytest.mark.parametrize("as_chat", [None, CHANNEL], ids=["anonymous-admin", "as-channel"])
async def test_anonymous_group_admins_are_not_admins(admin_env: Any, as_chat: int | None) -> None:
    admin_env.api.anonymous_group_text(GROUP, "/broadcast anonymous", as_chat=as_chat)
    replies = await _group_replies_after(admin_env, GROUP)
    assert admin_env.services.broadcasts == [] and len(replies) == 1


async def test_channel_posts_are_never_admin(admin_env: Any) -> None:
    """Before: a channel listed in ADMIN_CHAT_IDS could /broadcast by posting."""
    admin_env.api.channel_post(CHANNEL, "/broadcast from the channel")
    replies = await _group_replies_after(admin_env, CHANNEL, channel=True)
    assert admin_env.services.broadcasts == [] and len(replies) == 1


async def test_a_private_chat_claiming_an_admin_chat_id_is_not_enough(admin_env: Any) -> None:
    """Rights are checked on effective_user: an update for the admin's chat id sent by
    someone else (only a forger could produce one) is refused."""
    from testkit.telegram import ADMIN

    admin_env.api.forged_private_text(ADMIN, MEMBER, "/broadcast forged")
    [refused] = await admin_env.api.wait_sent(ADMIN, 1)
    assert "admin" in refused.text.lower() or "관리자" in refused.text
    assert admin_env.services.broadcasts == []


async def test_admin_users_and_legacy_private_admin_chats_work(admin_env: Any) -> None:
    from testkit.telegram import ADMIN

    [queued] = await admin_env.say(ADMIN, "/broadcast 점검 안내")
    [stats] = await admin_env.say(LEGACY_ADMIN, "/stats")
    assert admin_env.services.broadcasts == ["점검 안내"]
    assert "subscribers" in stats.text
    scoped = {c["command"] for c in admin_env.api.commands("", scope=f"chat:{ADMIN}")}
    legacy = {c["command"] for c in admin_env.api.commands("", scope=f"chat:{LEGACY_ADMIN}")}
    group = {c["command"] for c in admin_env.api.commands("", scope=f"chat:{GROUP}")}
    assert {"stats", "broadcast"} <= scoped and {"stats", "broadcast"} <= legacy
    assert not group, "no admin menu in a group"
    assert "7" in queued.text


def test_admin_user_ids_setting() -> None:
    from monitor.core.settings import ConfigError, load_settings

    s = load_settings(
        ADMIN_USER_IDS="11, 12", ADMIN_CHAT_IDS="-100, 12, 13", TELEGRAM_BOT_TOKEN=TOKEN
    )
    assert s.admin_user_ids == [11, 12] and s.admin_notify_chats == [11, 12, -100, 13]
    config = BotConfig.from_settings(s)
    assert config.admin_users == frozenset({11, 12, 13})
    with pytest.raises(ConfigError, match=r"^ADMIN_USER_IDS: .*positive"):
        load_settings(ADMIN_USER_IDS="-100123")
    with pytest.raises(ConfigError, match=r"^ADMIN_USER_IDS"):
        load_settings(ADMIN_USER_IDS="me")


async def test_admin_notices_reach_user_ids_and_legacy_chats(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Admin notices (polling stopped, ...) go to every ADMIN_USER_IDS private chat plus
    the legacy ADMIN_CHAT_IDS; the legacy setting logs one deprecation line at start."""
    import logging

    from monitor.core.loopback import serve_in_thread
    from monitor.core.settings import load_settings
    from monitor.runtime.container import App
    from notifiers.telegram import TelegramNotifier, TelegramSettings
    from storage import outbox

    caplog.set_level(logging.WARNING)
    api = FakeTelegram()
    with serve_in_thread(api) as url:
        settings = load_settings(
            DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=f"{url}/bot",
            ADMIN_USER_IDS="11",
            ADMIN_CHAT_IDS="-100777,11",
        )
        tg = TelegramNotifier(
            TelegramSettings(bot_token=TOKEN, base_url=f"{url}/bot")  # type: ignore[arg-type]
        )
        app = App(settings, notifiers={"telegram": tg}, with_dart=False)
        await app.start()
        try:
            assert await app.notify_admins("polling stopped", ref="t1") == 2
            rows = await outbox.list_by_status(
                app.db, [outbox.PENDING, outbox.SENDING, outbox.SENT]
            )
            assert sorted(r.destination for r in rows) == ["-100777", "11"]
        finally:
            await app.close()
    deprecations = [r for r in caplog.records if "ADMIN_CHAT_IDS is deprecated" in r.message]
    assert len(deprecations) == 1 and "\n" not in deprecations[0].getMessage()


# --- one chat's flood does not starve the others --------------------------------------

FLOODER, OTHER = 4001, 4002


async def test_a_flooding_chat_does_not_starve_another(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """20 /help from one user, then one from another, against Telegram's limits (burst 3,
    1/s per chat): the other user's answer is not queued behind the flood, the flooder
    gets the budget's 5 answers (the rest dropped silently, logged once) and no other
    chat meets a 429. Before: all 20 were answered first, each 429 pausing every chat."""
    import logging

    from testkit.fakes.telegram_api import Limits

    caplog.set_level(logging.WARNING, logger="dartwatch.telegram.bot")
    async with running_bot(sqlite_db, limits=Limits(), command_budget=(5.0, 1.0)) as env:
        await env.say(OTHER - 10, "/help")  # the bot is up and polling
        for _ in range(20):
            env.api.private_text(FLOODER, "/help")
        env.api.private_text(OTHER, "/help")
        [answer] = await env.api.wait_sent(OTHER, 1, timeout=30)
        ahead = [m for m in env.api.sent_messages(FLOODER) if m.at <= answer.at]
        assert len(ahead) <= 5, "the other user's answer waited behind the flood"
        await env.api.wait_consumed()
        flooded = await env.api.wait_sent(FLOODER, 5, timeout=30)
        env.api.private_text(FLOODER + 1, "/help")  # handled after the flood settled
        await env.api.wait_sent(FLOODER + 1, 1, timeout=30)
        await asyncio.sleep(0.2)
        assert len(env.api.sent_messages(FLOODER)) == len(flooded) == 5
        # Pacing happens before the request leaves, so network jitter can still make the
        # flooder meet a 429 now and then; it pauses that chat alone.
        assert set(env.api.throttled_chats()) <= {FLOODER}, env.api.throttled_chats()
        assert "Commands" in answer.text or "명령어" in answer.text
    floods = [r for r in caplog.records if "sends more than" in r.getMessage()]
    assert len(floods) == 1 and str(FLOODER) in floods[0].getMessage()


def test_command_budget_bursts_refills_and_logs_once_per_flood(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from monitor.bot.flood import CommandBudget

    caplog.set_level(logging.WARNING, logger="dartwatch.telegram.bot")
    now = [0.0]
    budget = CommandBudget(5, 1.0, clock=lambda: now[0])
    assert [budget.allow(1) for _ in range(8)] == [True] * 5 + [False] * 3
    assert budget.allow(2), "another chat has its own budget"
    now[0] = 1.0
    assert budget.allow(1) and not budget.allow(1)  # one token a second
    assert len([r for r in caplog.records if "chat 1 " in r.getMessage()]) == 1
    now[0] = 10.0  # quiet long enough to refill: the next flood is a new one
    assert [budget.allow(1) for _ in range(6)] == [True] * 5 + [False]
    assert len([r for r in caplog.records if "chat 1 " in r.getMessage()]) == 2
    assert budget.dropped == 5
    with pytest.raises(ValueError, match="burst"):
        CommandBudget(0, 1.0)


def test_will_answer_counts_only_what_the_bot_answers() -> None:
    from telegram import Chat, Message, MessageEntity, Update, User

    from monitor.bot.application import will_answer

    def update(text: str, chat_type: str = "private", *, command: bool = True) -> Update:
        chat = Chat(-5 if chat_type != "private" else 5, chat_type)
        entities = [MessageEntity("bot_command", 0, len(text.split()[0]))] if command else []
        msg = Message(1, None, chat, from_user=User(5, "K", False), text=text, entities=entities)  # type: ignore[arg-type]
        return Update(1, message=msg) if chat_type != "channel" else Update(1, channel_post=msg)

    me = "dartwatch_test_bot"
    assert will_answer(update("/help"), me) and will_answer(update("hi", command=False), me)
    assert will_answer(update("/help", "group"), me)
    assert will_answer(update("/nope@dartwatch_test_bot", "group"), me)
    assert not will_answer(update("/nope", "group"), me)  # another bot's command
    assert not will_answer(update("/help@other_bot", "group"), me)
    assert not will_answer(update("chatter", "group", command=False), me)
    assert not will_answer(update("/nope@dartwatch_test_bot", "channel"), me)
    assert not will_answer(object(), me)


# --- secrets never in clear over a network --------------------------------------------


@pytest.mark.parametrize("name", ["DART_BASE_URL", "TELEGRAM_BASE_URL"])
@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://opendart.fss.or.kr/api", True),
        ("http://127.0.0.1:8081/bot", True),
        ("http://127.8.9.10/api", True),
        ("http://[::1]:9000/bot", True),
        ("http://localhost:8081/bot", True),
        ("http://opendart.fss.or.kr/api", False),
        ("http://10.0.0.5:8081/bot", False),
        ("http://localhost.example.org/bot", False),
        ("http://127.0.0.1.nip.io/bot", False),
    ],
)
def test_secret_carrying_urls_are_https_or_loopback(name: str, url: str, accepted: bool) -> None:
    """The key and the token travel in every request to these URLs: plain http:// to a
    non-loopback host is refused at settings validation (before: accepted)."""
    from monitor.core.settings import ConfigError, load_settings

    if accepted:
        settings = load_settings(**{name: url})
        assert getattr(settings, name.lower()) == url
        return
    with pytest.raises(ConfigError) as caught:
        load_settings(**{name: url})
    message = str(caught.value)
    assert message.startswith(f"{name}: must be https://") and "\n" not in message


def test_telegram_notifier_base_url_is_https_or_loopback() -> None:
    from notifiers.registry import load_settings as notifier_settings
    from notifiers.telegram import TelegramNotifier, TelegramSettings

    assert TelegramSettings(base_url="http://127.0.0.1:8081/bot").base_url.startswith("http")
    os.environ["TELEGRAM_BASE_URL"] = "http://api.telegram.org/bot"
    try:
        with pytest.raises(NotifierConfigError, match=r"^TELEGRAM_BASE_URL: must be https://"):
            notifier_settings(TelegramNotifier, env_file=None)
    finally:
        del os.environ["TELEGRAM_BASE_URL"]


def test_cleartext_dart_url_refuses_to_run(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DART_", "TELEGRAM_"))}
    base.update(
        {
            "DART_API_KEY": TEST_KEY,
            "DART_BASE_URL": "http://opendart.fss.or.kr/api",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
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
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "DART_BASE_URL" in lines[0]
    assert TEST_KEY not in result.stderr


# --- webhook replay: an id inside the signed body --------------------------------------


async def test_every_webhook_body_carries_its_id_inside_the_signature() -> None:
    """Alerts, digests and texts (broadcasts, admin notices): the JSON body has an ``id``
    (covered by the signature, unlike a header), equal to X-Dartwatch-Id, distinct per
    message and stable across a retry of the same message; a receiver that keeps the ids
    of the last 300 s refuses a replay (before: texts had no id at all)."""
    import json

    from pydantic import SecretStr

    from monitor.core.loopback import serve_in_thread
    from notifiers.webhook import WebhookNotifier, WebhookSettings, verify_signature
    from tests.helpers.notifier import Receiver, sample_alert, sample_digest

    secret = "whsec-replay-test"
    app = Receiver()
    with serve_in_thread(app) as base:
        notifier = WebhookNotifier(
            WebhookSettings(url=SecretStr(f"{base}/hook"), secret=SecretStr(secret))
        )
        try:
            await notifier.send_alert(sample_alert(), "default")
            await notifier.send_digest(sample_digest(), "default")
            await notifier.send_text("점검 안내", "default")
            await notifier.send_text("다른 공지", "default")
            await notifier.send_text("점검 안내", "default")  # a retry of the first text
        finally:
            await notifier.close()
    seen: dict[str, int] = {}
    accepted = []
    for req in app.requests:
        ts, sig = req.headers["x-dartwatch-timestamp"], req.headers["x-dartwatch-signature"]
        assert verify_signature(secret, req.body, ts, sig)
        ident = json.loads(req.body)["id"]
        assert ident and ident == req.headers["x-dartwatch-id"]
        if ident not in seen:  # the receiver's de-duplication, as the docs describe it
            seen[ident] = int(ts)
            accepted.append(json.loads(req.body)["type"])
    assert accepted == ["alert", "digest", "text", "text"]
    assert len(seen) == 4, "distinct messages have distinct ids"
    # The id cannot be changed without breaking the signature.
    first = app.requests[2]
    forged = first.body.replace(b'"id":"text:', b'"id":"text:0')
    ts, sig = first.headers["x-dartwatch-timestamp"], first.headers["x-dartwatch-signature"]
    assert forged != first.body and not verify_signature(secret, forged, ts, sig)


async def test_alerts_are_not_held_up_by_a_flooding_chat(sqlite_db: Database) -> None:
    """While one chat floods the bot, an alert to another chat (the notifier's own client
    and pacing) goes out at once: it is accepted before the flooder's paced replies are
    through, and meets no 429."""
    from notifiers.telegram import TelegramNotifier, TelegramSettings
    from testkit.fakes.telegram_api import Limits
    from tests.helpers.notifier import sample_alert

    async with running_bot(sqlite_db, limits=Limits(), command_budget=(5.0, 1.0)) as env:
        env.api.add_chat(OTHER)
        notifier = TelegramNotifier(
            TelegramSettings(bot_token=TOKEN, base_url=f"{env.url}/bot")  # type: ignore[arg-type]
        )
        try:
            await notifier.start()
            for _ in range(20):
                env.api.private_text(FLOODER, "/help")
            await env.api.wait_sent(FLOODER, 1, timeout=30)  # the flood is being answered
            await notifier.send_alert(sample_alert(), str(OTHER))
            [alert] = env.api.sent_messages(OTHER)
            replies = await env.api.wait_sent(FLOODER, 5, timeout=30)
        finally:
            await notifier.close()
        assert alert.at < replies[-1].at, "the alert waited for the flood"
        assert OTHER not in env.api.throttled_chats()


async def test_a_429_for_one_chat_pauses_that_chat_only(sqlite_db: Database) -> None:
    """Telegram answers 429 (retry after 2 s) to a reply for one chat: another chat's
    reply is sent meanwhile, and the first is retried after the wait. Before: the stock
    limiter paused every request, so the other chat's reply came after it."""
    from testkit.fakes.telegram_api import Fault

    async with running_bot(sqlite_db) as env:
        env.api.inject(
            Fault(
                429,
                "Too Many Requests: retry after 2",
                {"retry_after": 2},
                method="sendMessage",
                chat_id=FLOODER,
            )
        )
        env.api.private_text(FLOODER, "/help")
        await asyncio.sleep(0.3)  # the first reply has met its 429
        env.api.private_text(OTHER, "/help")
        [other] = await env.api.wait_sent(OTHER, 1, timeout=10)
        [late] = await env.api.wait_sent(FLOODER, 1, timeout=10)
        assert other.at < late.at
