"""Copy a whole dartwatch database to another (SQLite ⇄ PostgreSQL): ``dartwatch db copy``.

Both databases are first brought to the same schema revision by the migrations, so
every table exists on both sides with the same columns; rows then go table by table,
parents before children, in batches (each batch its own transaction).

Restartable: the target carries a marker (``meta`` key :data:`MARKER_KEY`) from the
first row written until the last table is verified. The marker names the source and
the tables already complete; running the same copy again skips those, empties the
table that was cut short and carries on. A daemon refuses to start on a database
with the marker (see :func:`copy_marker`), so nothing ever runs on half a copy.

Verification: per table, the row count and an order-independent checksum of every
row's values in a canonical form (timestamps as naive UTC ISO text, JSON with sorted
keys, booleans as 0/1), computed on each side from what the driver returns — so a
value that changed on the way (a truncated timestamp, a re-encoded JSON, a lost
row) shows as a mismatch naming the table.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Integer, Table, create_engine, delete, func, pool, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.db import Database, sync_url
from storage.meta import get_value
from storage.migrate import upgrade_sync

MARKER_KEY = "db_copy_in_progress"
DEFAULT_BATCH = 5000
_MOD = 2**128

Progress = Callable[[str, int, int], None]


class CopyError(Exception):
    """The copy cannot start or did not verify; the message says what to do."""


@dataclass(slots=True)
class TableReport:
    name: str
    rows: int
    source_checksum: str
    target_checksum: str
    target_rows: int

    @property
    def ok(self) -> bool:
        return self.rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass(slots=True)
class CopyReport:
    tables: list[TableReport] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)  # tables skipped as already copied
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def display_url(url: str) -> str:
    """*url* without its password, for messages and the marker."""
    return str(make_url(url).render_as_string(hide_password=True))


def tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


# --- canonical rows and checksums (pure) -------------------------------------------------


def canonical(value: Any) -> str:
    """One value as text that is the same whichever database returned it."""
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return naive.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def row_digest(columns: Iterable[str], row: dict[str, Any]) -> int:
    data = "\x1f".join(f"{c}={canonical(row[c])}" for c in sorted(columns))
    return int.from_bytes(hashlib.sha256(data.encode("utf-8")).digest()[:16], "big")


def table_checksum(engine: Engine, table: Table, batch: int = DEFAULT_BATCH) -> tuple[int, str]:
    """(row count, checksum) of *table*: the sum of row digests, so order is irrelevant."""
    names = [c.name for c in table.columns]
    total = count = 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(select(table))
        for part in result.mappings().partitions(batch):
            for row in part:
                total = (total + row_digest(names, dict(row))) % _MOD
                count += 1
    return count, f"{total:032x}"


# --- the marker ------------------------------------------------------------------------


def _read_marker(engine: Engine) -> dict[str, Any] | None:
    meta = SQLModel.metadata.tables["meta"]
    with engine.connect() as conn:
        value = conn.execute(select(meta.c.value).where(meta.c.key == MARKER_KEY)).scalar()
    if value is None:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {"source": "?", "done": []}


def _write_marker(engine: Engine, marker: dict[str, Any]) -> None:
    meta = SQLModel.metadata.tables["meta"]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(delete(meta).where(meta.c.key == MARKER_KEY))
        conn.execute(meta.insert().values(key=MARKER_KEY, value=json.dumps(marker), updated_at=now))


def _clear_marker(engine: Engine) -> None:
    meta = SQLModel.metadata.tables["meta"]
    with engine.begin() as conn:
        conn.execute(delete(meta).where(meta.c.key == MARKER_KEY))


async def copy_marker(db: Database) -> str | None:
    """The source named by an unfinished copy into *db*, or None when there is none."""
    value = await get_value(db, MARKER_KEY)
    if value is None:
        return None
    try:
        source = json.loads(value).get("source")
    except (ValueError, AttributeError):
        source = None
    return str(source or "an unknown source")


# --- the copy ------------------------------------------------------------------------


def _engine(url: str) -> Engine:
    target = sync_url(url)
    args = {"timeout": 30} if target.get_backend_name() == "sqlite" else {"connect_timeout": 10}
    return create_engine(target, poolclass=pool.NullPool, connect_args=args)


def _counts(engine: Engine) -> dict[str, int]:
    found = {}
    with engine.connect() as conn:
        for table in tables():
            n = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if table.name == "meta":
                n -= conn.execute(
                    select(func.count()).select_from(table).where(table.c.key == MARKER_KEY)
                ).scalar_one()
            if n:
                found[table.name] = int(n)
    return found


def _empty(engine: Engine, table: Table) -> None:
    with engine.begin() as conn:
        if table.name == "meta":
            conn.execute(delete(table).where(table.c.key != MARKER_KEY))
        else:
            conn.execute(delete(table))


def _copy_table(
    source: Engine, target: Engine, table: Table, batch: int, progress: Progress | None
) -> int:
    with source.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table)).scalar_one()
        query = select(table)
        if table.name == "meta":
            query = query.where(table.c.key != MARKER_KEY)
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
        done = 0
        if progress is not None:
            progress(table.name, 0, total)
        for part in result.mappings().partitions(batch):
            rows = [dict(r) for r in part]
            with target.begin() as out:
                out.execute(table.insert(), rows)
            done += len(rows)
            if progress is not None:
                progress(table.name, done, total)
    return done


def _reset_sequences(target: Engine) -> None:
    """PostgreSQL: move each serial id's sequence past the copied ids (rows were
    inserted with their ids, which does not advance a sequence)."""
    if target.dialect.name != "postgresql":
        return
    with target.begin() as conn:
        for table in tables():
            keys = list(table.primary_key.columns)
            if len(keys) != 1 or not isinstance(keys[0].type, Integer):
                continue
            t, c = table.name, keys[0].name
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{t}', '{c}'), "
                    f"COALESCE((SELECT MAX({c}) FROM {t}), 1), "
                    f"(SELECT MAX({c}) FROM {t}) IS NOT NULL)"
                )
            )


def verify(source: Engine, target: Engine, batch: int = DEFAULT_BATCH) -> list[TableReport]:
    reports = []
    for table in tables():
        n, src = _checksum_without_marker(source, table, batch)
        m, dst = _checksum_without_marker(target, table, batch)
        reports.append(TableReport(table.name, n, src, dst, m))
    return reports


def _checksum_without_marker(engine: Engine, table: Table, batch: int) -> tuple[int, str]:
    if table.name != "meta":
        return table_checksum(engine, table, batch)
    names = [c.name for c in table.columns]
    total = count = 0
    with engine.connect() as conn:
        for row in conn.execute(select(table).where(table.c.key != MARKER_KEY)).mappings():
            total = (total + row_digest(names, dict(row))) % _MOD
            count += 1
    return count, f"{total:032x}"


def copy_database(
    source_url: str,
    target_url: str,
    *,
    force: bool = False,
    batch: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every table of *source_url* into *target_url* and verify it (see the
    module docstring). Raises :class:`CopyError` when it must not start."""
    if display_url(source_url) == display_url(target_url):
        raise CopyError("the target is the database in use (DATABASE_URL); name another")
    started = time.monotonic()
    upgrade_sync(source_url)
    upgrade_sync(target_url)
    source, target = _engine(source_url), _engine(target_url)
    try:
        if _read_marker(source) is not None:
            raise CopyError("DATABASE_URL itself holds an unfinished copy; finish that one first")
        marker = _read_marker(target)
        me = display_url(source_url)
        if marker is not None and marker.get("source") != me and not force:
            raise CopyError(
                f"the target holds an unfinished copy from {marker.get('source')}; "
                "--force replaces it"
            )
        resuming = marker is not None and marker.get("source") == me and not force
        if not resuming:
            found = _counts(target)
            if found and not force:
                listed = ", ".join(f"{n:,} {t}" for t, n in sorted(found.items()))
                raise CopyError(f"the target is not empty ({listed}); --force replaces it")
            marker = {"source": me, "started_at": datetime.now(UTC).isoformat(), "done": []}
            _write_marker(target, marker)
            for table in reversed(tables()):
                _empty(target, table)
        assert marker is not None
        done: list[str] = list(marker.get("done", []))
        report = CopyReport(resumed=list(done) if resuming else [])
        if resuming:
            # The table cut short and every later one may hold part of their rows.
            for table in reversed(tables()):
                if table.name not in done:
                    _empty(target, table)
        for table in tables():
            if table.name in done:
                continue
            _copy_table(source, target, table, batch, progress)
            done.append(table.name)
            marker["done"] = done
            _write_marker(target, marker)
        _reset_sequences(target)
        report.tables = verify(source, target, batch)
        if report.ok:
            _clear_marker(target)
        report.seconds = time.monotonic() - started
        return report
    finally:
        source.dispose()
        target.dispose()
