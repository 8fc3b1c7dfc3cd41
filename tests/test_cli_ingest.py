"""The ingestion verbs as a user runs them: ``python -m monitor ...`` in a subprocess
against the local OpenDART on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart
from tests.conftest import TEST_KEY

# Subprocesses never read the real DART feed (the environment filter drops DART_*).
NO_FEED = {"DART_RSS_URL": ""}

ROOT = Path(__file__).resolve().parents[1]
NAVER = "00266961"


def dartwatch(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    full = {
        k: v for k, v in os.environ.items() if not k.startswith(("DART_", "DATABASE_URL"))
    } | NO_FEED
    full.update(env)
    full["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "DART_API_KEY": TEST_KEY}


@pytest.mark.slow
def test_poll_then_filings_json_and_status(tmp_path: Path, env: dict[str, str]) -> None:
    fake = FakeDart(noise_per_day=0, noise_companies=20)
    published = [
        fake.publish({"corp_code": NAVER, "report_nm": f"기타경영사항(자율공시) {i}"}).rcept_no
        for i in range(3)
    ]
    with serve_in_thread(fake) as url:
        env["DART_BASE_URL"] = f"{url}/api"
        poll = dartwatch("poll", env=env, cwd=tmp_path)
        again = dartwatch("poll", "--format", "json", env=env, cwd=tmp_path)
        served = fake.count()
    assert poll.returncode == 0, poll.stderr
    assert poll.stdout.startswith("poll ok: 3 new")
    assert json.loads(again.stdout)["new"] == []
    listed = dartwatch("filings", "--format", "json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["rcept_no"] for r in rows) == sorted(published)
    for row in rows:
        assert {
            "rcept_no",
            "corp_code",
            "corp_name",
            "report_nm",
            "rcept_dt",
            "rm",
            "first_seen_at",
        } <= set(row)
        assert row["corp_code"] == NAVER
    by_alias = dartwatch(
        "filings", "--company", "네이버", "--format", "json", env=env, cwd=tmp_path
    )
    assert len(json.loads(by_alias.stdout)) == 3
    table = dartwatch("filings", env=env, cwd=tmp_path)
    assert table.returncode == 0 and published[0] in table.stdout
    status = dartwatch("status", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"{served} / 15000" in status.stdout  # every request counted, against the budget
    assert "last poll" in status.stdout
    assert TEST_KEY not in poll.stderr + again.stderr + status.stdout + listed.stderr
    assert TEST_KEY.encode() not in (tmp_path / "cli.db").read_bytes()


@pytest.mark.slow
def test_fatal_key_is_a_clear_message(tmp_path: Path, env: dict[str, str]) -> None:
    fake = FakeDart(dataset=False, noise_per_day=0, noise_companies=5, keys=["k" * 40])
    with serve_in_thread(fake) as url:
        env["DART_BASE_URL"] = f"{url}/api"
        first = dartwatch("poll", env=env, cwd=tmp_path)
        second = dartwatch("poll", env=env, cwd=tmp_path)
        status = dartwatch("status", env=env, cwd=tmp_path)
        assert fake.count() == 1
    assert first.returncode == 1 and "poll fatal" in first.stdout
    assert "status 010" in first.stdout and "DART_API_KEY" in first.stdout
    assert second.returncode == 1 and "0 requests" in second.stdout
    assert "rejected the key" in status.stdout


def test_companies_and_ambiguous_resolve(tmp_path: Path, env: dict[str, str]) -> None:
    listed = dartwatch("companies", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for code in ("00266961", "00159023", "00181712", "00120021", "00261443"):
        assert code in listed.stdout
    sk = dartwatch("companies", "--resolve", "SK", env=env, cwd=tmp_path)
    assert sk.returncode == 2
    assert "00181712" in sk.stdout and "00144155" in sk.stdout
    error = [line for line in sk.stderr.splitlines() if line.startswith("dartwatch:")]
    assert len(error) == 1 and "ambiguous" in error[0] and "00144155" in error[0]
    skt = dartwatch(
        "companies", "--resolve", "SK Telecom", "--format", "json", env=env, cwd=tmp_path
    )
    assert skt.returncode == 0 and json.loads(skt.stdout)[0]["corp_code"] == "00159023"


@pytest.mark.parametrize(
    ("args", "extra_env", "needle"),
    [
        (("poll",), {"DART_MAX_RETRIES": "lots"}, "DART_MAX_RETRIES"),
        (("poll",), {"DART_API_KEY": "short"}, "DART_API_KEY"),
        (("backfill", "--since", "2026-13-01"), {}, "--since"),
        (("backfill", "--since", "2026-02-01", "--until", "2026-01-01"), {}, "is after --until"),
        (("filings", "--since", "yesterday"), {}, "--since"),
        (("filings", "--company", "없는회사"), {}, "no company matches"),
        (("companies",), {"WATCHLIST_FILE": "/nonexistent/watch.toml"}, "WATCHLIST_FILE"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    env: dict[str, str],
    args: tuple[str, ...],
    extra_env: dict[str, str],
    needle: str,
) -> None:
    env.update(extra_env)
    env.setdefault("DART_BASE_URL", "http://127.0.0.1:9/api")  # never contacted
    result = dartwatch(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert "short" not in lines[0]  # a bad key is never echoed


@pytest.mark.slow
def test_backfill_shows_progress_and_stores_without_alerts(
    tmp_path: Path, env: dict[str, str]
) -> None:
    fake = FakeDart(noise_per_day=0, noise_companies=20)
    with serve_in_thread(fake) as url:
        env["DART_BASE_URL"] = f"{url}/api"
        result = dartwatch(
            "backfill", "--since", "2026-03-01", "--until", "2026-08-31", env=env, cwd=tmp_path
        )
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 2 and progress[0].startswith("[1/2] 2026-03-01..")
    assert result.stdout.startswith("backfill ok:")
    rows = json.loads(
        dartwatch("filings", "--limit", "0", "--format", "json", env=env, cwd=tmp_path).stdout
    )
    expected = fake.visible_rows(bgn_de=date(2026, 3, 1), end_de=date(2026, 8, 31))
    assert len(rows) == len(expected) > 50
    assert {r["alert_state"] for r in rows} == {"suppressed"}
