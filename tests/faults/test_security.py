"""Secrets and hostile text, end to end.

- The DART key, the bot token and the webhook secret never reach a log record (every
  logger at DEBUG, httpx/httpcore/tenacity/telegram included), an exception text, a
  database row, or a file written -- across a run full of faults: OpenDART errors,
  resets and timeouts, a key that stops working, Telegram 5xx/timeouts/blocked chats.
- Webhook signatures: only the exact body, timestamp and secret verify.
- HTML injection: hostile titles stay text in the digest's HTML as they do in alerts
  (alerts: tests/faults/test_bad_input.py). Admin commands refused to others are
  tested in tests/test_telegram_bot.py.

(Each component has its own leak test -- tests/test_dart_client.py,
tests/test_telegram_notifier.py, tests/test_telegram_bot.py -- this one runs them
together through the app, the pipeline and the dispatcher, and reads everything.)"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.loopback import serve_in_thread
from monitor.core.settings import load_settings
from monitor.digest import build_digest, render
from monitor.fakedart import FakeDart
from monitor.runtime.container import App
from notifiers.base import Reason
from notifiers.webhook import sign, verify_signature
from storage import outbox
from storage import subscribers as subs
from testkit.fakes.receiver import OutboxReceiver, restartable
from testkit.fakes.telegram_api import TOKEN, FakeTelegram, Fault, Limits
from tests.conftest import TEST_KEY
from tests.faults.support import WATCHED, dump_tables, scan_files
from tests.helpers.digest import GOLDEN_DAY, digest_inputs

pytestmark = pytest.mark.faults

WEBHOOK_SECRET = "whsec-Do-Not-Log-Me-7f3a9c"
TOKEN_SECRET = TOKEN.split(":", 1)[1]  # the part after the bot id is what must stay private
LOGGERS = ("", "httpx", "httpcore", "tenacity", "telegram", "dartwatch", "monitor", "notifiers",
           "apscheduler", "sqlalchemy", "uvicorn")  # fmt: skip


@pytest.mark.slow
async def test_no_secret_in_logs_errors_rows_or_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    fake = FakeDart(keys={TEST_KEY}, dataset=False, noise_per_day=0, slow_seconds=2.0)
    api = FakeTelegram(limits=Limits(private_burst=50))
    rx = OutboxReceiver(secret=WEBHOOK_SECRET)
    texts: list[str] = []
    with serve_in_thread(fake) as dart_url, serve_in_thread(api) as tg_url, restartable(rx) as hook:
        for name, value in {
            "DART_API_KEY": TEST_KEY,
            "DART_BASE_URL": f"{dart_url}/api",
            "DART_TIMEOUT_SECONDS": "0.5",
            "DART_MAX_RETRIES": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'secrets.db'}",
            "NOTIFIERS": "telegram,webhook,file",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": f"{tg_url}/bot",
            "TELEGRAM_TIMEOUT_SECONDS": "0.5",
            "WEBHOOK_URL": hook.url,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "FILE_NOTIFIER_DIR": str(tmp_path / "out"),
            "ADMIN_CHAT_IDS": "900001",
            "LOG_LEVEL": "DEBUG",
        }.items():
            monkeypatch.setenv(name, value)
        app = App(load_settings())
        await app.start()
        app.dispatcher.backoff_initial = 0.1
        app.dispatcher.backoff_max = 0.5
        try:
            for chat in (501, 502, 900001):
                api.add_chat(chat)
            api.block(502)
            async with app.db.session() as s:
                for chat in (501, 502, 503):  # 503: Telegram has never heard of it
                    sub = await subs.get_or_create(s, chat)
                    assert sub.id is not None
                    await subs.subscribe(s, sub.id, list(WATCHED))
            for i in range(4):
                fake.publish({"corp_code": WATCHED[i], "report_nm": f"기타경영사항(자율공시) {i}"})
            for fault in ("html502", "reset", "slow", "truncated"):
                fake.inject(fault, count=2, endpoint="list.json")
            fake.inject("notzip", count=2, endpoint="document.xml")
            api.inject(Fault(500, "Internal Server Error", method="sendMessage", times=2))
            api.slow(1.0, "sendMessage")
            for _ in range(6):  # four faulty polls, then a good one
                result = await app.poll_and_process()
                texts.extend(result.errors)
                if result.ok:
                    break
            assert result.ok and len(result.new) == 4
            await app.dispatcher.run_once()  # meets the 500s and the slow answers
            api.slow(0)
            fake.set_key_status(TEST_KEY, "011")  # the key stops working: admins are told
            result = await app.poll_and_process()
            assert result.status == "fatal"
            texts.extend(result.errors)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                await app.dispatcher.run_once()
                if not set(await outbox.counts(app.db)) & {"pending", "sending"}:
                    break
                await asyncio.sleep(0.05)
            counts = await outbox.counts(app.db)
        finally:
            await app.close()
    admin = api.sent_messages(900001)
    assert admin and "DART_API_KEY" in admin[0].text  # the admin learnt what to fix...
    assert rx.total >= 4 and rx.bad_signatures == 0
    assert api.sent_messages(501)
    assert counts.get("dropped", 0) >= 8 and set(counts) <= {"sent", "dropped"}, counts
    # ...and nothing anywhere holds a secret.
    secrets = (TEST_KEY, TOKEN_SECRET, WEBHOOK_SECRET)
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert "crtfc_key=***" in logged and "/bot***/" in logged  # URLs were logged, redacted
    for secret in secrets:
        assert secret not in logged
        assert secret not in "\n".join(texts)
    rows = await _dump(tmp_path / "secrets.db")
    assert "last_error" in rows or "deliveries" in rows
    for secret in secrets:
        assert secret not in rows
    assert scan_files(tmp_path, secrets) == []
    assert list((tmp_path / "out").glob("alerts-*.jsonl"))  # the file notifier did write


async def _dump(path: Path) -> str:
    from storage.db import Database

    db = Database(f"sqlite:///{path}")
    try:
        return await dump_tables(db)
    finally:
        await db.dispose()


# ----------------------------------------------------------------------------- signatures
@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=200),
    st.text(min_size=1, max_size=30),
    st.integers(0, 199),
    st.integers(1, 255),
    st.sampled_from(["body", "timestamp", "signature", "secret", "stale"]),
)
def test_webhook_signature_verifies_only_the_exact_message(
    body: bytes, secret: str, position: int, flip: int, tamper: str
) -> None:
    now = 1_770_000_000
    stamp = str(now)
    good = sign(secret, stamp, body)
    assert verify_signature(secret, body, stamp, good, now=now)
    if tamper == "body":
        if not body:
            body = b"x"
        else:
            i = position % len(body)
            body = body[:i] + bytes([body[i] ^ flip]) + body[i + 1 :]
    elif tamper == "timestamp":
        stamp = str(now + 1 + position % 5)
    elif tamper == "signature":
        i = 7 + position % (len(good) - 7)
        good = good[:i] + ("0" if good[i] != "0" else "1") + good[i + 1 :]
    elif tamper == "secret":
        secret += "x"
    else:
        assert not verify_signature(secret, body, stamp, good, now=now + 301)
        return
    assert not verify_signature(secret, body, stamp, good, now=now)


# ----------------------------------------------------------------------------- digest HTML
HOSTILE = ["<script>alert(1)</script>", '"><svg onload=alert(3)>', "</td></tr></table>",
           "<img src=x onerror=alert(2)>", "[x](javascript:1)", "&", "&#60;", "<!--", "]]>",
           "<a href='//evil'>", "\u202e", "'", "`"]  # fmt: skip
hostile = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=6).map(
    "".join
)
INPUTS = digest_inputs()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile, hostile, hostile, hostile)
def test_digest_html_keeps_hostile_text_inert(
    title: str, corp: str, filer: str, reason: str
) -> None:
    alerts = list(INPUTS["alerts"])
    alerts[0] = replace(
        alerts[0],
        report_nm=title or "x",
        corp_name=corp or "x",
        flr_nm=filer,
        reasons=(Reason(10, reason or "r", reason or "r"),),
        ai_related=True,
    )
    digest = build_digest(GOLDEN_DAY, alerts, INPUTS["trend_counts"], INPUTS["timeline_box"], "ko")
    html = render(digest, "html").lower()
    assert not re.search(r"<(script|img|iframe|object|embed|form|style|link)\b", html)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html)
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert all(h.startswith("https://dart.fss.or.kr/dsaf001/main.do?rcpno=") for h in hrefs)
