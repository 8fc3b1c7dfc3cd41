"""The console notifier (plain and terminal modes) and the file notifier (JSON Lines
rotated by KST day, atomic digest files)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from notifiers.base import Alert, PermanentError
from notifiers.console import ConsoleNotifier, ConsoleSettings
from notifiers.file import FileNotifier, FileSettings, kst_day
from tests.helpers.notifier import (
    clean_notifier_env,  # noqa: F401  (fixture)
    sample_alert,
    sample_digest,
)

ANSI = "\x1b["

pytestmark = pytest.mark.usefixtures("clean_notifier_env")


# --- console -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("color", "lang", "expect"),
    [
        ("never", "ko", "AI 관련도: 73/100 · AI 관련"),
        ("auto", "ko", "제출인: 네이버 · 접수일: 2026-01-05"),  # capsys is not a terminal
        ("never", "en", "Previous milestone: First evaluation results"),
    ],
)
async def test_console_plain_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str], color: str, lang: str, expect: str
) -> None:
    console = ConsoleNotifier(ConsoleSettings(color=color))  # type: ignore[arg-type]
    await console.send_alert(sample_alert(), "default", lang=lang)
    out = capsys.readouterr().out
    assert ANSI not in out
    assert expect in out
    assert "https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20260105000123" in out
    assert await console.health() == "ok (plain text)"


async def test_console_rich_when_forced_to_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    console = ConsoleNotifier(ConsoleSettings(color="always"))
    alert = sample_alert(withdrawn=True, report_nm="[bold]분기보고서[/bold] <x>")
    await console.send_alert(alert, "default", lang="ko")
    out = capsys.readouterr().out
    assert ANSI in out  # styled
    assert "╭" in out  # a panel
    assert "철회된 공시" in out and "네이버" in out
    # Texts are never parsed as rich markup.
    assert "[bold]분기보고서[/bold] <x>" in out
    assert await console.health() == "ok (terminal)"


async def test_console_lang_setting_overrides_the_row(capsys: pytest.CaptureFixture[str]) -> None:
    console = ConsoleNotifier(ConsoleSettings(color="never", lang="en"))
    await console.send_alert(sample_alert(), "default", lang="ko")
    assert "View on DART" in capsys.readouterr().out


async def test_console_digest_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    console = ConsoleNotifier(ConsoleSettings(color="always"))
    await console.send_digest(sample_digest(), "default")
    await console.send_text("공지: 점검 예정", "default")
    out = capsys.readouterr().out
    assert out.startswith("2026-01-05 공시 요약\n\n네이버 · 주요사항보고서")
    assert "공지: 점검 예정" in out
    assert ANSI not in out  # digests print their text form


# --- file ----------------------------------------------------------------------------


class Clock:
    def __init__(self, *moments: datetime) -> None:
        self.moments = list(moments)

    def __call__(self) -> datetime:
        return self.moments.pop(0) if len(self.moments) > 1 else self.moments[0]


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        (datetime(2026, 1, 5, 14, 59, 59, tzinfo=UTC), "2026-01-05"),
        (datetime(2026, 1, 5, 15, 0, 0, tzinfo=UTC), "2026-01-06"),  # KST midnight
        (datetime(2025, 12, 31, 15, 0, 0, tzinfo=UTC), "2026-01-01"),
    ],
)
def test_kst_day(utc: datetime, day: str) -> None:
    assert kst_day(utc) == day


async def test_file_alerts_rotate_by_kst_day(tmp_path: Path) -> None:
    clock = Clock(
        datetime(2026, 1, 5, 14, 59, 58, tzinfo=UTC),  # 23:59:58 KST on the 5th
        datetime(2026, 1, 5, 14, 59, 59, tzinfo=UTC),
        datetime(2026, 1, 5, 15, 0, 1, tzinfo=UTC),  # 00:00:01 KST on the 6th
    )
    notifier = FileNotifier(FileSettings(dir=tmp_path / "out"), clock=clock)
    first = sample_alert()
    await notifier.send_alert(first, "default", lang="ko")
    await notifier.send_text("관리자 공지", "default")
    await notifier.send_alert(sample_alert(rcept_no="20260106000001"), "default", lang="en")
    day5 = tmp_path / "out" / "alerts-2026-01-05.jsonl"
    day6 = tmp_path / "out" / "alerts-2026-01-06.jsonl"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [day5.name, day6.name]
    records = _lines(day5)
    assert [r["kind"] for r in records] == ["alert", "text"]
    assert records[0]["written_at"] == "2026-01-05T23:59:58+09:00"
    assert Alert.from_dict(records[0]["alert"]) == first  # type: ignore[arg-type]
    assert records[0]["alert"]["corp_name"] == "네이버"  # type: ignore[index]
    assert "네이버" in day5.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    assert records[1]["text"] == "관리자 공지"
    (later,) = _lines(day6)
    assert later["lang"] == "en" and later["alert"]["rcept_no"] == "20260106000001"  # type: ignore[index]


async def test_file_recovers_from_a_torn_last_line(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 1, 5, 1, 0, tzinfo=UTC))
    notifier = FileNotifier(FileSettings(dir=tmp_path), clock=clock)
    path = notifier.alerts_path()
    path.write_text(
        '{"kind":"alert","written_at":"2026-01-05T10:00:00+09:00"}\n{"kind":"al', "utf-8"
    )
    await notifier.send_alert(sample_alert(), "default")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1] == '{"kind":"al'
    assert json.loads(lines[2])["alert"]["rcept_no"] == "20260105000123"


async def test_file_digest_written_atomically(tmp_path: Path) -> None:
    notifier = FileNotifier(FileSettings(dir=tmp_path))
    digest = sample_digest(attachments={"../../chart.svg": "<svg/>"})
    await notifier.send_digest(digest, "default")
    await notifier.send_digest(digest, "default")  # a retry replaces, never appends
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "digest-2026-01-05-chart.svg",
        "digest-2026-01-05.html",
        "digest-2026-01-05.json",
        "digest-2026-01-05.md",
        "digest-2026-01-05.txt",
    ]  # no temporary files left, attachment names cannot escape the folder
    assert (tmp_path / "digest-2026-01-05.html").read_text("utf-8") == digest.html
    assert (tmp_path / "digest-2026-01-05.txt").read_text("utf-8") == digest.text
    assert json.loads((tmp_path / "digest-2026-01-05.json").read_text("utf-8"))["count"] == 3
    assert oct((tmp_path / "digest-2026-01-05.md").stat().st_mode & 0o777) == "0o644"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
async def test_file_unwritable_folder_is_permanent(tmp_path: Path) -> None:
    notifier = FileNotifier(FileSettings(dir=tmp_path / "ro"))
    (tmp_path / "ro").chmod(0o500)
    try:
        with pytest.raises(PermanentError, match="cannot write alerts-"):
            await notifier.send_alert(sample_alert(), "default")
        with pytest.raises(PermanentError, match="not writable"):
            await notifier.health()
    finally:
        (tmp_path / "ro").chmod(0o700)


async def test_file_folder_in_the_way_is_a_config_error(tmp_path: Path) -> None:
    from notifiers.base import NotifierConfigError

    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(NotifierConfigError, match=r"^FILE_NOTIFIER_DIR: cannot create"):
        FileNotifier(FileSettings(dir=tmp_path / "taken" / "out"))
    assert (await FileNotifier(FileSettings(dir=tmp_path)).health()).startswith("ok")


async def test_file_folder_replaced_by_a_file_is_permanent(tmp_path: Path) -> None:
    notifier = FileNotifier(FileSettings(dir=tmp_path / "out"))
    (tmp_path / "out").rmdir()
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(PermanentError, match=r"^file notifier: cannot write alerts-.*\.jsonl"):
        await notifier.send_alert(sample_alert(), "default")
    with pytest.raises(PermanentError, match="cannot write digest-2026-01-05"):
        await notifier.send_digest(sample_digest(), "default")
