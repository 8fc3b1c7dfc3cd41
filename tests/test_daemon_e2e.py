"""End to end: ``dartwatch run`` as a subprocess, the local OpenDART publishing a day of
filings over time, investors subscribing through Telegram updates — every user gets
exactly the alerts of their companies and filter, once; SIGTERM exits 0."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.conftest import TEST_KEY
from tests.helpers.daemon import daemon_env, running_daemon, stop, wait_for

NAVER, SKT, SK, LG, NC = "00266961", "00159023", "00181712", "00120021", "00261443"

pytestmark = pytest.mark.slow


def _alerts(tg: FakeTelegram, chat: int) -> list[str]:
    """Receipt numbers of the alert messages a chat received (replies have none)."""
    found = []
    for message in tg.sent_messages(chat):
        rcept_no = message.dart_rcept_no()
        if rcept_no:
            found.append(rcept_no)
    return found


def test_run_end_to_end(tmp_path: Path) -> None:
    fake = FakeDart(keys={TEST_KEY}, dataset=False, noise_per_day=50)
    tg = FakeTelegram()
    with serve_in_thread(fake) as dart_url, serve_in_thread(tg) as tg_url:
        env = daemon_env(
            dart_url=dart_url,
            database_url=f"sqlite:///{tmp_path / 'e2e.db'}",
            extra={
                "NOTIFIERS": "telegram",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": f"{tg_url}/bot",
                "ADMIN_CHAT_IDS": "900001",
            },
        )
        log_path = tmp_path / "daemon.log"
        with running_daemon(env, log_path) as proc:
            wait_for(lambda: bool(tg.calls("getUpdates")), 30, "the bot to start polling")
            tg.private_text(101, "/subscribe 네이버 LG")
            tg.private_text(102, "/subscribe SKT", language_code="en")
            tg.private_text(103, "/subscribe all")
            tg.private_text(103, "/filter ai")
            wait_for(
                lambda: (
                    len(tg.sent_messages(101)) >= 1
                    and len(tg.sent_messages(102)) >= 1
                    and len(tg.sent_messages(103)) >= 2
                ),
                30,
                "the subscription replies",
            )
            wait_for(lambda: tg.pending_updates() == 0, 10, "updates consumed")
            replies = {c: [m.source for m in tg.sent_messages(c)] for c in (101, 102, 103)}
            assert "NAVER" in replies[101][0] and "LG" in replies[101][0], replies
            assert "SK" in replies[102][0], replies

            rows = fake.replay_day(fake.now() + timedelta(seconds=1), span_seconds=12)
            by_rcept = {r.rcept_no: r for r in rows}
            ai_rows = {r.rcept_no for r in rows if r.ai}
            want_101 = {r.rcept_no for r in rows if r.corp_code in (NAVER, LG)}
            want_102 = {r.rcept_no for r in rows if r.corp_code == SKT}

            def delivered() -> bool:
                return set(_alerts(tg, 101)) >= want_101 and set(_alerts(tg, 102)) >= want_102

            wait_for(delivered, 90, "every subscriber's alerts")
            # A few more polls: nothing arrives twice.
            fake_requests = fake.count("list.json")
            wait_for(lambda: fake.count("list.json") >= fake_requests + 3, 20, "more polls")
            assert stop(proc) == 0

        for chat, want in ((101, want_101), (102, want_102)):
            got = Counter(_alerts(tg, chat))
            assert set(got) == want, f"chat {chat} got the wrong filings"
            assert max(got.values()) == 1, f"chat {chat} got duplicates: {got}"
        got_103 = Counter(_alerts(tg, 103))
        assert max(got_103.values(), default=1) == 1
        # The ai filter: only filings the matcher ties to K-AI, and at least one arrives.
        assert got_103, "the AI-relevant filings of the replay reached the /filter ai user"
        assert set(got_103) <= set(by_rcept)
        non_ai = [r for r in got_103 if r not in ai_rows]
        assert len(non_ai) <= len(got_103) // 2, "the ai filter let routine filings through"
        english = [m.source for m in tg.sent_messages(102) if m.dart_rcept_no()]
        assert english and all("AI relevance" in s and "관련도" not in s for s in english)

    log_text = log_path.read_text()
    assert TEST_KEY not in log_text and TOKEN not in log_text
    events = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
    assert any("stopped cleanly" in e["msg"] for e in events)


def test_webhook_mode_answers_updates_posted_by_telegram(tmp_path: Path) -> None:
    import httpx

    from monitor.core.loopback import free_port

    fake = FakeDart(keys={TEST_KEY}, dataset=False, noise_per_day=10)
    tg = FakeTelegram()
    port = free_port()
    with serve_in_thread(fake) as dart_url, serve_in_thread(tg) as tg_url:
        env = daemon_env(
            dart_url=dart_url,
            database_url=f"sqlite:///{tmp_path / 'hook.db'}",
            extra={
                "NOTIFIERS": "telegram",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": f"{tg_url}/bot",
                "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/dartwatch",
                "TELEGRAM_WEBHOOK_PORT": str(port),
                "TELEGRAM_WEBHOOK_SECRET": "s3cret-token_1",
            },
        )
        with running_daemon(env, tmp_path / "hook.log") as proc:
            wait_for(
                lambda: tg.webhook_url == "https://bot.example.org/dartwatch", 30, "setWebhook"
            )
            update = {
                "update_id": 77,
                "message": {
                    "message_id": 1,
                    "date": 1764300000,
                    "chat": {"id": 555, "type": "private", "first_name": "Kim"},
                    "from": {
                        "id": 555,
                        "is_bot": False,
                        "first_name": "Kim",
                        "language_code": "en",
                    },
                    "text": "/subscribe LG",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
                },
            }
            hook = f"http://127.0.0.1:{port}/"
            wait_for(lambda: _reachable(hook), 20, "the webhook receiver")
            refused = httpx.post(hook, json=update, timeout=5)
            assert refused.status_code == 403  # no secret: nobody else can inject updates
            tg.add_chat(555, "private")
            ok = httpx.post(
                hook,
                json=update,
                timeout=5,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_1"},
            )
            assert ok.status_code == 200
            wait_for(lambda: bool(tg.sent_messages(555)), 20, "the bot's reply")
            assert "LG" in tg.sent_messages(555)[0].text
            assert not tg.calls("getUpdates"), "webhook mode must not long-poll"
            assert stop(proc) == 0


def _reachable(url: str) -> bool:
    import httpx

    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True
