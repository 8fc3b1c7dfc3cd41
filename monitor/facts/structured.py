"""Facts from OpenDART's structured APIs: DS005 (major events) and DS004 (ownership).

Rows are dicts of strings as OpenDART sends them; the field → fact table of DS005 is
data (``ds005.toml``). Rows are joined to a filing by ``rcept_no`` only: DS005 keeps one
row per event under its newest version's ``rcept_no`` and DS004's ``rcept_dt`` is in
another format than list.json's (docs/facts.md, "Joining by rcept_no").
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from monitor.facts import values as v
from monitor.facts.model import FactBuilder, FactSet

DS005_FILE = Path(__file__).with_name("ds005.toml")
Row = Mapping[str, Any]


@cache
def ds005_spec() -> dict[str, dict[str, list[list[str]]]]:
    raw = tomllib.loads(DS005_FILE.read_text(encoding="utf-8"))
    return {name: dict(entry) for name, entry in raw.items()}


def ds005_endpoints() -> tuple[str, ...]:
    return tuple(ds005_spec())


def pick_row(rows: Sequence[Row], rcept_no: str) -> Row | None:
    """The row of *rcept_no* (DS005 and DS004 rows both carry it), or None."""
    for row in rows:
        if str(row.get("rcept_no", "")).strip() == rcept_no:
            return row
    return None


def _cell(row: Row, name: str) -> str | None:
    value = row.get(name)
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _sum(row: Row, names: Sequence[str]) -> int | None:
    parts = [v.parse_int(_cell(row, n)) for n in names]
    found = [p for p in parts if p is not None]
    return sum(found) if found else None


def ds005_facts(endpoint: str, family: str, row: Row) -> FactSet:
    """The facts of one DS005 row of *endpoint* (unknown keys ignored, missing ones
    tolerated: the guide's field lists are known to be incomplete)."""
    spec = ds005_spec().get(endpoint)
    if spec is None:
        return FactSet.none(family, f"no field table for DS005 {endpoint}")
    b = FactBuilder("ds005")
    for key, kind, label, *names in spec.get("sums", []):
        total = _sum(row, names)
        if kind == "money":
            b.money_value(key, label, total)
        elif total is not None:
            b.shares(key, label, str(total))
    for key, kind, name, label in spec.get("fields", []):
        raw = _cell(row, name)
        if kind == "money":
            b.money(key, label, raw)
        elif kind == "shares":
            b.shares(key, label, raw)
        elif kind == "percent":
            b.percent(key, label, raw)
        elif kind == "date":
            b.date(key, label, raw)
        elif kind == "number":
            b.number(key, label, raw)
        else:
            b.text(key, label, raw)
    if endpoint in ("piicDecsn", "fricDecsn"):
        new = v.parse_int(_cell(row, "nstk_ostk_cnt"))
        before = v.parse_int(_cell(row, "bfic_tisstk_ostk"))
        if new and before:
            b.percent_value("dilution_pct", "증자비율(보통주식)", round(new / before * 100, 2))
    return b.result(family, empty_reason=f"DS005 {endpoint} row had no usable values")


def majorstock_facts(family: str, row: Row) -> FactSet:
    """주식등의대량보유상황보고서 from DS004 ``majorstock.json``."""
    b = FactBuilder("ds004")
    b.text("holder", "대표보고자", _cell(row, "repror"))
    b.percent("stake_pct", "보유비율", _cell(row, "stkrt"))
    b.percent("stake_change_pct", "보유비율 증감", _cell(row, "stkrt_irds"))
    b.shares("shares", "보유주식등의 수", _cell(row, "stkqy"))
    b.shares("shares_change", "보유주식등의 증감", _cell(row, "stkqy_irds"))
    b.text("report_type", "보고구분", _cell(row, "report_tp"))
    b.text("purpose", "보고사유", _cell(row, "report_resn"))
    return b.result(family, empty_reason="DS004 majorstock row had no usable values")


def elestock_facts(family: str, row: Row) -> FactSet:
    """임원ㆍ주요주주특정증권등소유상황보고서 from DS004 ``elestock.json``."""
    b = FactBuilder("ds004")
    b.text("holder", "보고자", _cell(row, "repror"))
    b.text("position", "직위", _cell(row, "isu_exctv_ofcps"))
    b.text("major_shareholder", "주요주주", _cell(row, "isu_main_shrholdr"))
    b.shares("shares", "특정증권등 소유 수", _cell(row, "sp_stock_lmp_cnt"))
    b.shares("shares_change", "특정증권등 소유 증감 수", _cell(row, "sp_stock_lmp_irds_cnt"))
    b.percent("stake_pct", "특정증권등 소유 비율", _cell(row, "sp_stock_lmp_rate"))
    b.percent("stake_change_pct", "특정증권등 소유 증감 비율", _cell(row, "sp_stock_lmp_irds_rate"))
    return b.result(family, empty_reason="DS004 elestock row had no usable values")


def ds004_facts(endpoint: str, family: str, row: Row) -> FactSet:
    if endpoint == "majorstock":
        return majorstock_facts(family, row)
    return elestock_facts(family, row)
