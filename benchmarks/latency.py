"""Detection latency and daemon memory.

1. Latency: ``dartwatch run`` (a subprocess, POLL_INTERVAL_SECONDS=2) against the local
   OpenDART and the fake Telegram Bot API; 50 filings become visible at random moments;
   for each, the time from becoming visible to its Telegram message being accepted.
   Target: p95 <= interval + 1 s.
2. Memory: the daemon's resident set after an hour-equivalent of polls (120 polls — one
   hour at the default 30 s interval — run at 1 s). Target: under 150 MB.

Run: .venv/bin/python -m benchmarks.latency [--filings 50] [--polls 120]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.core.loopback import serve_in_thread  # noqa: E402
from monitor.fakedart import FakeDart  # noqa: E402
from testkit.fakes.telegram_api import TOKEN, FakeTelegram  # noqa: E402

# Subprocesses never read the real DART feed (the environment filter drops DART_*).
NO_FEED = {"DART_RSS_URL": ""}

KEY = "0123456789abcdef0123456789abcdef01234567"
CHAT = 4242
COMPANIES = ["00266961", "00159023", "00181712", "00120021", "00261443"]


def _env(dart_url: str, tg_url: str, db: Path, interval: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DART_", "TELEGRAM_"))
    } | NO_FEED
    env.update(
        DART_API_KEY=KEY,
        DART_BASE_URL=f"{dart_url}/api",
        DATABASE_URL=f"sqlite:///{db}",
        NOTIFIERS="telegram",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=f"{tg_url}/bot",
        POLL_INTERVAL_SECONDS=str(interval),
        POLL_IDLE_INTERVAL_SECONDS=str(interval),
        DOCUMENT_TIMEOUT_SECONDS="1",
        LOG_LEVEL="WARNING",
        PTB_TIMEDELTA="1",
    )
    return env


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _wait(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark wait timed out")
        time.sleep(0.05)


def _daemon(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run"],
        env=env,
        cwd=log.parent,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _subscribe(tg: FakeTelegram, chat: int = CHAT, what: str = "all") -> None:
    tg.add_chat(chat, "private")
    tg.private_text(chat, f"/subscribe {what}")
    _wait(lambda: bool(tg.sent_messages(chat)), 30)


def latency(filings: int = 50, interval: int = 2) -> dict[str, float]:
    fake = FakeDart(keys={KEY}, dataset=False, noise_per_day=100)
    tg = FakeTelegram()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_in_thread(fake) as dart,
        serve_in_thread(tg) as tgu,
    ):
        log_path = Path(tmp) / "lat.log"
        proc = _daemon(_env(dart, tgu, Path(tmp) / "lat.db", interval), log_path)

        def log_tail() -> str:
            return log_path.read_text(errors="replace")[-1500:]

        try:
            _wait(lambda: bool(tg.calls("getUpdates")), 30)
            # One investor per company: Telegram's 1 message/s per chat would otherwise
            # queue two filings found by the same poll, which is not detection latency.
            chats = {code: CHAT + i for i, code in enumerate(COMPANIES)}
            for code, chat in chats.items():
                _subscribe(tg, chat, code)
            rng = random.Random(7)
            start = fake.now() + timedelta(seconds=2)
            titles = [
                "기타경영사항(자율공시)",
                "임원ㆍ주요주주특정증권등소유상황보고서",
                "타법인주식및출자증권취득결정",
                "기업설명회(IR)개최(안내공시)",
            ]
            rows = [
                fake.publish(
                    {"corp_code": rng.choice(COMPANIES), "report_nm": rng.choice(titles)},
                    start + timedelta(seconds=rng.uniform(0, filings * interval)),
                )
                for _ in range(filings)
            ]
            visible = {r.rcept_no: r.visible_at.timestamp() for r in rows}
            wall_minus_mono = time.time() - time.monotonic()

            def received() -> list[Any]:
                return [m for chat in chats.values() for m in tg.sent_messages(chat)]

            def done() -> bool:
                got = {n for s in received() if (n := s.dart_rcept_no())}
                return set(visible) <= got

            try:
                _wait(done, filings * interval + 120)
            except TimeoutError:
                got = {n for s in received() if (n := s.dart_rcept_no())}
                missing = sorted(set(visible) - got)
                raise TimeoutError(
                    f"only {len(got & set(visible))}/{len(visible)} alerts arrived; "
                    f"missing {missing[:5]}; log tail: {log_tail()}"
                ) from None
            arrived: dict[str, float] = {}
            for s in received():
                n = s.dart_rcept_no()
                if n and n not in arrived:
                    arrived[n] = s.at + wall_minus_mono
            lat = sorted(arrived[r] - visible[r] for r in visible)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    q = statistics.quantiles(lat, n=20)
    return {"p50": statistics.median(lat), "p95": q[18], "max": lat[-1], "n": len(lat)}


def memory(polls: int = 120) -> dict[str, float]:
    fake = FakeDart(keys={KEY}, dataset=True, noise_per_day=500)
    tg = FakeTelegram()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_in_thread(fake) as dart,
        serve_in_thread(tg) as tgu,
    ):
        proc = _daemon(_env(dart, tgu, Path(tmp) / "mem.db", 1), Path(tmp) / "mem.log")
        try:
            _wait(lambda: bool(tg.calls("getUpdates")), 30)
            _subscribe(tg)
            fake.publish_stream(60, start=fake.now(), span_seconds=polls, seed=3)
            first = fake.count("list.json")
            time.sleep(5)
            early = _rss_mb(proc.pid)
            _wait(lambda: fake.count("list.json") - first >= polls, polls * 3 + 60)
            late = _rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    return {"rss_start_mb": early, "rss_end_mb": late, "polls": float(polls)}


def run(filings: int = 50, polls: int = 120) -> list[dict[str, Any]]:
    lat = latency(filings)
    mem = memory(polls)
    return [
        {
            "name": f"list.json-only latency p50 ({int(lat['n'])} filings, 2 s poll, no feed)",
            "value": round(lat["p50"], 2),
            "unit": "s",
            "target": "-",
            "ok": None,
            "naive": None,
        },
        {
            "name": "list.json-only latency p95 (2 s poll, no feed)",
            "value": round(lat["p95"], 2),
            "unit": "s",
            "target": "<= 3 s (interval + 1)",
            "ok": lat["p95"] <= 3.0,
            "naive": None,
        },
        {
            "name": f"daemon RSS after {int(mem['polls'])} polls (1 h at 30 s)",
            "value": round(mem["rss_end_mb"], 1),
            "unit": "MB",
            "target": "< 150 MB",
            "ok": mem["rss_end_mb"] < 150,
            "naive": None,
        },
        {
            "name": "daemon RSS growth over those polls",
            "value": round(mem["rss_end_mb"] - mem["rss_start_mb"], 1),
            "unit": "MB",
            "target": "-",
            "ok": None,
            "naive": None,
        },
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filings", type=int, default=50)
    parser.add_argument("--polls", type=int, default=120)
    a = parser.parse_args()
    for row in run(a.filings, a.polls):
        print(f"{row['name']:<55} {row['value']:>8} {row['unit']:<3} target {row['target']}")
