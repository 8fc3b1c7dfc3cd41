"""Suggested milestones: filings that name the K-AI project next to an evaluation or
selection word (``data/suggestions.toml``). Pure: text in, findings out. The daemon
flags them to admins and ``dartwatch timeline suggestions`` lists them; nothing is
recorded without an admin.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.kai.timeline import Timeline
from monitor.kai.timeline.queries import status_at
from notifiers.base import viewer_url

if TYPE_CHECKING:
    from monitor.kai.matcher import FilingLike

_FILE = Path(__file__).resolve().parents[1] / "data" / "suggestions.toml"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Why a filing may be a milestone: the project term, the evaluation word and the
    text around them (one line, at most 160 characters)."""

    project: str
    word: str
    excerpt: str
    in_title: bool


def _pattern(words: list[str]) -> re.Pattern[str]:
    parts = [r"\s*".join(re.escape(ch) for ch in w.replace(" ", "")) for w in words]
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


@lru_cache(maxsize=1)
def _rules() -> tuple[re.Pattern[str], re.Pattern[str], int]:
    with _FILE.open("rb") as fh:
        data = tomllib.load(fh)
    return _pattern(data["project"]), _pattern(data["evaluation"]), int(data["window"])


def _find(text: str, in_title: bool) -> Suggestion | None:
    project, evaluation, window = _rules()
    for m in project.finditer(text):
        start, end = max(0, m.start() - window), min(len(text), m.end() + window)
        near = evaluation.search(text, start, end)
        if near is not None:
            lo, hi = min(m.start(), near.start()), max(m.end(), near.end())
            excerpt = " ".join(text[max(0, lo - 40) : hi + 40].split())[:160]
            return Suggestion(m.group(0), near.group(0), excerpt, in_title)
    return None


def suggest(title: str, body: str | None = None, *, scan_chars: int = 400_000) -> Suggestion | None:
    """The first place the title, else the body, names the project with an evaluation
    word; None when neither does."""
    return _find(title or "", True) or (_find(body[:scan_chars], False) if body else None)


def _next_open(timeline: Timeline, day: date) -> str:
    """The key milestone an admin most likely means: the earliest overdue one, else the
    next planned one."""
    keyed = [m for m in timeline.milestones if m.key]
    for wanted in ("overdue", "planned"):
        for m in keyed:
            if status_at(m, day) == wanted:
                return m.id
    return "MILESTONE"


def suggestion_text(filing: FilingLike, found: Suggestion, timeline: Timeline, day: date) -> str:
    """The admin message: what was found and a /record line to complete and send."""
    url = viewer_url(filing.rcept_no)
    d = filing.rcept_dt
    where = "title" if found.in_title else "body"
    return (
        f"🔎 possible K-AI milestone — {filing.corp_name} {d[:4]}-{d[4:6]}-{d[6:]} "
        f"{filing.report_nm.strip()}\n"
        f"{where}: “{found.excerpt}”\n{url}\n"
        f"To record it (nothing is recorded otherwise), complete and send:\n"
        f"/record {_next_open(timeline, day)} | <outcome> | <team=advanced|eliminated …> | {url}"
    )


def list_lines(rows: Iterable[tuple[FilingLike, Suggestion]]) -> list[str]:
    """``dartwatch timeline suggestions``: one line per filing, newest first."""
    out = []
    for filing, found in rows:
        d = filing.rcept_dt
        out.append(
            f"{d[:4]}-{d[4:6]}-{d[6:]} {filing.rcept_no} {filing.corp_name}: "
            f"{filing.report_nm.strip()} — “{found.excerpt}” ({viewer_url(filing.rcept_no)})"
        )
    return out
