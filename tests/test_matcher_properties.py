"""Property tests: whatever the title, rm or body, the matcher answers with a score in
0-100 whose reasons add up to it exactly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.kai.matcher import FilingInput, match_filing
from monitor.kai.timeline import load_timeline

TL = load_timeline()

# Titles mixing real vocabulary (prefixes, categories, AI terms) with arbitrary text.
_PIECES = [
    "[기재정정]", "[첨부추가]", "[발행조건확정]", "[", "]", "주요사항보고서", "(유상증자결정)",
    "타법인주식및출자증권취득결정", "자율공시", "철회", "AI", "MAIN", "K-EXAONE", "A.X K1",
    "하이퍼클로바X", "VAETKI", "GPU", "인공지능", "파운데이션 모델", "ㆍ", " ", "\n", "\\", "(",
]  # fmt: skip
titles = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=20)), max_size=12).map(
    "".join
)
corps = st.sampled_from(
    ["00266961", "00159023", "00181712", "00120021", "00261443", "99999999", ""]
)
stocks = st.one_of(st.none(), st.sampled_from(["259960", "300080", "035420", "", "abc"]))
days = st.one_of(
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(["", "2026", "20261340", "abcdefgh"]),
)
rms = st.text(alphabet="유코채넥공연정철 x", max_size=4)
bodies = st.one_of(
    st.none(),
    st.text(max_size=2000),
    st.lists(st.sampled_from([*_PIECES, "데이터센터", "LLM"]), max_size=400).map(" ".join),
)
statuses = st.sampled_from(["not_fetched", "timeout", "too_large", "missing", "error", "ok", "??"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles, corps, stocks, days, rms, bodies, statuses)
def test_never_raises_and_reasons_add_up(
    title: str, corp: str, stock: str | None, day: str, rm: str, body: str | None, status: str
) -> None:
    f = FilingInput("20260101000001", corp, "x", title, day, stock, None, rm)
    result = match_filing(f, TL, body, status)
    assert 0 <= result.relevance <= 100
    assert sum(r.points for r in result.reasons) == result.relevance
    assert all(r.ko and r.en for r in result.reasons)
    assert result.body_used is (body is not None)
    if result.ai_related:
        assert result.title_terms or result.body_terms
