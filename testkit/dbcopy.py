"""A database with rows in every table, for the ``db copy`` tests and benchmark.

Rows are generated from the schema itself (every column of every table, by type), so
a table or column added later is filled too. Values include what tends to break on the
way between SQLite and PostgreSQL: Korean text, quotes, NULLs, microsecond timestamps,
big negative chat ids, nested JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    TypeDecorator,
    create_engine,
    pool,
)

from storage.copy import tables
from storage.db import sync_url
from storage.migrate import upgrade_sync

_BASE = datetime(2026, 3, 10, 9, 30, 15, 123456, tzinfo=UTC)


def value_for(column: Column[Any], i: int, parents: int) -> Any:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # SQLModel's AutoString
        kind = kind.impl_instance
    if column.foreign_keys:
        return 1 + i % parents
    if column.nullable and not column.primary_key and i % 7 == 3:
        return None
    if isinstance(kind, Boolean):
        return i % 2 == 0
    if isinstance(kind, BigInteger):
        return -1001000000000 - i
    if isinstance(kind, Integer):
        return i + 1
    if isinstance(kind, DateTime):
        return _BASE + timedelta(seconds=i * 37, microseconds=i % 997)
    if isinstance(kind, Date):
        return date(2020, 1, 1) + timedelta(days=i)
    if isinstance(kind, JSON):
        return {"n": i, "이름": "네이버 'AI'", "list": [i, None, True, 1.5]}
    if isinstance(kind, String):
        length = kind.length
        if column.primary_key or column.name in ("ref", "chat_id"):
            text = f"{i:0{length}d}" if length else f"key-{i}"
        else:
            text = f'값 "{i}" \\ it\'s'
        return text[:length] if length else text
    raise TypeError(f"no generator for {column.table.name}.{column.name} ({kind})")


def rows_for(table: Table, count: int, parents: int) -> list[dict[str, Any]]:
    return [{c.name: value_for(c, i, parents) for c in table.columns} for i in range(count)]


BIG_TABLES = ("filings", "matches", "deliveries")


def fill(
    url: str,
    *,
    big: int = 1200,
    small: int = 40,
    batch: int = 10_000,
    big_tables: tuple[str, ...] = BIG_TABLES,
) -> dict[str, int]:
    """Migrate *url* and fill it: *big* rows in each of *big_tables*, *small* rows in
    every other table. Returns the row count by table."""
    upgrade_sync(url)
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    counts = {}
    try:
        for table in tables():
            n = big if table.name in big_tables else small
            rows = rows_for(table, n, small)
            with engine.begin() as conn:
                for start in range(0, n, batch):
                    conn.execute(table.insert(), rows[start : start + batch])
            counts[table.name] = n
    finally:
        engine.dispose()
    return counts
