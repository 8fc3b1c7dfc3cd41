"""Per-chat routing as a pure function: keyword matching and the order of the checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.delivery import routing
from monitor.delivery.routing import ChatFilters, FilingView, find_word, route

NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("word", "text", "hit"),
    [
        ("AI", "주요사항보고서(AI 파운데이션 모델)", True),
        ("ai", "생성형AI 투자", True),  # Hangul next to Latin is a boundary
        ("AI", "DETAIL 공시", False),  # inside a Latin word: no
        ("AI", "Said the chair", False),
        ("IR", "기업설명회(IR)개최", True),
        ("IR", "FIRST 보고서", False),
        ("GPU", "GPU를 도입", True),  # a particle after a Latin word
        ("ＡＩ", "AI 반도체", True),  # full-width input
        ("ai", "ＡＩ 반도체", True),  # full-width text
        ("인공지능", "인공지능을 활용한", True),  # a particle after a Hangul word
        ("배당", "현금ㆍ현물배당결정", True),  # a Hangul compound
        ("배당", "자기주식취득결정", False),
        ("2025", "20251231 기준", False),  # digits inside a longer number: no
        ("2025", "2025년 사업보고서", True),
        ("기업 설명회", "기업  설명회 개최", True),  # inner spaces collapse
        ("hyperclova", "HyperCLOVA X 관련 풍문", True),
    ],
)
def test_find_word(word: str, text: str, hit: bool) -> None:
    assert (find_word([word], [text]) == word) is hit


def test_find_word_searches_every_text_and_ignores_blanks() -> None:
    assert find_word(["", "gpu"], ["제목", "", "본문에 GPU 구매"]) == "gpu"
    assert find_word([], ["AI"]) is None
    assert find_word(["AI"], []) is None


def view(**kw: object) -> FilingView:
    base: dict[str, object] = {
        "corp_code": "00266961",
        "category": "investment",
        "relevance": 50,
        "ai_related": True,
        "texts": ("타법인주식및출자증권취득결정", "GPU 클러스터 투자"),
    }
    base.update(kw)
    return FilingView(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("chat", "filing", "deliver", "reason", "silent"),
    [
        (ChatFilters(), view(), True, routing.SUBSCRIBED, False),
        (ChatFilters(mutes={"00266961": ""}), view(), False, routing.MUTED, False),
        (
            ChatFilters(mutes={"00266961": (NOW - timedelta(hours=1)).isoformat()}),
            view(),
            True,
            routing.SUBSCRIBED,
            False,
        ),
        (
            ChatFilters(mutes={"00266961": (NOW + timedelta(days=7)).isoformat()}),
            view(),
            False,
            routing.MUTED,
            False,
        ),
        (ChatFilters(mutes={"00266961": "not a date"}), view(), False, routing.MUTED, False),
        (ChatFilters(mutes={"00120021": ""}), view(), True, routing.SUBSCRIBED, False),
        (ChatFilters(hidden_types=frozenset({"investment"})), view(), False, "type_hidden", False),
        (ChatFilters(filter="ai"), view(ai_related=False), False, routing.NOT_AI, False),
        (ChatFilters(min_relevance=51), view(), False, routing.BELOW_MIN, False),
        (ChatFilters(min_relevance=50), view(), True, routing.SUBSCRIBED, False),
        (ChatFilters(excludes=("gpu",)), view(), False, routing.EXCLUDED, False),
        (ChatFilters(keywords=("배당",)), view(), False, routing.NO_KEYWORD, False),
        (ChatFilters(keywords=("배당", "GPU")), view(), True, routing.KEYWORD, False),
        (ChatFilters(silent_below=60), view(), True, routing.SUBSCRIBED, True),
        (ChatFilters(silent_below=50), view(), True, routing.SUBSCRIBED, False),
        # an exclude beats a keyword; a mute beats everything
        (ChatFilters(keywords=("gpu",), excludes=("클러스터",)), view(), False, "excluded", False),
        (
            ChatFilters(mutes={"00266961": ""}, keywords=("gpu",)),
            view(),
            False,
            routing.MUTED,
            False,
        ),
    ],
)
def test_route(
    chat: ChatFilters, filing: FilingView, deliver: bool, reason: str, silent: bool
) -> None:
    decided = route(chat, filing, NOW)
    assert (decided.deliver, decided.reason, decided.silent) == (deliver, reason, silent)


def test_route_names_the_deciding_word() -> None:
    assert route(ChatFilters(keywords=("배당", "gpu")), view(), NOW).word == "gpu"
    assert route(ChatFilters(excludes=("클러스터",)), view(), NOW).word == "클러스터"
