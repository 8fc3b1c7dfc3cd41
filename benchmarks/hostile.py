"""Crafted OpenDART content: worst-case document parse time (linear, bounded) and the
event loop's longest stall while such a body is parsed, measured by a heartbeat task.
Run: ``.venv/bin/python -m benchmarks.report --only hostile --merge``.

``naive`` is the regex text extraction dartwatch used before (a typical bot's), on a
body small enough for it to finish.
"""

from __future__ import annotations

import asyncio
import functools
import html
import io
import re
import time
import zipfile
from typing import Any

from monitor.core.offloop import BoundedRunner
from monitor.kai.matcher import categorise, rules_for
from monitor.kai.timeline import load_timeline
from monitor.opendart.parsing import parse_document

RCEPT = "20260115000321"
PARSE_TARGET = 2.0  # seconds for a 40 MB crafted body
STALL_TARGET = 0.050  # seconds
MB = 1_000_000

# Shapes that hurt parsers: unclosed markup, millions of elements, unknown nested tags.
SHAPES: dict[str, bytes] = {
    "unclosed <": b"<",
    "unclosed <script": b"<script",
    "unclosed attribute": b"<p a='",
    "unclosed comment": b"<!--",
    "cells": b"<td>a",
    "unknown nested tags": b"<SECTION-1>x",
    "entities": b"&amp;",
}


def _zip(markup: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{RCEPT}.xml", markup)
    return buffer.getvalue()


def _body(shape: bytes, size: int) -> bytes:
    return _zip(shape * (size // len(shape)))


def _parse_seconds(body: bytes, size: int) -> float:
    # CPU time of this process: the machine is shared, and wall time would measure
    # the neighbours.
    started = time.process_time()
    parse_document(body, RCEPT, max_bytes=size + MB)
    return time.process_time() - started


def _old_regex_text(markup: str) -> str:
    markup = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", markup, flags=re.I | re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", markup)).split())


async def _stall_during(runner: BoundedRunner, body: bytes, size: int) -> tuple[float, float]:
    """(longest heartbeat gap beyond its 5 ms period, parse seconds) for one off-loop parse."""
    tick = 0.005
    longest = 0.0

    async def heartbeat(stop: asyncio.Event) -> None:
        nonlocal longest
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(tick)
            now = time.perf_counter()
            longest = max(longest, now - last - tick)
            last = now

    stop = asyncio.Event()
    beat = asyncio.create_task(heartbeat(stop))
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await runner.run(
        functools.partial(parse_document, max_bytes=size + MB), body, RCEPT, timeout=60
    )
    elapsed = time.perf_counter() - started
    stop.set()
    await beat
    return longest, elapsed


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    size = 40 * MB
    worst_name, worst = "", 0.0
    for name, shape in SHAPES.items():
        seconds = _parse_seconds(_body(shape, size), size)
        if seconds > worst:
            worst_name, worst = name, seconds
    for scale in (10, 20):
        small = _parse_seconds(_body(SHAPES[worst_name], scale * MB), scale * MB)
        rows.append(
            {
                "name": f"crafted body parse, {scale} MB ({worst_name})",
                "value": small,
                "unit": "s CPU",
                "target": "linear",
                "ok": None,
                "naive": None,
            }
        )
    old_input = "<" * 30_000
    started = time.process_time()
    _old_regex_text(old_input)
    old = time.process_time() - started
    rows.append(
        {
            "name": f"crafted body parse, 40 MB worst ({worst_name})",
            "value": worst,
            "unit": "s CPU",
            "target": f"< {PARSE_TARGET:g} s",
            "ok": worst < PARSE_TARGET,
            "naive": None,
        }
    )
    rows.append(
        {
            "name": "crafted body parse, 30 KB of '<' (naive: old regexes)",
            "value": _parse_seconds(_zip(old_input.encode()), MB),
            "unit": "s CPU",
            "target": "",
            "ok": None,
            "naive": old,
        }
    )
    runner = BoundedRunner(preload=("monitor.opendart.parsing",))
    try:
        parse = functools.partial(parse_document, max_bytes=MB)
        runner.call(parse, _zip(b"<p>x</p>"), RCEPT, timeout=60)  # the worker is started
        stall, _ = asyncio.run(_stall_during(runner, _body(SHAPES[worst_name], size), size))
    finally:
        runner.close()
    rows.append(
        {
            "name": "event-loop longest stall during a 40 MB crafted parse",
            "value": stall * 1000,
            "unit": "ms",
            "target": f"< {STALL_TARGET * 1000:g} ms",
            "ok": stall < STALL_TARGET,
            "naive": None,
        }
    )
    title = "[기재정정]" * 160_000 + "사업보고서"
    rules = rules_for(load_timeline())
    started = time.process_time()
    categorise(title, "", rules)
    rows.append(
        {
            "name": "matcher, 1 MB title of [기재정정]",
            "value": time.process_time() - started,
            "unit": "s CPU",
            "target": "linear",
            "ok": None,
            "naive": None,
        }
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
