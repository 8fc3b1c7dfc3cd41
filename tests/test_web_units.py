"""The desk's pure parts: parameter parsing, company names, the amendment chain, the
monthly chart, spreadsheet neutralising, and the WEB_* settings."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.core.settings import ConfigError, load_settings, parse_listen
from monitor.web.chart import month_chart
from monitor.web.exports import neutralise
from monitor.web.params import BadParameter, SearchForm, parse_search
from monitor.web.queries import amendment_chain, resolve_company
from storage.models import Company, Filing


def test_search_form_round_trips_through_its_query_string() -> None:
    form = parse_search(
        {
            "company": "네이버",
            "from": "2026-01-02",
            "to": "20260131",
            "ai": "yes",
            "amended": "no",
            "min_relevance": "30",
            "q": "공급 계약",
            "page": "3",
        }
    )
    assert form.date_from == date(2026, 1, 2) and form.date_to == date(2026, 1, 31)
    assert form.terms == ("공급", "계약") and form.offset == 100
    assert parse_search(dict(part.split("=") for part in _decoded(form.to_query()))) == form
    assert SearchForm().to_query() == "" and SearchForm().is_empty


def _decoded(query: str) -> list[str]:
    from urllib.parse import unquote_plus

    return [unquote_plus(p) for p in query.split("&")]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"min_relevance": "101"}, "min_relevance"),
        ({"min_relevance": "-1"}, "min_relevance"),
        ({"page": "0"}, "page"),
        ({"per_page": "7"}, "per_page"),
        ({"category": "DROP TABLE"}, "category"),
        ({"amended": "maybe"}, "amended"),
        ({"q": "x" * 201}, "q"),
        ({"company": "a\x00b"}, "company"),
    ],
)
def test_bad_parameters_name_themselves(params: dict[str, str], name: str) -> None:
    with pytest.raises(BadParameter) as caught:
        parse_search(params)
    assert caught.value.name == name and str(caught.value).startswith(f"{name}: ")


def _company(
    code: str, name: str, eng: str = "", stock: str | None = None, aliases: list[str] | None = None
) -> Company:
    return Company(
        corp_code=code,
        corp_name=name,
        corp_eng_name=eng or None,
        stock_code=stock,
        aliases=aliases or [],
    )


def test_company_is_found_by_any_name_form() -> None:
    known = [
        _company("00266961", "NAVER", "NAVER Corp.", "035420", ["네이버"]),
        _company("00159023", "SK텔레콤", "SK Telecom", "017670"),
        _company("00126380", "삼성전자", "Samsung Electronics", "005930"),
    ]
    for text in ("00266961", "035420", "naver", "네이버", "NAVER Corp."):
        assert resolve_company(text, known) == ("00266961",), text
    assert resolve_company("SK 텔레콤", known) == ("00159023",)
    assert resolve_company("텔레콤", known) == ("00159023",)  # a part of a name
    assert resolve_company("LG", known) is None
    assert resolve_company("  ", known) is None


def _filing(no: str, title: str) -> Filing:
    return Filing(rcept_no=no, corp_code="1", corp_name="c", report_nm=title, rcept_dt=no[:8])


def test_amendment_chain_belongs_to_the_nearest_original() -> None:
    same = [
        _filing("20250101000001", "월간보고"),
        _filing("20250201000001", "월간보고"),
        _filing("20250202000001", "[기재정정]월간보고"),
        _filing("20250203000001", "[기재정정]월간보고"),
        _filing("20250301000001", "월간보고"),
    ]
    chain = ["20250201000001", "20250202000001", "20250203000001"]
    for member in chain:
        assert [f.rcept_no for f in amendment_chain(same, member)] == chain
    assert [f.rcept_no for f in amendment_chain(same, "20250301000001")] == ["20250301000001"]
    assert amendment_chain(same, "20990101000001") == []


def test_month_chart_spans_empty_months_and_places_milestones() -> None:
    months = [
        {"month": "202511", "filings": 4, "ai_related": 1},
        {"month": "202602", "filings": 2, "ai_related": 0},
    ]
    milestones = [
        {"first_day": "2025-12-30", "title": "1st evaluation", "date": "2025-12-30"},
        {"first_day": "2027-01-01", "title": "later", "date": "2027-01"},
    ]
    chart = month_chart(months, milestones)
    assert chart is not None
    assert [b.label for b in chart.bars] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert [b.filings for b in chart.bars] == [4, 0, 0, 2]
    assert chart.bars[0].height > chart.bars[3].height > 0 == chart.bars[1].height
    assert [line.title for line in chart.lines] == ["1st evaluation"]
    assert chart.bars[1].x < chart.lines[0].x < chart.bars[2].x
    assert month_chart([], milestones) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+82", "'+82"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("삼성전자", "삼성전자"),
        ("", ""),
    ],
)
def test_neutralise_formula_cells(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_web_settings() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    settings = load_settings()
    assert settings.web_listen is None and settings.web_bind() == ("127.0.0.1", 8080)
    assert load_settings(WEB_LISTEN="localhost:81").web_bind() == ("localhost", 81)
    with pytest.raises(ConfigError, match="WEB_TOKEN"):
        load_settings(WEB_LISTEN="0.0.0.0:8080").web_bind()
    open_desk = load_settings(WEB_LISTEN="0.0.0.0:8080", WEB_TOKEN="x" * 16)
    assert open_desk.web_bind() == ("0.0.0.0", 8080)
    assert "x" * 16 in open_desk.secrets()
    for name, value in (("WEB_LISTEN", "8080"), ("WEB_LISTEN", "h:70000"), ("WEB_TOKEN", "short")):
        with pytest.raises(ConfigError, match=name):
            load_settings(**{name: value})
    assert load_settings(LANG="en_US.UTF-8").web_default_lang == "en"
    assert load_settings(LANG="C.UTF-8").web_default_lang == "ko"
    assert load_settings(LANG="en_US.UTF-8", WEB_LANG="ko").web_default_lang == "ko"


def test_every_text_the_templates_use_exists_in_both_languages() -> None:
    import re
    import tomllib
    from pathlib import Path

    web = Path(__file__).resolve().parent.parent / "monitor" / "web"
    table = tomllib.loads((web / "texts.toml").read_text(encoding="utf-8"))
    sources = [p.read_text(encoding="utf-8") for p in (web / "templates").glob("*.j2")]
    sources += [p.read_text(encoding="utf-8") for p in web.glob("*.py") if p.name != "texts.py"]
    used = {
        m for text in sources for m in re.findall(r"""t\(\s*["']([a-z_]+\.[a-z_]+)["']""", text)
    }
    assert len(used) > 50
    for key in sorted(used):
        group, name = key.split(".")
        assert set(table[group][name]) == {"ko", "en"}, key
    for group in table.values():
        for name, entry in group.items():
            assert entry["ko"].strip() and entry["en"].strip(), name
