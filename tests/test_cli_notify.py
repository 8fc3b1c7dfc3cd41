"""``dartwatch notify test`` per notifier: the test alert goes through the outbox and
the real notifier to the local services, looks like a real alert (K-AI context, DART
link), and a failure is reported, dead-lettered and never retried later."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from storage import outbox
from storage.db import Database
from tests.helpers.notifier import (
    Receiver,
    clean_notifier_env,  # noqa: F401  (fixture)
)
from tests.helpers.operators import Services, local_services, run_cli

pytestmark = pytest.mark.usefixtures("clean_notifier_env")

ADMIN = 900001


@pytest.fixture
def services(sqlite_url: str) -> Iterator[Services]:
    with local_services(sqlite_url) as found:
        found.telegram.add_chat(ADMIN, "private", name="operator")
        yield found


def _outbox(url: str) -> list[tuple[str, str, str]]:
    async def rows() -> list[tuple[str, str, str]]:
        db = Database(url)
        try:
            found = await outbox.list_by_status(db, ["pending", "sending", "sent", "dead"])
            return [(r.kind, r.notifier, r.status) for r in found]
        finally:
            await db.dispose()

    return asyncio.run(rows())


def test_telegram_to_a_chat_shows_the_alert_subscribers_see(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        monkeypatch,
        capsys,
        services.env,
        "notify",
        "test",
        "--notifier",
        "telegram",
        "--to",
        str(ADMIN),
    )
    assert code == 0, err
    assert out.strip() == f"sent    telegram → {ADMIN}"
    (message,) = services.telegram.sent_messages(ADMIN)
    assert "dartwatch notify test" in message.text and "LG" in message.text
    assert any("dart.fss.or.kr" in str(b.get("url", "")) for b in message.buttons())
    assert _outbox(services.env["DATABASE_URL"]) == [("test", "telegram", "sent")]


def test_telegram_defaults_to_the_admin_chats(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**services.env, "NOTIFIERS": "telegram", "ADMIN_CHAT_IDS": str(ADMIN)}
    code, out, _ = run_cli(monkeypatch, capsys, env, "notify", "test", "--lang", "en")
    assert code == 0 and f"telegram → {ADMIN}" in out
    assert len(services.telegram.sent_messages(ADMIN)) == 1


def test_telegram_without_a_destination_is_a_usage_error(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**services.env, "NOTIFIERS": "telegram"}
    code, _, err = run_cli(monkeypatch, capsys, env, "notify", "test")
    assert code == 2 and "--to CHAT_ID" in err and "Traceback" not in err
    assert services.telegram.sent_messages() == []


def test_every_notifier_in_notifiers_gets_one(
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    env = {
        **services.env,
        "NOTIFIERS": "webhook,email,file,console",
        "FILE_NOTIFIER_DIR": str(tmp_path / "alerts"),
        "CONSOLE_COLOR": "never",
    }
    code, out, err = run_cli(monkeypatch, capsys, env, "notify", "test", "--lang", "en")
    assert code == 0, err
    for name in ("webhook", "email", "file", "console"):
        assert f"sent    {name} → default" in out
    # webhook: signed, our JSON alert payload, the test receipt number
    assert services.receiver.bad_signatures == 0
    (ident,) = services.receiver.ids
    assert ident.endswith("999999:new")
    # e-mail: one message whose subject names the company
    (mail,) = services.mailbox.messages
    assert "LG" in str(mail["subject"])
    # file: one JSON line with the alert; console: the alert on stdout
    (written,) = (tmp_path / "alerts").glob("alerts-*.jsonl")
    assert "dartwatch notify test" in written.read_text(encoding="utf-8")
    assert "View on DART" in out


def test_apprise(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Receiver()
    with serve_in_thread(app) as base:
        env = {**services.env, "APPRISE_URLS": base.replace("http://", "json://") + "/hook"}
        code, out, err = run_cli(
            monkeypatch, capsys, env, "notify", "test", "--notifier", "apprise"
        )
    assert code == 0, err
    assert out.startswith("sent    apprise → ")
    (request,) = app.requests
    assert "dartwatch notify test" in request.body.decode("utf-8")


def test_a_failure_is_reported_and_never_retried(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services.receiver.fail_next(1, 500)
    code, out, _ = run_cli(
        monkeypatch, capsys, services.env, "notify", "test", "--notifier", "webhook"
    )
    assert code == 1
    assert out.startswith("FAILED  webhook → default") and "HTTP 500" in out
    assert _outbox(services.env["DATABASE_URL"]) == [("test", "webhook", "dead")]
    assert services.receiver.total == 0


def test_unknown_notifier_is_one_line(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        monkeypatch, capsys, services.env, "notify", "test", "--notifier", "pigeon"
    )
    assert code == 2 and "pigeon" in err and len(err.strip().splitlines()) == 1


def test_telegram_defaults_to_the_admin_users(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.core.settings import Settings

    if "admin_user_ids" not in Settings.model_fields:
        pytest.skip("ADMIN_USER_IDS (admins by user id) is not in these settings yet")
    env = {**services.env, "NOTIFIERS": "telegram", "ADMIN_USER_IDS": str(ADMIN)}
    code, out, _ = run_cli(monkeypatch, capsys, env, "notify", "test")
    assert code == 0 and out.strip() == f"sent    telegram → {ADMIN}"
    assert len(services.telegram.sent_messages(ADMIN)) == 1
