"""Which of a company's chats get an alert, and how (pure).

Every subscriber of the filing's company is put through the same ordered checks; the
first that refuses decides, and its name is recorded with the outbox row (payload
``reason``) or in the list of skipped chats, so "why did I (not) get this?" has an
answer. Order: mute, category (``/types``), AI filter, minimum relevance (``/filter N``),
excludes (``/exclude``), keywords (``/keyword``). A delivered alert is sent without
sound when its relevance is under the chat's ``/silent`` threshold.

Keyword matching is case-insensitive (NFKC + casefold) and Korean-aware: a word written
in Latin letters or digits must stand on its own (``AI`` hits ``AI 반도체`` and
``생성형AI`` but not ``DETAIL``), because a boundary exists there; a Hangul word may sit
inside a longer Hangul run, because Korean compounds and particles are written without
spaces (``배당`` hits ``현금배당결정`` and ``인공지능을``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.subscribers import normalize_word

#: Reasons, in the order they are checked. ``subscribed`` means nothing refused.
MUTED = "muted"
TYPE_HIDDEN = "type_hidden"
NOT_AI = "not_ai"
BELOW_MIN = "below_min_relevance"
EXCLUDED = "excluded"
NO_KEYWORD = "no_keyword"
SUBSCRIBED = "subscribed"
KEYWORD = "keyword"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"


def _is_latin_or_digit(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _pattern(word: str) -> re.Pattern[str]:
    """A word's regex: Latin/digit edges need a non-Latin/digit neighbour; Hangul edges
    need nothing (see the module docstring)."""
    body = re.escape(word).replace(r"\ ", r"\s+")
    left = r"(?<![a-z0-9])" if _is_latin_or_digit(word[0]) else ""
    right = r"(?![a-z0-9])" if _is_latin_or_digit(word[-1]) else ""
    return re.compile(left + body + right)


def find_word(words: Iterable[str], texts: Sequence[str]) -> str | None:
    """The first of *words* found in any of *texts*, or None."""
    normalized = [normalize_word(t) for t in texts if t]
    for word in words:
        w = normalize_word(word)
        if not w:
            continue
        pattern = _pattern(w)
        if any(pattern.search(text) for text in normalized):
            return word
    return None


@dataclass(frozen=True, slots=True)
class FilingView:
    """What routing looks at: the company, its category, relevance and the searchable
    text (title, facts, body)."""

    corp_code: str
    category: str
    relevance: int
    ai_related: bool
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChatFilters:
    """One chat's choices (the subscriber row's filter columns)."""

    filter: str = "all"  # all | ai
    min_relevance: int = 0
    keywords: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    hidden_types: frozenset[str] = frozenset()
    silent_below: int | None = None
    mutes: Mapping[str, str] | None = None  # corp_code -> ISO end ("" = until unmuted)


@dataclass(frozen=True, slots=True)
class Route:
    deliver: bool
    reason: str
    silent: bool = False
    word: str | None = None  # the keyword or exclude that decided


def muted(mutes: Mapping[str, str] | None, corp_code: str, now: datetime) -> bool:
    """Whether *corp_code* is muted at *now* (an unreadable end counts as muted: a
    chat asked for silence, and silence is the safe reading)."""
    if not mutes or corp_code not in mutes:
        return False
    end = mutes[corp_code]
    if not end:
        return True
    try:
        return now < datetime.fromisoformat(end)
    except ValueError:
        return True


def route(chat: ChatFilters, filing: FilingView, now: datetime) -> Route:
    """Whether *chat* gets *filing*, and why (the first refusal wins)."""
    if muted(chat.mutes, filing.corp_code, now):
        return Route(False, MUTED)
    if filing.category in chat.hidden_types:
        return Route(False, TYPE_HIDDEN)
    if chat.filter == "ai" and not filing.ai_related:
        return Route(False, NOT_AI)
    if filing.relevance < chat.min_relevance:
        return Route(False, BELOW_MIN)
    excluded = find_word(chat.excludes, filing.texts)
    if excluded is not None:
        return Route(False, EXCLUDED, word=excluded)
    silent = chat.silent_below is not None and filing.relevance < chat.silent_below
    if chat.keywords:
        hit = find_word(chat.keywords, filing.texts)
        if hit is None:
            return Route(False, NO_KEYWORD)
        return Route(True, KEYWORD, silent=silent, word=hit)
    return Route(True, SUBSCRIBED, silent=silent)
