"""Geometry of the 30-day trend chart: stacked bars per day, weekends and holidays
shaded, milestones as numbered markers. The template (``chart.svg.j2``) only draws
what this computes, so the SVG is plain, script-free and reproducible (every
coordinate is printed with one decimal)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from monitor.digest.builder import Trend
from monitor.digest.labels import ChartStyle

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 34, 34


def _f(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True, slots=True)
class Rect:
    x: str
    y: str
    w: str
    h: str
    fill: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Tick:
    x: str
    y: str
    text: str


@dataclass(frozen=True, slots=True)
class MarkerLine:
    x: str
    y1: str
    y2: str
    label_y: str
    colour: str
    label: str
    title: str
    anchor: str  # text-anchor: labels near an edge grow inwards


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    plot_left: str
    plot_right: str
    plot_top: str
    plot_bottom: str
    shades: tuple[Rect, ...]
    bars: tuple[Rect, ...]
    grid: tuple[Tick, ...]
    xlabels: tuple[Tick, ...]
    markers: tuple[MarkerLine, ...]


def _step(top: int) -> int:
    return max(1, math.ceil(top / 4))


def build_chart(trend: Trend, style: ChartStyle) -> Chart:
    n = len(trend.days)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h
    slot = plot_w / n
    bar_w = slot * 0.72
    step = _step(trend.max_per_day)
    top_value = step * math.ceil(trend.max_per_day / step)
    unit = plot_h / top_value

    shades = tuple(
        Rect(_f(LEFT + i * slot), _f(TOP), _f(slot), _f(plot_h), style.weekend)
        for i, business in enumerate(trend.business)
        if not business
    )
    bars: list[Rect] = []
    for i, day in enumerate(trend.days):
        y = float(bottom)
        for series in trend.series:
            value = series.counts[i]
            if not value:
                continue
            h = value * unit
            y -= h
            bars.append(
                Rect(
                    _f(LEFT + i * slot + (slot - bar_w) / 2),
                    _f(y),
                    _f(bar_w),
                    _f(h),
                    series.colour,
                    f"{day.isoformat()} {series.company}: {value}",
                )
            )
    grid = tuple(
        Tick(_f(LEFT - 4), _f(bottom - v * unit), str(v)) for v in range(0, top_value + 1, step)
    )
    xlabels = tuple(
        Tick(_f(LEFT + i * slot + slot / 2), _f(bottom + 14), day.strftime("%m-%d"))
        for i, day in enumerate(trend.days)
        if (n - 1 - i) % 7 == 0
    )
    index = {d: i for i, d in enumerate(trend.days)}
    grouped: dict[int, list[int]] = {}
    for number, marker in enumerate(trend.markers, start=1):
        grouped.setdefault(index[marker.day], []).append(number)
    markers = []
    for i, numbers in sorted(grouped.items()):
        chosen = [trend.markers[k - 1] for k in numbers]
        key = any(m.key for m in chosen)
        anchor = "end" if i >= n - 3 else "start" if i < 2 else "middle"
        markers.append(
            MarkerLine(
                x=_f(LEFT + i * slot + slot / 2),
                y1=_f(TOP - 10),
                y2=_f(bottom),
                label_y=_f(TOP - 14),
                colour=style.key_marker if key else style.marker,
                label="▲" + ",".join(str(k) for k in numbers),
                title="; ".join(f"{m.date_text} {m.title}" for m in chosen),
                anchor=anchor,
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=_f(LEFT),
        plot_right=_f(WIDTH - RIGHT),
        plot_top=_f(TOP),
        plot_bottom=_f(bottom),
        shades=shades,
        bars=tuple(bars),
        grid=grid,
        xlabels=xlabels,
        markers=tuple(markers),
    )


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(counts: tuple[int, ...], top: int) -> str:
    """One character per day: ``·`` for none, a block scaled to *top* otherwise."""
    out = []
    for value in counts:
        if value <= 0:
            out.append("·")
        else:
            level = min(len(SPARK) - 1, math.ceil(value / max(top, 1) * len(SPARK)) - 1)
            out.append(SPARK[max(level, 0)])
    return "".join(out)


def marker_row(trend: Trend) -> str:
    """``^`` under each day that has a milestone, aligned with :func:`sparkline`."""
    days = {m.day for m in trend.markers}
    return "".join("^" if d in days else " " for d in trend.days).rstrip()
