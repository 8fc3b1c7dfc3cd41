"""The fast path's settings: DART_RSS_URL (empty turns it off, unlike every other empty
setting, which means "default"), RSS_POLL_SECONDS, LIST_POLL_SECONDS; and the CLI's
exit 2 with one line on a bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.core.settings import DEFAULT_RSS_URL, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DART_RSS_URL")
    settings = load_settings()
    assert settings.dart_rss_url == DEFAULT_RSS_URL and settings.rss_enabled
    assert settings.rss_poll_seconds == 3 and settings.list_poll_seconds == 90


def test_empty_url_in_the_environment_turns_the_fast_path_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DART_RSS_URL", "  ")
    assert not load_settings().rss_enabled


def test_empty_url_in_dotenv_turns_it_off_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DART_RSS_URL")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DART_RSS_URL=\n", encoding="utf-8")
    assert not load_settings().rss_enabled
    monkeypatch.setenv("DART_RSS_URL", "http://127.0.0.1:9/api/todayRSS.xml")
    assert load_settings().dart_rss_url == "http://127.0.0.1:9/api/todayRSS.xml"


def test_env_example_keeps_the_fast_path_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DART_RSS_URL")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"))
    assert load_settings().dart_rss_url == DEFAULT_RSS_URL


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DART_RSS_URL", "dart.fss.or.kr/api/todayRSS.xml"),
        ("DART_RSS_URL", "http://dart.fss.or.kr/api/todayRSS.xml"),
        ("RSS_POLL_SECONDS", "0"),
        ("RSS_POLL_SECONDS", "often"),
        ("LIST_POLL_SECONDS", "0"),
    ],
)
def test_bad_values_name_the_setting(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(name) and "\n" not in str(info.value)


def test_cli_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DART_RSS_URL": "ftp://x", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "status"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "DART_RSS_URL" in done.stderr and "Traceback" not in done.stderr
