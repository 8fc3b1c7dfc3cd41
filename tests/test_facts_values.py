"""Value normalising and Korean/English display of facts (pure)."""

from __future__ import annotations

import pytest

from monitor.facts import values as v


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("376,265", 376265.0),
        ("4.60", 4.6),
        ("△12.5", -12.5),
        ("-802", -802.0),
        ("(1,234)", -1234.0),
        (" 7.66 % ", 7.66),
        ("-", None),
        ("", None),
        ("해당사항없음", None),
        ("1,2a", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_decimal(raw: str | None, expected: float | None) -> None:
    assert v.parse_decimal(raw) == expected


def test_parse_int_scales_by_the_unit() -> None:
    assert v.parse_int("22,574", 10**6) == 22_574_000_000
    assert v.parse_int("△1.5", 10**8) == -150_000_000
    assert v.parse_int("-", 10**6) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019년 12월 10일", "2019-12-10"),
        ("2026년 8월 5일", "2026-08-05"),
        ("20260821", "2026-08-21"),
        ("2026-06-08", "2026-06-08"),
        ("2026.06.08", "2026-06-08"),
        ("2026-08-05 16:00", "2026-08-05"),
        ("2026년 02월 30일", None),
        ("-", None),
        ("미정", None),
    ],
)
def test_parse_date(raw: str, expected: str | None) -> None:
    assert v.parse_date(raw) == expected


def test_parse_date_range() -> None:
    assert v.parse_date_range("2019년 05월 29일 ~ 2019년 05월 31일") == (
        "2019-05-29",
        "2019-05-31",
    )
    assert v.parse_date_range("2026-04-01 ~ 2026-06-30") == ("2026-04-01", "2026-06-30")
    assert v.parse_date_range("-") == (None, None)


@pytest.mark.parametrize(
    ("label", "factor"),
    [
        ("구분(단위 : 백만원, %)", 10**6),
        ("(단위: 억원)", 10**8),
        ("171.50조원", 10**12),
        ("계약금액(원)", 1),
        ("단위 : 천원", 10**3),
        ("비율(%)", 7),
    ],
)
def test_unit_multiplier(label: str, factor: int) -> None:
    assert v.unit_multiplier(label, default=7) == factor


@pytest.mark.parametrize(
    ("amount", "ko", "en"),
    [
        (123_400_000_000, "1,234억원", "KRW 123.4bn"),
        (2_800_000_000_000, "2.8조원", "KRW 2.8tn"),
        (44_200_000_000, "442억원", "KRW 44.2bn"),
        (624_000_000, "6.2억원", "KRW 624m"),
        (35_000_000, "3,500만원", "KRW 35m"),
        (5_000, "5,000원", "KRW 5,000"),
        (-567_000_000, "-5.7억원", "-KRW 567m"),
        (150_000_000_000_000, "150조원", "KRW 150tn"),
    ],
)
def test_money_display(amount: int, ko: str, en: str) -> None:
    assert v.krw(amount) == ko
    assert v.krw_en(amount) == en


def test_percent_display() -> None:
    assert v.pct(7.66) == "7.66%"
    assert v.pct(54.0) == "54%"
    assert v.signed_pct(12.0) == "+12%"
    assert v.signed_pct(-27.5) == "-27.5%"
    assert v.signed_pct(0.0) == "0%"
