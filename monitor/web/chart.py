"""The company page's filings-per-month chart as plain geometry (pure), drawn as
inline SVG by the template, like the digest's trend chart: no script, no image file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 760
HEIGHT = 200
LEFT = 34
BOTTOM = 24
TOP = 16


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    y: float
    height: float
    ai_y: float
    ai_height: float
    label: str  # YYYY-MM
    filings: int
    ai_related: int


@dataclass(frozen=True, slots=True)
class Line:
    x: float
    title: str
    date: str


@dataclass(frozen=True, slots=True)
class MonthChart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    lines: tuple[Line, ...]
    top: int  # the value of the highest gridline
    ticks: tuple[tuple[float, str], ...]  # (x, YYYY-MM) under some bars
    baseline: float


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[4:6])
    out = []
    while f"{y:04d}{m:02d}" <= last:
        out.append(f"{y:04d}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_chart(
    months: Sequence[dict[str, Any]], milestones: Sequence[dict[str, Any]]
) -> MonthChart | None:
    """Bars for every month from the first filing to the last (empty months included),
    and a line at every milestone that falls inside that span. None without filings."""
    if not months:
        return None
    counts = {str(m["month"]): (int(m["filings"]), int(m["ai_related"])) for m in months}
    span = _months(min(counts), max(counts))
    top = max(max(n for n, _ in counts.values()), 1)
    plot_w = WIDTH - LEFT - 8
    plot_h = HEIGHT - BOTTOM - TOP
    step = plot_w / len(span)
    base = HEIGHT - BOTTOM
    bars = []
    for i, month in enumerate(span):
        n, ai = counts.get(month, (0, 0))
        h = plot_h * n / top
        ai_h = plot_h * ai / top
        bars.append(
            Bar(
                x=round(LEFT + i * step + step * 0.1, 1),
                width=round(max(step * 0.8, 1.0), 1),
                y=round(base - h, 1),
                height=round(h, 1),
                ai_y=round(base - ai_h, 1),
                ai_height=round(ai_h, 1),
                label=f"{month[:4]}-{month[4:]}",
                filings=n,
                ai_related=ai,
            )
        )
    lines = []
    for m in milestones:
        first_day = str(m["first_day"])
        key = first_day[:4] + first_day[5:7]
        if key not in span:
            continue
        day_fraction = (int(first_day[8:10]) - 1) / 31
        x = LEFT + (span.index(key) + day_fraction) * step
        lines.append(Line(x=round(x, 1), title=str(m["title"]), date=str(m["date"])))
    every = max(1, len(span) // 8)
    ticks = tuple(
        (round(LEFT + i * step + step / 2, 1), f"{month[:4]}-{month[4:]}")
        for i, month in enumerate(span)
        if i % every == 0
    )
    return MonthChart(WIDTH, HEIGHT, tuple(bars), tuple(lines), top, ticks, base)
