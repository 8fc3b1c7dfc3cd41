"""The registry: entry-point discovery, settings blocks and their error messages, and
third-party plugins installed through their entry point (including the one in
docs/notifiers.md)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from notifiers import registry
from notifiers.base import Notifier, NotifierConfigError
from notifiers.console import ConsoleNotifier
from notifiers.email import EmailNotifier
from notifiers.file import FileNotifier
from notifiers.webhook import WebhookNotifier
from tests.helpers.notifier import (
    Receiver,
    clean_notifier_env,  # noqa: F401  (fixture)
    install_plugin,
    sample_alert,
)

ROOT = Path(__file__).resolve().parents[1]
NOTIFIERS_DOC = ROOT / "docs" / "notifiers.md"
BUILT_INS = {"console", "file", "webhook", "email", "apprise", "telegram"}

pytestmark = pytest.mark.usefixtures("clean_notifier_env")


def test_built_ins_are_registered_as_entry_points() -> None:
    assert set(registry.available()) >= BUILT_INS
    assert registry.notifier_class("webhook") is WebhookNotifier
    assert registry.notifier_class(" Console ") is ConsoleNotifier


def test_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(registry.UnknownNotifier) as err:
        registry.load_notifiers(["console", "slak"], env_file=None)
    message = str(err.value)
    assert message.startswith("NOTIFIERS: unknown notifier 'slak'; available: ")
    assert "apprise, console, email, file, telegram, webhook" in message
    assert isinstance(err.value, NotifierConfigError)


@pytest.mark.parametrize(
    ("name", "env", "expected"),
    [
        ("webhook", {}, "WEBHOOK_URL: not set (the webhook notifier needs it)"),
        ("file", {}, "FILE_NOTIFIER_DIR: not set (the file notifier needs it)"),
        ("apprise", {}, "APPRISE_URLS: not set (the apprise notifier needs it)"),
        (
            "email",
            {"SMTP_HOST": "smtp.example.com", "EMAIL_TO": "a@example.com"},
            "EMAIL_FROM: not set (the email notifier needs it)",
        ),
        (
            "webhook",
            {"WEBHOOK_URL": "https://hooks.example.com/x", "WEBHOOK_MODE": "teams"},
            "WEBHOOK_MODE: Input should be 'json', 'slack' or 'discord'",
        ),
        (
            "webhook",
            {"WEBHOOK_URL": "https://hooks.example.com/x", "WEBHOOK_TIMEOUT_SECONDS": "-1"},
            "WEBHOOK_TIMEOUT_SECONDS: Input should be greater than 0",
        ),
        (
            "email",
            {"SMTP_HOST": "smtp.example.com", "EMAIL_FROM": "a@b.kr", "EMAIL_TO": "x@y.kr,nope"},
            "EMAIL_TO: 'nope' is not an e-mail address",
        ),
        (
            "email",
            {"SMTP_HOST": "smtp.example.com:587", "EMAIL_FROM": "a@b.kr", "EMAIL_TO": "x@y.kr"},
            "SMTP_HOST: must not include a port (use SMTP_PORT)",
        ),
        (
            "email",
            {
                "SMTP_HOST": "smtp.example.com",
                "SMTP_SECURITY": "none",
                "EMAIL_FROM": "a@b.kr",
                "EMAIL_TO": "x@y.kr",
            },
            "SMTP_SECURITY: none (no TLS) is allowed only to a loopback SMTP_HOST",
        ),
        (
            "email",
            {
                "SMTP_HOST": "smtp.example.com",
                "SMTP_PASSWORD": "pw",
                "EMAIL_FROM": "a@b.kr",
                "EMAIL_TO": "x@y.kr",
            },
            "SMTP_USERNAME: not set, but SMTP_PASSWORD is",
        ),
        (
            "console",
            {"CONSOLE_COLOR": "sometimes"},
            "CONSOLE_COLOR: Input should be 'auto', 'always' or 'never'",
        ),
        (
            "apprise",
            {"APPRISE_URLS": "json://127.0.0.1:9/ nosuchscheme://token123"},
            "APPRISE_URLS: entry 2 (scheme 'nosuchscheme') is not a URL Apprise understands",
        ),
    ],
)
def test_missing_or_bad_settings_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(NotifierConfigError) as err:
        registry.load_notifiers([name], env_file=None)
    message = str(err.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert "token123" not in message and "pw" not in message.split(":", 1)[1]


def test_bad_url_message_never_echoes_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "http://hooks.example.com/services/T0/B0/SeCrEtToKeN")
    with pytest.raises(NotifierConfigError, match=r"^WEBHOOK_URL: must be https://") as err:
        registry.load_notifiers(["webhook"], env_file=None)
    assert "SeCrEtToKeN" not in str(err.value)


def test_settings_come_from_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    out = tmp_path / "out"
    env_file.write_text(
        f"FILE_NOTIFIER_DIR={out}\nWEBHOOK_URL=https://hooks.example.com/abc\n"
        "WEBHOOK_SECRET=s3cret-value\nSMTP_HOST=127.0.0.1\nSMTP_SECURITY=none\n"
        "SMTP_USERNAME=me\nSMTP_PASSWORD=pa55word\n"
        "EMAIL_FROM=dartwatch <bot@example.com>\nEMAIL_TO=a@example.com, b@example.com\n",
        encoding="utf-8",
    )
    notifiers = registry.load_notifiers(
        ["file", "webhook", "email", "file"], env_file=str(env_file)
    )
    assert [n.name for n in notifiers] == ["file", "webhook", "email"]  # each name once
    file_n, webhook_n, email_n = notifiers
    assert isinstance(file_n, FileNotifier) and out.is_dir()
    assert isinstance(email_n, EmailNotifier)
    assert email_n.settings.recipients == ["a@example.com", "b@example.com"]
    assert email_n.settings.effective_port == 25
    # Secret settings are exposed for log redaction; plain ones are not.
    assert set(webhook_n.secrets()) == {"https://hooks.example.com/abc", "s3cret-value"}
    assert email_n.secrets() == ["pa55word"]
    assert file_n.secrets() == []
    assert set(registry.load_notifier_map(["console", "file"], str(env_file))) == {
        "console",
        "file",
    }


def test_environment_wins_over_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CONSOLE_COLOR=always\n", encoding="utf-8")
    monkeypatch.setenv("CONSOLE_COLOR", "never")
    (console,) = registry.load_notifiers(["console"], env_file=str(env_file))
    assert isinstance(console, ConsoleNotifier) and console.settings.color == "never"


# --- third-party plugins -------------------------------------------------------------

MEMO_PLUGIN = """
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from notifiers.base import Alert, Notifier, NotifierSettings

RECEIVED: list[str] = []


class MemoSettings(NotifierSettings):
    model_config = SettingsConfigDict(env_prefix="MEMO_")
    prefix: str


class MemoNotifier(Notifier):
    name: ClassVar[str] = "memo"
    settings_model: ClassVar[type[NotifierSettings] | None] = MemoSettings
    max_message_chars: ClassVar[int | None] = 100

    def __init__(self, settings: MemoSettings) -> None:
        self.settings = settings

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        RECEIVED.append(f"{self.settings.prefix} {destination} {alert.rcept_no} {lang}")


class NotANotifier:
    pass
"""


async def test_a_plugin_installed_through_its_entry_point_receives_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(
        tmp_path / "site",
        monkeypatch,
        dist="dartwatch-memo",
        modules={"dartwatch_memo_plugin": MEMO_PLUGIN},
        entry_points={
            "memo": "dartwatch_memo_plugin:MemoNotifier",
            "memo-alias": "dartwatch_memo_plugin:MemoNotifier",
            "broken": "dartwatch_memo_plugin:NotANotifier",
            "missing": "dartwatch_no_such_module:Nothing",
        },
    )
    assert {"memo", "memo-alias"} <= set(registry.available())
    with pytest.raises(NotifierConfigError, match=r"^MEMO_PREFIX: not set \(the memo"):
        registry.load_notifiers(["memo"], env_file=None)
    monkeypatch.setenv("MEMO_PREFIX", "got")
    memo, alias = registry.load_notifiers(["console", "memo", "memo-alias"], env_file=None)[1:]
    assert memo.name == "memo" and alias.name == "memo-alias"  # the entry-point name wins
    assert memo.destinations() == ["default"] and memo.max_message_chars == 100
    await memo.send_alert(sample_alert(), "default", lang="en")
    module = sys.modules["dartwatch_memo_plugin"]
    assert module.RECEIVED == ["got default 20260105000123 en"]
    with pytest.raises(NotifierConfigError, match=r"is not a notifiers\.base\.Notifier"):
        registry.load_notifiers(["broken"], env_file=None)
    with pytest.raises(NotifierConfigError, match=r"^NOTIFIERS: notifier 'missing' .* failed"):
        registry.load_notifiers(["missing"], env_file=None)


def _plugin_doc_blocks(language: str) -> list[str]:
    text = NOTIFIERS_DOC.read_text(encoding="utf-8")
    plugin_part = text.split("## Writing a plugin", 1)[1]
    return re.findall(rf"```{language}\n(.*?)```", plugin_part, flags=re.DOTALL)


async def test_docs_plugin_example_works_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Docs as tests: the plugin of docs/notifiers.md and its pyproject entry point, installed as a
    package would be, receive an alert (the ntfy server is a local receiver)."""
    (code,) = _plugin_doc_blocks("python")
    (pyproject,) = _plugin_doc_blocks("toml")
    project = tomllib.loads(pyproject)["project"]
    eps = project["entry-points"]["dartwatch.notifiers"]
    assert eps == {"ntfy": "dartwatch_ntfy:NtfyNotifier"}
    install_plugin(
        tmp_path / "site",
        monkeypatch,
        dist=project["name"],
        modules={"dartwatch_ntfy": code},
        entry_points=eps,
    )
    receiver = Receiver()
    with serve_in_thread(receiver) as base:
        monkeypatch.setenv("NTFY_SERVER", base + "/")
        monkeypatch.setenv("NTFY_TOPIC", "dart-alerts")
        (ntfy,) = registry.load_notifiers(["ntfy"], env_file=None)
        assert isinstance(ntfy, Notifier) and not ntfy.accepts_digests
        await ntfy.send_alert(sample_alert(correction=True), "default", lang="ko")
        monkeypatch.setenv("NTFY_SERVER", base + "/status/503")
        (failing,) = registry.load_notifiers(["ntfy"], env_file=None)
        from notifiers.base import TransientError

        with pytest.raises(TransientError, match="HTTP 503"):
            await failing.send_alert(sample_alert(), "default")
    sent = receiver.requests[0].json()
    assert sent["topic"] == "dart-alerts"
    assert sent["title"].startswith("[dartwatch] [정정 공시] 네이버")
    assert "주요사항보고서(유상증자결정)" in sent["message"]
    assert sent["click"].endswith("rcpNo=20260105000123")


# --- documentation -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["console", "file", "webhook", "email", "apprise"])
def test_every_setting_is_documented_in_env_example(name: str) -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {
        line.split("=", 1)[0]: lines[i - 1]
        for i, line in enumerate(lines)
        if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    }
    model = registry.notifier_class(name).settings_model
    assert model is not None
    for field in model.model_fields:
        env = registry.env_name(model, field)
        assert env in documented, f"{env} is missing from .env.example"
        assert documented[env].startswith("#"), f"{env} has no comment above it"
        assert f"`{env}`" in NOTIFIERS_DOC.read_text(encoding="utf-8"), (
            f"{env} not in docs/notifiers.md"
        )


def test_env_example_values_are_valid_defaults() -> None:
    env_example = str(ROOT / ".env.example")
    (console,) = registry.load_notifiers(["console"], env_file=env_example)
    assert isinstance(console, ConsoleNotifier) and console.settings.color == "auto"
    with pytest.raises(NotifierConfigError, match=r"^WEBHOOK_URL: not set"):
        registry.load_notifiers(["webhook"], env_file=env_example)
