"""``LOG_FORMAT=json``: one JSON object per line, with the OpenDART key and the bot
token scrubbed from messages, arguments and tracebacks alike."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from monitor.core.logs import setup_logging
from monitor.core.loopback import serve_in_thread
from monitor.core.settings import load_settings
from monitor.fakedart import FakeDart
from testkit.fakes.telegram_api import TOKEN
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]


def test_json_lines_are_objects_and_redacted() -> None:
    stream = io.StringIO()
    settings = load_settings(
        LOG_FORMAT="json", LOG_LEVEL="DEBUG", DART_API_KEY=TEST_KEY, TELEGRAM_BOT_TOKEN=TOKEN
    )
    setup_logging(settings, stream)
    log = logging.getLogger("dartwatch.test")
    log.info("GET https://opendart.fss.or.kr/api/list.json?crtfc_key=%s&page_no=1", TEST_KEY)
    log.warning("multi\nline %s", {"token": TOKEN}, extra={"ev_rcept_no": "20260310000123"})
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        log.exception("telegram call failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert [r["level"] for r in records] == ["info", "warning", "error"]
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in records)
    assert records[1]["rcept_no"] == "20260310000123"  # ev_* extras become fields
    assert "RuntimeError" in records[2]["exc"]
    for secret in (TEST_KEY, TOKEN):
        assert secret not in stream.getvalue()


def test_a_real_command_logs_json_lines_without_the_key(tmp_path: Path) -> None:
    fake = FakeDart(keys={TEST_KEY}, noise_per_day=0, noise_companies=5)
    with serve_in_thread(fake) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DART_", "LOG_"))}
        env.update(
            DART_API_KEY=TEST_KEY,
            DART_BASE_URL=f"{url}/api",
            DATABASE_URL=f"sqlite:///{tmp_path / 'j.db'}",
            LOG_FORMAT="json",
            LOG_LEVEL="DEBUG",  # httpx then logs every request URL, key included
            PYTHONPATH=str(ROOT),
        )
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "poll"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any("crtfc_key=***" in r["msg"] for r in records)  # the URL, scrubbed
    assert TEST_KEY not in result.stderr and TEST_KEY not in result.stdout
