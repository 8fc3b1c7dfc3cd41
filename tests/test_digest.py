"""The digest builder and renderers (pure): golden files of every format, determinism,
business-day roll-over, Telegram splitting, HTML safety and the JSON contract.

Golden files live in tests/golden/digest/. After a deliberate change, regenerate with
``UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_digest.py`` and review the diff like code.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from monitor.digest import (
    NotABusinessDay,
    build_digest,
    check_digest_day,
    digest_day_for,
    render,
    span,
    split_parts,
    text_parts,
    to_message,
)
from monitor.digest.builder import DigestInputError, TrendPoint
from monitor.digest.days import latest_digest_day, span_days
from monitor.digest.labels import LabelsError, load_labels
from monitor.digest.render import TELEGRAM_LIMIT, json_data, text_sections, utf16_len
from notifiers.base import Alert, DigestMessage, Reason
from tests.helpers.digest import GOLDEN_DAY, dataset, digest_inputs, golden_digest

GOLDEN = Path(__file__).parent / "golden" / "digest"
EXT = {"html": "html", "md": "md", "text": "txt", "json": "json", "csv": "csv"}


def _golden_check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs from the golden file (UPDATE_GOLDEN=1 to accept)"


# --- golden files --------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("fmt", ["html", "md", "text", "json", "csv"])
def test_golden_day_matches_the_reviewed_files(fmt: str, lang: str) -> None:
    digest = golden_digest(GOLDEN_DAY, lang)
    _golden_check(f"{GOLDEN_DAY}.{lang}.{EXT[fmt]}", render(digest, fmt))


def test_golden_day_content_is_what_an_analyst_needs() -> None:
    digest = golden_digest()
    assert digest.total == 6
    # AI-relevant filings first, highest relevance first, each with reasons.
    assert [i.alert.relevance for i in digest.ai_items] == sorted(
        (i.alert.relevance for i in digest.ai_items), reverse=True
    )
    assert digest.ai_total == 4 and all(i.top_reasons for i in digest.ai_items)
    assert [i.alert.rcept_no for i in digest.changes] == ["20260115800110"]  # NAVER, rm 정
    # The timeline box of the stage-1 result day.
    assert digest.timeline["phase"]["id"] == "stage1_eval"
    assert digest.timeline["last_milestone"]["key"] is True
    statuses = {t["id"]: t["status"] for t in digest.timeline["teams"]}
    assert statuses["naver"] == "eliminated" and statuses["lg"] == "active"
    # One section per company that filed, in timeline team order, with every filing.
    assert [s.team_id for s in digest.sections] == ["lg", "skt", "naver", "ncai"]
    assert sum(len(s.items) for s in digest.sections) == digest.total
    # Counts include the watched company that filed nothing (SK Inc.).
    assert {c.corp_code: c.filings for c in digest.counts}["00181712"] == 0
    text = render(digest, "text")
    assert "17:30" in text  # first-seen time in KST
    assert "https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20260115800105" in text
    # The trend covers 30 days and marks the key milestone of the day.
    assert len(digest.trend.days) == 30 and digest.trend.end == GOLDEN_DAY
    assert any(m.key and m.day == GOLDEN_DAY for m in digest.trend.markers)


# --- determinism ---------------------------------------------------------------------


def test_same_day_twice_is_byte_identical() -> None:
    first = to_message(golden_digest())
    second = to_message(golden_digest())
    assert first == second
    for fmt in ("html", "md", "text", "json", "csv"):
        assert render(golden_digest(), fmt) == render(golden_digest(), fmt)


def test_input_order_does_not_change_the_output() -> None:
    inputs = digest_inputs()
    shuffled = dict(inputs)
    alerts = list(inputs["alerts"])
    random.Random(7).shuffle(alerts)
    shuffled["alerts"] = alerts
    points = list(inputs["trend_counts"])
    random.Random(8).shuffle(points)
    shuffled["trend_counts"] = points
    companies = list(inputs["companies"])
    companies.reverse()
    shuffled["companies"] = companies

    def build(i: dict[str, object]) -> str:
        digest = build_digest(
            i["day"],  # type: ignore[arg-type]
            i["alerts"],  # type: ignore[arg-type]
            i["trend_counts"],  # type: ignore[arg-type]
            i["timeline_box"],  # type: ignore[arg-type]
            i["lang"],  # type: ignore[arg-type]
            companies=i["companies"],  # type: ignore[arg-type]
            markers=i["markers"],  # type: ignore[arg-type]
        )
        return render(digest, "json") + render(digest, "html")

    assert build(inputs) == build(shuffled)


def test_generated_at_appears_only_when_given() -> None:
    inputs = digest_inputs()
    moment = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    digest = build_digest(
        inputs["day"],
        inputs["alerts"],
        inputs["trend_counts"],
        inputs["timeline_box"],
        "en",
        generated_at=moment,
    )
    assert "Generated 2026-01-15 18:30 KST" in render(digest, "text")
    assert json_data(digest)["generated_at"] == "2026-01-15T18:30:00+09:00"
    assert json_data(golden_digest())["generated_at"] is None


# --- business days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (date(2026, 1, 15), date(2026, 1, 15), date(2026, 1, 15)),  # Thursday
        (date(2026, 1, 19), date(2026, 1, 17), date(2026, 1, 19)),  # Monday after a weekend
        (date(2026, 1, 2), date(2026, 1, 1), date(2026, 1, 2)),  # after New Year's Day
        # Seollal 2026: Mon 16 - Wed 18 Feb; with the weekend before, Sat 14 - Thu 19.
        (date(2026, 2, 19), date(2026, 2, 14), date(2026, 2, 19)),
        # Chuseok 2026: Thu 24 - Sat 26 Sep, then Sunday: all roll into Mon 28.
        (date(2026, 9, 28), date(2026, 9, 24), date(2026, 9, 28)),
        (date(2026, 9, 23), date(2026, 9, 23), date(2026, 9, 23)),
    ],
)
def test_weekends_and_holidays_roll_into_the_next_business_day(
    day: date, first: date, last: date
) -> None:
    assert check_digest_day(day) == day
    assert span(day) == (first, last)
    for covered in span_days(day):
        assert digest_day_for(covered) == day


@pytest.mark.parametrize(
    ("day", "digest_day", "why"),
    [
        (date(2026, 2, 17), date(2026, 2, 19), "Korean New Year"),
        (date(2026, 9, 25), date(2026, 9, 28), "Chuseok"),
        (date(2026, 1, 17), date(2026, 1, 19), "Saturday"),
        (date(2026, 1, 18), date(2026, 1, 19), "Sunday"),
    ],
)
def test_a_non_business_day_names_the_digest_that_includes_it(
    day: date, digest_day: date, why: str
) -> None:
    with pytest.raises(NotABusinessDay) as info:
        check_digest_day(day)
    assert info.value.digest_day == digest_day
    assert why in str(info.value) and digest_day.isoformat() in str(info.value)


def test_every_day_is_covered_by_exactly_one_digest() -> None:
    start = date(2026, 1, 1)
    covered: list[date] = []
    day = start
    while day < date(2027, 1, 1):
        try:
            check_digest_day(day)
        except NotABusinessDay:
            pass
        else:
            covered.extend(span_days(day))
        day += timedelta(days=1)
    # From the first digest's span to the last business day, no gaps and no overlaps.
    assert covered == sorted(set(covered))
    assert all((b - a).days == 1 for a, b in pairwise(covered))


def test_latest_digest_day_for_a_default_date() -> None:
    assert latest_digest_day(date(2026, 2, 17)) == date(2026, 2, 13)
    assert latest_digest_day(date(2026, 1, 15)) == date(2026, 1, 15)


def test_rolled_over_digest_includes_the_holiday_filings() -> None:
    day = date(2026, 2, 19)
    digest = golden_digest(day, "en")
    wanted = {d.strftime("%Y%m%d") for d in span_days(day)}
    expected = sorted(r.rcept_no for r in dataset() if r.rcept_dt in wanted)
    assert sorted(i.alert.rcept_no for i in digest.items) == expected
    assert {i.alert.rcept_dt for i in digest.items} - {"20260219"}  # some rolled in
    assert "Filings received 2026-02-14 (Sat) to 2026-02-19 (Thu)" in render(digest, "text")


# --- Telegram-sized text -------------------------------------------------------------


def test_golden_text_parts_break_only_between_sections() -> None:
    digest = golden_digest()
    sections = text_sections(digest)
    parts = text_parts(digest)
    assert all(utf16_len(p) <= TELEGRAM_LIMIT for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(sections)
    remaining = list(sections)
    for part in parts:  # every part is a run of whole sections
        taken = []
        while remaining and "\n\n".join([*taken, remaining[0]]) in part:
            taken.append(remaining.pop(0))
        assert "\n\n".join(taken) == part
    assert not remaining
    message = to_message(digest)
    assert message.text_parts == tuple(parts)


def _big_digest(n: int = 600) -> object:
    inputs = digest_inputs()
    base = inputs["alerts"][0]
    alerts = [
        replace(
            base,
            rcept_no=f"20260115{i:06d}",
            report_nm=f"임원ㆍ주요주주특정증권등소유상황보고서 #{i}",
            corp_code=("00120021", "00159023", "00266961")[i % 3],
            first_seen_at=datetime(2026, 1, 15, 0, 0, tzinfo=UTC) + timedelta(seconds=i * 37),
        )
        for i in range(n)
    ]
    return build_digest(GOLDEN_DAY, alerts, inputs["trend_counts"], inputs["timeline_box"], "ko")


def test_a_section_longer_than_a_message_breaks_between_filings() -> None:
    digest = _big_digest()
    sections = text_sections(digest)  # type: ignore[arg-type]
    assert max(utf16_len(s) for s in sections) > TELEGRAM_LIMIT
    parts = text_parts(digest)  # type: ignore[arg-type]
    assert len(parts) > 10
    assert all(utf16_len(p) <= TELEGRAM_LIMIT for p in parts)
    joined = "\n\n".join(parts)
    for i in range(600):
        url = f"rcpNo=20260115{i:06d}"
        assert joined.count(url) >= 1
    # No filing is torn apart: its title line and its link are in the same part.
    for part in parts:
        for match in re.finditer(r"#(\d+)\n", part):
            tail = part[match.end() :]
            assert f"rcpNo=20260115{int(match.group(1)):06d}" in tail


def test_split_counts_utf16_units_and_cuts_only_an_impossible_line() -> None:
    emoji = "📈" * 3000  # 6000 UTF-16 units on one line
    parts = split_parts(["head", emoji, "tail"], limit=4096)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert "".join(p for p in parts if "📈" in p).count("📈") == 3000
    assert parts[0] == "head" and parts[-1].endswith("tail")
    assert split_parts(["a" * 10, "b" * 10], limit=25) == ["a" * 10 + "\n\n" + "b" * 10]
    assert split_parts(["a" * 10, "b" * 10], limit=15) == ["a" * 10, "b" * 10]


# --- safety --------------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> & [x](javascript:1) *b*'


def _hostile_digest() -> object:
    inputs = digest_inputs()
    alerts = list(inputs["alerts"])
    alerts[0] = replace(
        alerts[0],
        report_nm=HOSTILE,
        corp_name='"><svg onload=alert(3)>',
        flr_nm="</td></tr></table><script>x</script>",
        reasons=(Reason(10, "<b>ko</b>", "<b>en</b>"),),
        ai_related=True,
    )
    return build_digest(GOLDEN_DAY, alerts, inputs["trend_counts"], inputs["timeline_box"], "ko")


def test_html_escapes_hostile_text_and_has_no_active_content() -> None:
    html = render(_hostile_digest(), "html")  # type: ignore[arg-type]
    lowered = html.lower()
    assert not re.search(r"<(script|img|iframe|object|embed|form|b)\b", lowered)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered)  # no event handler attribute
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in re.findall(r'href="([^"]*)"', html)[0]
    # E-mail safe: no external resources, no <style> blocks, no event handlers at all.
    assert "<style" not in lowered and "<link" not in lowered and "@import" not in lowered
    hrefs = set(re.findall(r'href="([^"]*)"', html))
    assert all(h.startswith("https://dart.fss.or.kr/dsaf001/main.do?rcpNo=") for h in hrefs)
    assert "<svg" in lowered and 'id="trend-chart"' in html


def test_markdown_shows_hostile_titles_literally() -> None:
    md = render(_hostile_digest(), "md")  # type: ignore[arg-type]
    assert "<script>" not in md
    assert r"\<script\>" in md
    assert r"\[x\](javascript:1)" in md and r"\*b\*" in md


# --- JSON and CSV contract -----------------------------------------------------------


def test_json_contract_for_tools() -> None:
    data = json.loads(render(golden_digest(), "json"))
    for key in ("filings", "timeline", "counts", "date", "lang", "timeline_version", "trend"):
        assert key in data
    assert data["date"] == "2026-01-15" and data["lang"] == "ko"
    assert data["timeline_version"].startswith("bundled-")
    assert len(data["filings"]) == data["counts"]["filings"] == 6
    for f in data["filings"]:
        assert re.fullmatch(r"\d{14}", f["rcept_no"])
        assert re.fullmatch(r"\d{8}", f["corp_code"])
        assert isinstance(f["corp_name"], str) and f["corp_name"]
        assert isinstance(f["report_nm"], str) and f["report_nm"]
        assert re.fullmatch(r"\d{8}", f["rcept_dt"])
        assert isinstance(f["category"], str) and f["category"]
        assert isinstance(f["relevance"], int) and 0 <= f["relevance"] <= 100
        assert isinstance(f["reasons"], list) and all(isinstance(r, str) for r in f["reasons"])
        assert f["team"] is None or isinstance(f["team"], str)
        assert f["url"] == f"https://dart.fss.or.kr/dsaf001/main.do?rcpNo={f['rcept_no']}"
    assert {f["team"] for f in data["filings"]} == {"lg", "skt", "naver", "ncai"}
    assert data["timeline"]["phase"]["id"] == "stage1_eval"
    by_company = {c["corp_code"]: c for c in data["counts"]["by_company"]}
    assert by_company["00159023"]["filings"] == 3
    assert len(data["trend"]["days"]) == 30
    assert all(len(s["counts"]) == 30 for s in data["trend"]["series"])


def test_csv_has_one_row_per_filing() -> None:
    digest = golden_digest()
    rows = list(csv.DictReader(io.StringIO(render(digest, "csv"))))
    assert [r["rcept_no"] for r in rows] == [i.alert.rcept_no for i in digest.items]
    assert all(r["digest_date"] == "2026-01-15" for r in rows)
    assert {r["ai_related"] for r in rows} == {"0", "1"}


def test_message_carries_every_format() -> None:
    message = to_message(golden_digest(lang="en"))
    assert isinstance(message, DigestMessage)
    assert message.subject == "[dartwatch] Digest 2026-01-15 — 6 filings (4 AI-relevant)"
    assert message.html.startswith("<!DOCTYPE html>") and message.markdown.startswith("# ")
    assert json.loads(message.json)["lang"] == "en"
    assert message.attachments["filings.csv"].startswith("digest_date,rcept_no")
    assert message.text.startswith("K-AI filings digest")
    assert DigestMessage.from_dict(message.to_dict()) == message


def test_an_empty_day_still_says_where_the_project_stands() -> None:
    inputs = digest_inputs(lang="en")
    digest = build_digest(GOLDEN_DAY, [], [], inputs["timeline_box"], "en")
    text = render(digest, "text")
    assert "No filings were received in this period." in text
    assert "Current phase: Stage 1 evaluation" in text
    assert json.loads(render(digest, "json"))["filings"] == []
    assert "<svg" in render(digest, "html")


# --- inputs and data files -----------------------------------------------------------


def test_bad_language_is_refused() -> None:
    with pytest.raises(DigestInputError, match="lang"):
        build_digest(GOLDEN_DAY, [], [], {}, "fr")


def test_trend_ignores_points_outside_the_window_and_sums_duplicates() -> None:
    inside = date(2026, 1, 10)
    points = [
        TrendPoint("00120021", "LG", inside, 2),
        TrendPoint("00120021", "LG", inside, 1),
        TrendPoint("00120021", "LG", date(2025, 12, 1), 9),
    ]
    digest = build_digest(GOLDEN_DAY, [], points, {}, "ko")
    (series,) = digest.trend.series
    assert series.total == 3 and series.counts[digest.trend.days.index(inside)] == 3


def test_a_naive_first_seen_time_is_read_as_utc() -> None:
    alert = Alert(
        rcept_no="20260115000001",
        corp_code="00120021",
        corp_name="LG",
        report_nm="x",
        rcept_dt="20260115",
        first_seen_at=datetime(2026, 1, 15, 8, 30),  # SQLite drops the zone
    )
    digest = build_digest(GOLDEN_DAY, [alert], [], {}, "ko")
    assert digest.items[0].seen_text == "17:30"


def test_a_broken_labels_file_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "labels.toml"
    bad.write_text(
        '[chart]\npalette = ["#000000"]\nkey_marker = "#000000"\nmarker = "#000000"\n'
        'weekend = "#000000"\n[labels.title]\nko = "제목 {n}"\nen = "Title"\n',
        encoding="utf-8",
    )
    with pytest.raises(LabelsError, match=r"\[labels.title\].*placeholders"):
        load_labels(bad)
    bad.write_text('[chart]\npalette = ["red"]\n[labels.x]\nko = "a"\nen = "b"\n', "utf-8")
    with pytest.raises(LabelsError, match=r"palette\[0\]"):
        load_labels(bad)
