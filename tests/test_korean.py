"""Korean particles chosen by the final consonant of the name before them."""

from __future__ import annotations

import pytest

from notifiers.korean import has_final_consonant, particle
from notifiers.telegram_texts import TextsError, t, validate


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("셀트리온", "은/는", "은"),
        ("네이버", "은/는", "는"),
        ("‘셀트리온’(셀트리온)", "은/는", "은"),  # closing marks are skipped
        ("삼성전자", "을/를", "를"),
        ("엔씨소프트", "이/가", "가"),
        ("LG전자", "이/가", "가"),
        ("카카오뱅크", "과/와", "와"),
        ("현대건설", "과/와", "과"),
        ("서울", "으로/로", "로"),  # a final ㄹ takes 로
        ("부산", "으로/로", "으로"),
        ("NAVER", "은/는", "는"),
        ("SK", "이/가", "가"),
        ("Samsung", "은/는", "은"),
        ("KT&G", "을/를", "를"),
        ("Kakao Bank", "과/와", "와"),  # 뱅크: a Latin k reads without a final
        ("035420", "은/는", "은"),  # 영
        ("003552", "은/는", "는"),  # 이
        ("003553", "이/가", "이"),  # 삼
        ("", "을/를", "을(를)"),
        ("★", "이/가", "이(가)"),
    ],
)
def test_particle(word: str, pair: str, expected: str) -> None:
    assert particle(word, pair) == expected


def test_final_consonant_unknown() -> None:
    assert has_final_consonant("…") is None
    assert has_final_consonant("가") is False and has_final_consonant("각") is True


def test_texts_choose_the_particle_of_the_name() -> None:
    assert t("ko", "subscribed_listed", name="셀트리온").startswith("셀트리온을 구독했습니다")
    assert t("ko", "subscribed_listed", name="삼성전자").startswith("삼성전자를 구독했습니다")
    line = t("ko", "not_watched", query="셀트리온", name="셀트리온")
    assert line.startswith("‘셀트리온’(셀트리온)은 ")
    assert t("en", "subscribed_listed", name="Celltrion").startswith("Subscribed to Celltrion")
    # An escaped name still decides by its own last letter.
    assert t("ko", "subscribed_listed", name="A&B<삼>").startswith("A&amp;B&lt;삼&gt;을 ")


def test_texts_file_refuses_an_unknown_particle() -> None:
    with pytest.raises(TextsError, match=r"unknown particle in \{name\|에게/께\}"):
        validate({"ko": {"x": "{name}{name|에게/께} 보냄"}, "en": {"x": "to {name}"}})
    assert validate({"ko": {"x": "{name}{name|을/를} 보냄"}, "en": {"x": "{name}"}})
