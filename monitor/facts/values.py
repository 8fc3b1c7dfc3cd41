"""Normalising and displaying the values found in filings: pure functions.

OpenDART and the filing bodies write numbers as text: thousands commas (``"376,265"``),
``"-"`` or ``""`` for "not applicable", ``△`` or a leading minus for negatives, dates as
``"2019년 12월 10일"``, ``YYYYMMDD`` or ``YYYY-MM-DD``, and units in labels
(``계약금액(원)``, ``단위 : 백만원``). Everything here turns such text into plain values
(integer won, float percentages, ISO dates) or ``None`` — never an exception — and
back into the display forms Korean readers expect (``1,234억원``, ``2.8조원``, ``7.66%``).
"""

from __future__ import annotations

import math
import re
from datetime import date

_BLANKS = frozenset({"", "-", "–", "—", "해당사항없음", "해당없음", "미정", "n/a", "N/A", "없음"})
_NEG_MARKS = ("△", "▲", "-", "−", "(-)")
_NUMBER = re.compile(r"^[+]?\d+(?:\.\d+)?$")
_KOREAN_DATE = re.compile(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일")
_SEP_DATE = re.compile(r"(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})")
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")

# Units as they appear in labels and table headers, largest first so "백만원" wins
# over "만원" and "원".
UNIT_MULTIPLIERS: tuple[tuple[str, int], ...] = (
    ("조원", 10**12),
    ("십억원", 10**9),
    ("억원", 10**8),
    ("백만원", 10**6),
    ("천원", 10**3),
    ("만원", 10**4),
    ("원", 1),
)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(str(text).split())
    cleaned = cleaned.replace(",", "").replace(" ", "")
    if cleaned in _BLANKS:
        return None
    return cleaned


def _split_sign(cleaned: str) -> tuple[bool, str]:
    if cleaned.startswith("(") and cleaned.endswith(")") and len(cleaned) > 2:
        return True, cleaned[1:-1]
    for mark in _NEG_MARKS:
        if cleaned.startswith(mark) and len(cleaned) > len(mark):
            return True, cleaned[len(mark) :]
    return False, cleaned


def parse_decimal(text: str | None) -> float | None:
    """``"4.60"`` → 4.6, ``"△12.5"`` → -12.5, ``"1,234"`` → 1234.0; ``"-"``/junk → None."""
    cleaned = _clean(text)
    if cleaned is None:
        return None
    cleaned = cleaned.rstrip("%").removesuffix("(%)")
    negative, digits = _split_sign(cleaned)
    if not _NUMBER.match(digits):
        return None
    value = float(digits)
    if not math.isfinite(value):
        return None
    return -value if negative else value


def parse_int(text: str | None, multiplier: int = 1) -> int | None:
    """An integer amount or count, scaled by *multiplier* (a unit: 10**6 for 백만원)."""
    value = parse_decimal(text)
    if value is None:
        return None
    return round(value * multiplier)


def parse_date(text: str | None) -> str | None:
    """The first date in *text* as ``YYYY-MM-DD`` (Korean, separated or compact form)."""
    if text is None:
        return None
    for pattern in (_KOREAN_DATE, _SEP_DATE, _COMPACT_DATE):
        m = pattern.search(str(text))
        if m is None:
            continue
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            continue
    return None


def parse_date_range(text: str | None) -> tuple[str | None, str | None]:
    """``"2019년 05월 29일 ~ 2019년 05월 31일"`` → the two ISO dates (or Nones)."""
    if text is None:
        return None, None
    found: list[str] = []
    rest = str(text)
    for piece in re.split(r"[~∼〜]|부터|까지", rest):
        iso = parse_date(piece)
        if iso is not None:
            found.append(iso)
    if not found:
        return None, None
    return found[0], found[1] if len(found) > 1 else None


def unit_multiplier(label: str, default: int = 1) -> int:
    """The won multiplier a label or header names (``(단위 : 백만원)`` → 10**6)."""
    compact = label.replace(" ", "")
    for name, factor in UNIT_MULTIPLIERS:
        if name in compact:
            return factor
    return default


def text_value(text: str | None, limit: int = 200) -> str | None:
    """A text cell: whitespace collapsed, blanks (``-``) as None, length-capped."""
    if text is None:
        return None
    value = " ".join(str(text).split())
    if value in _BLANKS:
        return None
    return value[:limit]


# ----------------------------------------------------------------------------- display


def trim_number(number: float, places: int) -> str:
    text = f"{number:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def krw_short(amount: int) -> str:
    """Korean short money form without the currency: ``2.8조``, ``4,123억``, ``350만``."""
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value >= 10**12:
        places = 1 if value < 100 * 10**12 else 0
        return f"{sign}{trim_number(value / 10**12, places)}조"
    if value >= 10**8:
        places = 1 if value < 10 * 10**8 else 0
        return f"{sign}{trim_number(value / 10**8, places)}억"
    if value >= 10**4:
        return f"{sign}{trim_number(value / 10**4, 0)}만"
    return f"{sign}{value:,}"


def krw(amount: int) -> str:
    """Korean display of an amount in won: ``1,234억원``, ``2.8조원``, ``5,000원``."""
    return f"{krw_short(amount)}원"


def krw_en(amount: int) -> str:
    """English display: ``KRW 123.4bn``, ``KRW 2.8tn``, ``KRW 35m``."""
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value >= 10**12:
        return f"{sign}KRW {trim_number(value / 10**12, 1)}tn"
    if value >= 10**9:
        return f"{sign}KRW {trim_number(value / 10**9, 1)}bn"
    if value >= 10**6:
        return f"{sign}KRW {trim_number(value / 10**6, 1)}m"
    return f"{sign}KRW {value:,}"


def pct(value: float) -> str:
    """``7.66%``, ``54%``, ``-27.5%``."""
    return f"{trim_number(value, 2)}%"


def signed_pct(value: float) -> str:
    """``+12%``, ``-27.5%`` (growth rates)."""
    return ("+" if value > 0 else "") + pct(value)


def count(value: int, unit: str = "주") -> str:
    return f"{value:,}{unit}"
