"""Korean particles chosen by the word they follow (pure).

Korean attaches particles to the noun before them, and the form depends on whether
that noun's last syllable ends in a consonant (받침): ``셀트리온은`` but ``네이버는``.
A name interpolated into a text therefore picks its particle at run time. Names ending
in Latin letters or digits are judged by how Koreans read them: digits by their Korean
names (3 삼, 6 육…), and words by their last letters (``-m``/``-n``/``-ng``/``-l`` end
in a consonant: ``Samsung은``; ``NAVER는``, ``SK는``, ``LG는``).
"""

from __future__ import annotations

#: particle pair -> (after a final consonant, after a vowel)
PAIRS: dict[str, tuple[str, str]] = {
    "은/는": ("은", "는"),
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "과/와": ("과", "와"),
    "으로/로": ("으로", "로"),
    "이에요/예요": ("이에요", "예요"),
}
_RIEUL = 8  # index of ㄹ among the final consonants
_TRAILING = " \t\"'’”)]}»>"
_DIGIT_FINAL = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False}
_DIGIT_FINAL |= {"6": True, "7": True, "8": True, "9": False}


def has_final_consonant(word: str) -> bool | None:
    """Whether *word* is read with a final consonant; None when it cannot be told
    (empty, or ending in something that is neither Hangul, a Latin letter nor a digit)."""
    stripped = word.rstrip(_TRAILING)
    if not stripped:
        return None
    last = stripped[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    if last.isdigit() and last in _DIGIT_FINAL:
        return _DIGIT_FINAL[last]
    if last.isascii() and last.isalpha():
        tail = stripped.lower()
        return tail.endswith(("m", "n", "ng", "l")) and not tail.endswith("ll")
    return None


def particle(word: str, pair: str) -> str:
    """The form of *pair* (``"은/는"``…) that follows *word*; both forms written as
    ``은(는)`` when the word's ending cannot be told."""
    after_consonant, after_vowel = PAIRS[pair]
    final = has_final_consonant(word)
    if final is None:
        return f"{after_consonant}({after_vowel})"
    last = word.rstrip(_TRAILING)[-1]
    if pair == "으로/로" and "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 == _RIEUL:
        return after_vowel  # a final ㄹ takes 로: 서울로
    return after_consonant if final else after_vowel
