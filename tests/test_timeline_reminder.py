"""The daemon's weekly reminder to admins while the timeline's data is stale: the text
(pure) and the outbox rows it queues (once per ISO week, only when stale)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from monitor.kai.timeline import bundled_timeline
from monitor.kai.timeline.views import stale_notice
from tests.faults.test_telegram_faults import tg_rig


def test_notice_names_where_sources_end_and_what_is_overdue() -> None:
    text = stale_notice(bundled_timeline(), date(2026, 11, 30))
    assert text is not None
    assert text.startswith("timeline: no source after 2026-04; 2차 평가 result overdue by 91 days")
    assert "final" not in text  # the final selection is not due yet
    later = stale_notice(bundled_timeline(), date(2027, 3, 1))
    assert later is not None and "최종 2개 팀 선정 result overdue by 1 days" in later
    assert stale_notice(bundled_timeline(), date(2026, 3, 30)) is None


async def test_reminder_reaches_every_admin_once_a_week(sqlite_url: str) -> None:
    async with tg_rig(sqlite_url, ADMIN_CHAT_IDS="111,222") as rig:
        app = rig.app
        for chat in (111, 222):
            rig.api.add_chat(chat)
        assert await app.timeline_reminder(date(2026, 3, 30)) == 0  # not stale yet
        assert await app.timeline_reminder(date(2026, 11, 30)) == 2
        assert await app.timeline_reminder(date(2026, 12, 2)) == 0  # same ISO week
        await rig.settle(10)
        for chat in (111, 222):
            [message] = rig.api.sent_messages(chat)
            assert "no source after 2026-04" in message.text
            assert "2차 평가 result overdue by 91 days" in message.text
        assert await app.timeline_reminder(date(2026, 12, 7)) == 2  # the next week


async def test_a_suggested_milestone_reaches_admins_once_per_filing(sqlite_url: str) -> None:
    from monitor.kai.matcher import FilingInput
    from monitor.kai.suggestions import suggest

    title = "기타경영사항(자율공시)(독자 AI 파운데이션 모델 2차 평가 결과)"
    filing = FilingInput("20260807000555", "00159023", "SK텔레콤", title, "20260807")
    found = suggest(title)
    assert found is not None
    async with tg_rig(sqlite_url, ADMIN_CHAT_IDS="111") as rig:
        rig.api.add_chat(111)
        assert await rig.app.suggest_milestone(filing, found) == 1
        assert await rig.app.suggest_milestone(filing, found) == 0  # once per filing
        await rig.settle(10)
        [message] = rig.api.sent_messages(111)
        assert "possible K-AI milestone" in message.text and "/record " in message.text


async def test_the_running_app_picks_up_a_record_written_by_the_cli(
    sqlite_url: str, tmp_path: Path
) -> None:
    from monitor.kai.records import NewRecord, add_record

    mine = tmp_path / "mine.toml"
    mine.write_text("schema = 1\n", encoding="utf-8")
    async with tg_rig(sqlite_url, TIMELINE_FILE=str(mine)) as rig:
        app = rig.app
        before = app.timeline.version
        assert not app.reload_timeline_if_changed()  # nothing changed yet
        record = NewRecord(
            "stage2-result", date(2026, 8, 7), "PLACEHOLDER", "PLACEHOLDER",
            (("motif", "eliminated"),), ("https://example.com/placeholder",),
        )  # fmt: skip
        add_record(mine, record, "2026-11-30T00:00:00+00:00")
        assert app.reload_timeline_if_changed()
        assert app.timeline.version != before and app.pipeline.timeline is app.timeline
        mine.write_text("[[records]\n", encoding="utf-8")  # broken by hand
        kept = app.timeline.version
        assert not app.reload_timeline_if_changed() and app.timeline.version == kept
