"""The settings contract: every core setting documented in .env.example (with a comment),
.env.example itself loads, and bad values are one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_core_setting_is_in_env_example_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for field in Settings.model_fields.values():
        name = str(field.alias)
        idx = next((i for i, line in enumerate(lines) if line.startswith(f"{name}=")), None)
        assert idx is not None, f"{name} is missing from .env.example"
        assert lines[idx - 1].startswith("#"), f"{name} has no comment above it"


def test_env_example_loads_as_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.poll_interval_seconds == 30
    assert settings.dart_api_root == "https://opendart.fss.or.kr/api"


def test_trailing_slash_is_optional() -> None:
    assert load_settings(DART_BASE_URL="http://127.0.0.1:9/api/").dart_api_root.endswith("/api")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DART_API_KEY", "not-a-key"),
        ("DATABASE_URL", "oracle://x"),
        ("POLL_INTERVAL_SECONDS", "-1"),
        ("POLL_IDLE_INTERVAL_SECONDS", "soon"),
        ("TELEGRAM_BOT_TOKEN", "12:short"),
        ("TELEGRAM_BASE_URL", "ftp://x"),
        ("TELEGRAM_WEBHOOK_URL", "http://insecure.example"),
        ("DIGEST_TIME", "6pm"),
        ("ADMIN_CHAT_IDS", "me"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_bad_values_name_the_setting(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(name) and "\n" not in message
    if name in ("DART_API_KEY", "TELEGRAM_BOT_TOKEN"):
        assert value not in message  # secrets are never echoed, even malformed
