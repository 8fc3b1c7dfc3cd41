"""End to end: ``dartwatch run`` with the default settings, POLL_INTERVAL_SECONDS=60 and
the feed of the local OpenDART. A filing that appears in the feed, while list.json will
list it only minutes later, reaches the fake Bot API through the fast path, once, with
its filing time. (The latency figure is in benchmarks/detection.py.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart
from testkit.fakes.telegram_api import TOKEN, FakeTelegram
from tests.conftest import TEST_KEY
from tests.helpers.daemon import daemon_env, running_daemon, stop, wait_for

NAVER = "00266961"

pytestmark = pytest.mark.slow


def test_feed_filing_reaches_telegram_before_list_json_lists_it(tmp_path: Path) -> None:
    fake = FakeDart(keys={TEST_KEY}, dataset=False, noise_per_day=50)
    tg = FakeTelegram()
    with serve_in_thread(fake) as dart_url, serve_in_thread(tg) as tg_url:
        env = daemon_env(
            dart_url=dart_url,
            database_url=f"sqlite:///{tmp_path / 'feed.db'}",
            extra={
                "NOTIFIERS": "telegram",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": f"{tg_url}/bot",
                "DART_RSS_URL": f"{dart_url}/api/todayRSS.xml",
                "POLL_INTERVAL_SECONDS": "60",
                "POLL_IDLE_INTERVAL_SECONDS": "600",
            },
        )
        with running_daemon(env, tmp_path / "daemon.log") as proc:
            wait_for(lambda: bool(tg.calls("getUpdates")), 30, "the bot to start polling")
            tg.private_text(101, "/subscribe NAVER")
            wait_for(lambda: bool(tg.sent_messages(101)), 30, "the subscription reply")
            wait_for(lambda: fake.count("todayRSS.xml") >= 1, 30, "the first feed read")
            lists_before = fake.count("list.json")
            row = fake.publish(
                {"corp_code": NAVER, "report_nm": "주요사항보고서(자기주식취득결정)"},
                fake.now() + timedelta(minutes=10),
                feed_at=fake.now(),
            )

            def alerts() -> list[str]:
                return [
                    m.source for m in tg.sent_messages(101) if m.dart_rcept_no() == row.rcept_no
                ]

            # Within one safety-net interval list.json cannot have listed it: only the
            # feed can have brought it.
            wait_for(lambda: bool(alerts()), 45, "the alert from the feed")
            assert row.rcept_no not in {r["rcept_no"] for r in fake.visible_rows([NAVER])}
            wait_for(
                lambda: any(
                    r.params.get("corp_code") == NAVER
                    for r in fake.records("list.json")[lists_before:]
                ),
                10,
                "one list.json call confirming the feed item",
            )
            wait_for(lambda: fake.count("todayRSS.xml") >= 5, 60, "more feed reads")
            assert stop(proc) == 0
    assert len(alerts()) == 1  # one message for the filing, however it was seen
    assert "KST" in alerts()[0]  # the filing time from the feed
