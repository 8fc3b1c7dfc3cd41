"""``dartwatch check`` against the local services: everything healthy, then each part
broken in turn (wrong key, wrong token, unreachable SMTP, webhook 500, database down,
feed down), each time exactly that part FAILs, with its fix, and the exit code is 1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import Field

from monitor.core.loopback import free_port, serve_in_thread
from monitor.core.settings import Settings, load_settings
from monitor.opendart.budget import used_today
from monitor.runtime.checks import CheckContext, check_dart_feed
from storage.db import Database
from testkit.fakes.telegram_api import TOKEN
from tests.helpers.notifier import clean_notifier_env  # noqa: F401  (fixture)
from tests.helpers.operators import (
    WEBHOOK_SECRET,
    Services,
    check_json,
    local_services,
    run_cli,
)

pytestmark = pytest.mark.usefixtures("clean_notifier_env")

PARTS = [
    "settings",
    "database",
    "OpenDART key",
    "Telegram token",
    "Telegram webhook",
    "SMTP login",
    "webhook",
    "timeline",
]


@pytest.fixture
def services(sqlite_url: str) -> Iterator[Services]:
    with local_services(sqlite_url) as found:
        yield found


def test_healthy_configuration_passes_and_counts_one_request(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, services.env, "check", "--json")
    checks = check_json(out)
    assert code == 0, out
    assert list(checks) == PARTS
    assert {c["verdict"] for c in checks.values()} <= {"OK", "WARN"}
    assert checks["Telegram token"]["detail"] == "accepted: @dartwatch_test_bot"
    assert "signed test event" in checks["webhook"]["detail"]
    # One OpenDART request, and it is in today's budget.
    assert services.dart.count("list.json") == 1
    db = Database(services.env["DATABASE_URL"])
    try:
        assert asyncio.run(used_today(db)) == 1
    finally:
        asyncio.run(db.dispose())
    # The receiver checked the signature and saw one test event; nobody got a message.
    assert services.receiver.bad_signatures == 0
    assert [i.split(":")[0] for i in services.receiver.ids] == ["test"]
    assert services.telegram.sent_messages() == []
    assert services.mailbox.messages == []
    for secret in (TOKEN, WEBHOOK_SECRET, services.env["DART_API_KEY"]):
        assert secret not in out


def test_text_output_is_one_line_per_part(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, services.env, "check")
    assert code == 0, out
    verdicts = [
        line.split()[0] for line in out.splitlines() if line[:4] in ("OK  ", "WARN", "FAIL")
    ]
    assert len(verdicts) == len(PARTS)
    warns = verdicts.count("WARN")
    summary = f"0 failed, {warns} warning{'' if warns == 1 else 's'}, {verdicts.count('OK')} ok"
    assert out.rstrip().endswith(summary)


@pytest.mark.parametrize(
    ("change", "part", "fix_mentions"),
    [
        ({"DART_API_KEY": "f" * 40}, "OpenDART key", "opendart.fss.or.kr"),
        (
            {"TELEGRAM_BOT_TOKEN": "123456789:AAWrongTokenWrongTokenWrong_xyz"},
            "Telegram token",
            "@BotFather",
        ),
        ({"SMTP_PORT": "UNUSED"}, "SMTP login", "SMTP_HOST"),
        (
            {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:UNUSED/x"},
            "database",
            "DATABASE_URL",
        ),
    ],
)
def test_each_broken_part_fails_alone_with_its_fix(
    change: dict[str, str],
    part: str,
    fix_mentions: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {**services.env, **{k: v.replace("UNUSED", str(free_port())) for k, v in change.items()}}
    code, out, _ = run_cli(monkeypatch, capsys, env, "check", "--json")
    checks = check_json(out)
    assert code == 1
    failed = [name for name, c in checks.items() if c["verdict"] == "FAIL"]
    assert failed == [part], out
    assert fix_mentions in checks[part]["fix"]
    for value in change.values():
        assert value not in out or part == "SMTP login"  # a port is no secret


def test_webhook_answering_500_fails(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services.receiver.fail_next(1, 500)
    code, out, _ = run_cli(monkeypatch, capsys, services.env, "check", "--json")
    checks = check_json(out)
    assert code == 1
    assert checks["webhook"]["verdict"] == "FAIL"
    assert "HTTP 500" in checks["webhook"]["detail"]
    assert [n for n, c in checks.items() if c["verdict"] == "FAIL"] == ["webhook"]


def test_unsigned_webhook_is_a_warning_not_a_failure(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services.receiver.secret = None
    env = {k: v for k, v in services.env.items() if k != "WEBHOOK_SECRET"}
    code, out, _ = run_cli(monkeypatch, capsys, env, "check", "--json")
    assert code == 0
    assert check_json(out)["webhook"]["verdict"] == "WARN"
    assert "WEBHOOK_SECRET" in check_json(out)["webhook"]["fix"]


def test_missing_key_and_notifier_setting_fail_without_a_traceback(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DATABASE_URL": sqlite_url, "NOTIFIERS": "webhook"}
    code, out, err = run_cli(monkeypatch, capsys, env, "check", "--json")
    checks = check_json(out)
    assert code == 1 and "Traceback" not in err
    assert checks["settings"]["verdict"] == "FAIL" and "WEBHOOK_URL" in checks["settings"]["detail"]
    assert checks["OpenDART key"]["verdict"] == "FAIL"
    assert "DART_API_KEY" in checks["OpenDART key"]["detail"]


def test_webhook_set_while_long_polling_is_a_warning(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services.telegram._s.webhook_url = "https://elsewhere.example/hook"
    code, out, _ = run_cli(monkeypatch, capsys, services.env, "check", "--json")
    state = check_json(out)["Telegram webhook"]
    assert code == 0
    assert state["verdict"] == "WARN" and "elsewhere.example" in state["detail"]


# --- the DART feed line: only where the settings have a feed URL ----------------------


class FeedSettings(Settings):
    """Settings as they are once a feed URL setting exists."""

    dart_rss_url: str | None = Field(default=None, alias="DART_RSS_URL")


async def _feed_app(scope: dict[str, object], receive: object, send: object) -> None:
    ok = scope["path"] == "/rss"
    body = b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>' if ok else b"down"
    await send({"type": "http.response.start", "status": 200 if ok else 503, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": body})  # type: ignore[operator]


async def test_feed_is_checked_only_when_the_setting_exists() -> None:
    assert await check_dart_feed(CheckContext(load_settings())) == []
    with serve_in_thread(_feed_app) as url:
        up = await check_dart_feed(CheckContext(FeedSettings(DART_RSS_URL=f"{url}/rss")))
        down = await check_dart_feed(CheckContext(FeedSettings(DART_RSS_URL=f"{url}/gone")))
    assert [r.verdict for r in up] == ["OK"]
    assert [r.verdict for r in down] == ["FAIL"] and "HTTP 503" in down[0].detail
    gone = await check_dart_feed(
        CheckContext(FeedSettings(DART_RSS_URL=f"http://127.0.0.1:{free_port()}/rss"))
    )
    assert [r.verdict for r in gone] == ["FAIL"] and "unreachable" in gone[0].detail


def test_timeline_age_warns_with_the_date(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_cli(monkeypatch, capsys, {"DATABASE_URL": sqlite_url}, "check", "--json")
    line = check_json(out)["timeline"]
    # The bundled sources end 2026-04: a warning once that is 90 days past.
    expected = "WARN" if (date.today() - date(2026, 4, 30)).days > 90 else "OK"
    assert line["verdict"] == expected and "2026-04" in line["detail"]
