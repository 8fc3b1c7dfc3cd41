"""The pure parts of the Telegram side: alert HTML, splitting, name resolution, texts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.bot.resolve import find, split_names
from notifiers.base import Alert, MilestoneRef, Reason
from notifiers.telegram_format import format_alert_html, split_text, utf16_len
from notifiers.telegram_texts import TextsError, command_descriptions, t, validate
from testkit.fakes.telegram_api import parse_html
from testkit.telegram import COMPANIES, LG, NAVER, NC, SK, SKT

free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=3000)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=free_text,
    name=st.text(max_size=300),
    filer=st.text(max_size=300),
    reasons=st.lists(st.tuples(st.integers(-50, 50), free_text), max_size=8),
    lang=st.sampled_from(["ko", "en"]),
)
def test_any_alert_is_valid_telegram_html_under_the_limit(
    title: str, name: str, filer: str, reasons: list[tuple[int, str]], lang: str
) -> None:
    alert = Alert(
        rcept_no="20260115000001",
        corp_code="00266961",
        corp_name=name,
        report_nm=title,
        rcept_dt="20260115",
        flr_nm=filer,
        team="t<e>am",
        phase="p&hase",
        milestone_before=MilestoneRef("2026-01", name or "x", filer or "y", -3),
        reasons=tuple(Reason(p, r, r) for p, r in reasons),
        relevance=50,
    )
    text, markup = format_alert_html(alert, lang)
    plain, _ = parse_html(text)  # what Telegram would accept, or this raises
    assert utf16_len(plain) <= 4096
    assert title[:20] in plain or utf16_len(text) > 3000  # the title survives unless cut
    assert markup.inline_keyboard[0][0].url == alert.url


def test_reasons_are_cut_before_the_title() -> None:
    many = tuple(Reason(10, "이유 " * 300, "reason " * 300) for _ in range(5))
    alert = Alert("20260115000001", NAVER, "NAVER", "제목 " * 200, "20260115", reasons=many)
    text, _ = format_alert_html(alert)
    assert ("제목 " * 200).strip() in parse_html(text)[0]
    assert utf16_len(text) <= 4096


@given(st.text(max_size=20000))
def test_split_text_keeps_everything_in_sized_parts(text: str) -> None:
    parts = split_text(text)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "") or not text.strip()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("네이버", [NAVER]),
        ("NAVER", [NAVER]),
        ("sk telecom", [SKT]),
        ("SK", [SKT, SK]),
        ("에스케이", [SK]),
        ("LG", [LG]),
        ("엔씨", [NC]),
        ("엔씨소", [NC]),  # a prefix of one name
        ("036570", [NC]),
        ("00181712", [SK]),
    ],
)
def test_find(query: str, expected: list[str]) -> None:
    assert [c.corp_code for c in find(query, COMPANIES).companies] == expected


def test_unknown_gets_close_matches() -> None:
    found = find("네이바", COMPANIES)
    assert found.companies == () and [c.corp_code for c in found.suggestions] == [NAVER]


def test_split_names_multiword_commas_and_all() -> None:
    parsed = split_names("SK Telecom, 네이버 LG Corp. 엉뚱 all", COMPANIES)
    assert parsed.everything
    assert [f.company.corp_code if f.company else f.query for f in parsed.found] == [
        SKT,
        NAVER,
        LG,
        "엉뚱",
    ]


@given(st.text(max_size=600))
def test_split_names_never_raises(text: str) -> None:
    split_names(text, COMPANIES)


def test_texts_escape_values_and_both_languages_agree() -> None:
    assert (
        t("ko", "unknown_company", query="<b>") == "‘&lt;b&gt;’에 해당하는 기업을 찾지 못했습니다."
    )
    assert set(command_descriptions("ko")) == set(command_descriptions("en"))
    for lang in ("ko", "en"):
        for key in ("welcome", "help", "help_admin", "list_settings"):
            parse_html(t(lang, key))  # our own templates are valid Telegram HTML


def test_texts_validation_names_the_problem() -> None:
    with pytest.raises(TextsError, match=r"\[en\]\.hello is missing"):
        validate({"ko": {"hello": "안녕"}, "en": {}})
    with pytest.raises(TextsError, match="placeholders differ"):
        validate({"ko": {"x": "{a}"}, "en": {"x": "{b}"}})
    with pytest.raises(TextsError, match="missing table"):
        validate({"ko": {}})


def test_bundled_watchlist_names_resolve_as_the_issue_asks() -> None:
    from monitor.bot.services import CompanyInfo
    from monitor.ingest.companies import load_watchlist

    watched = [
        CompanyInfo(e.corp_code or "", e.name, e.name_en or "", e.stock_code, e.aliases)
        for e in load_watchlist().watched
    ]
    expected = {
        "네이버": NAVER,
        "엔씨": NC,
        "엔씨소프트": NC,
        "SKT": SKT,
        "SK텔레콤": SKT,
        "에스케이": SK,
        "LG": LG,
        "엘지": LG,
    }
    for alias, corp_code in expected.items():
        assert [c.corp_code for c in find(alias, watched).companies] == [corp_code], alias
    assert {c.corp_code for c in find("SK", watched).companies} == {SK, SKT}
