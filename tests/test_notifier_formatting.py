"""Pure alert formatting: labels, escaping per format, markers, context, truncation."""

from __future__ import annotations

import html.parser
import json
from pathlib import Path

import pytest

from notifiers import formatting as fmt
from notifiers.base import MilestoneRef, Reason
from tests.helpers.notifier import sample_alert, sample_digest

HOSTILE = "<script>alert('x')</script> & *bold* _u_ [link](http://evil) <!channel> @everyone"
URL = "https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20260105000123"


# --- labels --------------------------------------------------------------------------


def test_labels_file_has_both_languages_for_every_key() -> None:
    labels = fmt.load_labels()
    assert {"filer", "correction", "withdrawn", "view", "relevance"} <= set(labels)
    for texts in labels.values():
        assert texts["ko"].strip() and texts["en"].strip()
    assert fmt.label("days_before", "ko", n=3) == "3일 전"
    assert fmt.label("days_before", "en", n=3) == "3 days before"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('[a]\nko = "가"\n', "has no en text"),
        ('[a]\nko = "{n}개"\nen = "{m} items"\n', "different {placeholders}"),
        ('[a]\nko = "가"\nen = "a"\nja = "あ"\n', "unknown languages"),
        ('a = "loose"\n', "must be a table"),
        ("[a\n", "Expected"),
    ],
)
def test_labels_file_is_validated(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "labels.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(fmt.LabelsError, match=r"labels\.toml") as err:
        fmt.load_labels(path)
    assert problem in str(err.value)
    assert "\n" not in str(err.value)


# --- content -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "ko",
            [
                "네이버 · 주요사항",
                "주요사항보고서(유상증자결정)",
                "제출인: 네이버 · 접수일: 2026-01-05 · 종목코드: 035420 · 비고: 유",
                "K-AI 팀: 네이버클라우드 (주관사)",
                "단계: 1차 평가",
                "직전 일정: 1차 평가 결과 발표 (2025-12-30, 6일 전) [확정]",
                "다음 일정: 2차 평가 (2026-06, 150일 후) [예정]",
                "AI 관련도: 73/100 · AI 관련",
                "  • +30 제목에 ‘AI’",
                "  …외 1개",
                f"DART에서 보기: {URL}",
            ],
        ),
        (
            "en",
            [
                "네이버 · Major event",
                "K-AI Team: Naver Cloud (lead)",
                "Phase: First evaluation",
                "Previous milestone: First evaluation results (2025-12-30, 6 days before) "
                "[confirmed]",
                "Next milestone: Second evaluation (2026-06, 150 days after) [planned]",
                "AI relevance: 73/100 · AI-related",
                "  • +30 'AI' in the title",
                "  …and 1 more",
                f"View on DART: {URL}",
            ],
        ),
    ],
)
def test_text_shows_context_in_both_languages(lang: str, expected: list[str]) -> None:
    lines = fmt.alert_text(sample_alert(), lang).splitlines()
    for line in expected:
        assert line in lines


def test_top_three_reasons_strongest_first() -> None:
    text = fmt.alert_text(sample_alert(), "en")
    shown = [line.strip() for line in text.splitlines() if line.startswith("  • ")]
    assert shown == [
        "• +30 'AI' in the title",
        "• +15 key milestone within 7 days",
        "• +10 participating team (lead)",
    ]


@pytest.mark.parametrize(
    ("changes", "ko_marker", "en_marker", "severity"),
    [
        ({"correction": True}, "[정정 공시]", "[Correction]", "correction"),
        ({"amended": True}, "[이후 정정된 공시]", "[Later corrected]", "correction"),
        ({"withdrawn": True, "event": "withdrawn"}, "[철회된 공시]", "[Withdrawn]", "withdrawn"),
        ({"withdrawn": True, "amended": True}, "[철회된 공시]", "[Withdrawn]", "withdrawn"),
    ],
)
def test_correction_and_withdrawal_markers(
    changes: dict[str, object], ko_marker: str, en_marker: str, severity: str
) -> None:
    alert = sample_alert(**changes)
    assert fmt.alert_text(alert, "ko").splitlines()[0] == ko_marker
    assert fmt.alert_text(alert, "en").splitlines()[0] == en_marker
    assert fmt.build_view(alert, "ko").severity == severity
    assert ko_marker in fmt.alert_subject(alert, "ko")
    if changes.get("amended") and changes.get("withdrawn"):
        assert "[이후 정정된 공시]" not in fmt.alert_text(alert, "ko")


def test_minimal_alert_without_context() -> None:
    alert = sample_alert(
        team=None,
        team_ko=None,
        role=None,
        role_ko=None,
        phase=None,
        phase_ko=None,
        milestone_before=None,
        milestone_after=None,
        reasons=(),
        relevance=0,
        ai_related=False,
        flr_nm="",
        stock_code=None,
        rm="",
    )
    text = fmt.alert_text(alert, "en")
    assert "Team" not in text and "milestone" not in text and "•" not in text
    assert "AI relevance: 0/100" in text
    assert text.endswith(URL)


def test_eliminated_team_and_same_day_milestone() -> None:
    alert = sample_alert(
        team_status="eliminated",
        milestone_before=MilestoneRef("2026-01-05", "발표", "Announcement", 0, key=True),
    )
    text = fmt.alert_text(alert, "en")
    assert "Naver Cloud (lead) · eliminated team" in text
    assert "Announcement (2026-01-05, same day)" in text


def test_subject_is_one_line() -> None:
    subject = fmt.alert_subject(sample_alert(report_nm="분기보고서\n(2025.09)\r\n"), "ko")
    assert subject == "[dartwatch] 네이버 · 분기보고서 (2025.09)"


# --- escaping ------------------------------------------------------------------------


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs.extend(v or "" for k, v in attrs if k == "href")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _hostile_alert() -> object:
    return sample_alert(
        corp_name=HOSTILE,
        report_nm=HOSTILE,
        flr_nm=HOSTILE,
        rm=HOSTILE,
        team_ko=HOSTILE,
        role_ko=HOSTILE,
        phase_ko=HOSTILE,
        category_ko=HOSTILE,
        milestone_before=MilestoneRef("2025-12-30", HOSTILE, HOSTILE, -6),
        reasons=(Reason(30, HOSTILE, HOSTILE),),
    )


def test_html_escapes_every_dynamic_text() -> None:
    out = fmt.alert_html(_hostile_alert(), "ko")  # type: ignore[arg-type]
    parser = _Collector()
    parser.feed(out)
    assert set(parser.tags) <= {"div", "p", "strong", "br", "ul", "li", "a"}
    assert "script" not in parser.tags
    assert parser.hrefs == [URL]
    assert HOSTILE in "".join(parser.text)  # shown as text, intact


def test_markdown_escapes_every_dynamic_text() -> None:
    out = fmt.alert_markdown(_hostile_alert(), "ko")  # type: ignore[arg-type]
    assert "<script>" not in out
    assert "[link](http://evil)" not in out
    assert "*bold*" not in out
    assert r"\*bold\*" in out and r"\<script\>" in out and r"\[link\]" in out
    # The only link is ours.
    assert out.endswith(f"[DART에서 보기]({URL})")


def test_slack_payload_shape_and_escaping() -> None:
    payload = fmt.alert_slack(_hostile_alert(), "ko")  # type: ignore[arg-type]
    types = [b["type"] for b in payload["blocks"]]
    assert types == ["header", "section", "actions"]
    assert payload["blocks"][0]["text"]["type"] == "plain_text"
    assert len(payload["blocks"][0]["text"]["text"]) <= fmt.SLACK_HEADER_CHARS
    section = payload["blocks"][1]["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt;" in section
    assert "<script>" not in payload["text"]
    assert payload["blocks"][2]["elements"][0]["url"] == URL


def test_discord_payload_shape_and_escaping() -> None:
    payload = fmt.alert_discord(_hostile_alert(), "en")  # type: ignore[arg-type]
    assert payload["allowed_mentions"] == {"parse": []}
    embed = payload["embeds"][0]
    assert embed["url"] == URL
    assert len(embed["title"]) <= fmt.DISCORD_TITLE_CHARS
    assert "[link](http://evil)" not in json.dumps(embed, ensure_ascii=False)
    assert [f["name"] for f in embed["fields"]][:2] == ["K-AI Team", "Phase"]
    assert embed["color"] == fmt.COLOR_NORMAL
    assert fmt.alert_discord(sample_alert(withdrawn=True))["embeds"][0]["color"] == (
        fmt.COLOR_WITHDRAWN
    )


# --- truncation ----------------------------------------------------------------------


_LIMITS = [2000, 500, 400, 300, 200, 150, 110]


@pytest.mark.parametrize(
    ("render", "max_chars"),
    [(fmt.alert_text, n) for n in _LIMITS]
    + [(fmt.alert_markdown, n) for n in _LIMITS]
    # HTML carries its tags around the marker, company, title and link: ~210 at least.
    + [(fmt.alert_html, n) for n in _LIMITS if n >= 250],
)
def test_max_chars_is_honoured_and_essentials_stay(render: object, max_chars: int) -> None:
    alert = sample_alert(correction=True, report_nm="기재정정 " + "주요사항보고서" * 20)
    out = render(alert, "ko", max_chars)  # type: ignore[operator]
    assert len(out) <= max_chars
    assert "정정 공시" in out
    assert URL in out
    assert "네이버" in out


def test_least_important_parts_go_first() -> None:
    alert = sample_alert()
    full = fmt.alert_text(alert, "en")
    # A little too long: the third reason goes, everything else stays.
    out = fmt.alert_text(alert, "en", len(full) - 5)
    assert "participating team (lead)" not in out
    assert "key milestone within 7 days" in out and "Next milestone" in out
    # Much shorter: reasons and remarks first, then the next milestone...
    view_order = [line.key for line in fmt.build_view(alert, "en", drop=3).context]
    assert "milestone_after" not in view_order and "milestone_before" in view_order
    # ...while the title is cut only when nothing optional is left.
    short = fmt.alert_text(sample_alert(report_nm="가" * 500), "en", 400)
    assert "…" in short and "Team" in short


def test_impossible_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot fit in 20 characters"):
        fmt.alert_text(sample_alert(), "ko", 20)


def test_slack_and_discord_respect_max_chars() -> None:
    alert = sample_alert(report_nm="보고서" * 400)
    assert fmt.payload_chars(fmt.alert_slack(alert, "ko", 800)) <= 800
    discord = fmt.alert_discord(alert, "ko")
    embed = discord["embeds"][0]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096


def test_digest_slack_splits_into_sections() -> None:
    digest = sample_digest(text="\n".join(f"{i} 네이버 <공시>" for i in range(2000)))
    payload = fmt.digest_slack(digest)
    sections = [b for b in payload["blocks"] if b["type"] == "section"]
    assert len(sections) > 1 and len(payload["blocks"]) <= fmt.SLACK_MAX_BLOCKS
    assert all(len(s["text"]["text"]) <= fmt.SLACK_SECTION_CHARS for s in sections)
    assert "<공시>" not in sections[0]["text"]["text"]
    assert "&lt;공시&gt;" in sections[0]["text"]["text"]


def test_digest_discord_fits_one_embed() -> None:
    payload = fmt.digest_discord(sample_digest(text="가" * 10000))
    embed = payload["embeds"][0]
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    assert total <= fmt.DISCORD_EMBED_TOTAL_CHARS
    assert embed["description"].endswith("…")
