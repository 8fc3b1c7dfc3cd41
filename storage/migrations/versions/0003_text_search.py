"""text search over filings: SQLite FTS5 (trigram) / PostgreSQL pg_trgm

Korean has no spaces between the parts of a compound (``인공지능반도체``), so word
tokenizers miss most searches; both indexes work on character trigrams, which find any
substring of three or more characters. Shorter terms are answered by a scan (see
``storage.search``).

Revision ID: 0003_text_search
Revises: 0002_filing_facts
Create Date: 2026-11-30 06:30:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0003_text_search"
down_revision: str | None = "0002_filing_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    # External content: the text lives once, in filings; the index follows it through
    # the triggers below, whoever writes (poller, backfill, a hand-run SQL update).
    "CREATE VIRTUAL TABLE filings_fts USING fts5("
    "report_nm, flr_nm, corp_name, content='filings', content_rowid='rowid', "
    "tokenize='trigram')",
    "CREATE TRIGGER filings_fts_ai AFTER INSERT ON filings BEGIN "
    "INSERT INTO filings_fts(rowid, report_nm, flr_nm, corp_name) "
    "VALUES (new.rowid, new.report_nm, coalesce(new.flr_nm, ''), new.corp_name); END",
    "CREATE TRIGGER filings_fts_ad AFTER DELETE ON filings BEGIN "
    "INSERT INTO filings_fts(filings_fts, rowid, report_nm, flr_nm, corp_name) "
    "VALUES ('delete', old.rowid, old.report_nm, coalesce(old.flr_nm, ''), old.corp_name); END",
    "CREATE TRIGGER filings_fts_au AFTER UPDATE OF report_nm, flr_nm, corp_name ON filings "
    "BEGIN "
    "INSERT INTO filings_fts(filings_fts, rowid, report_nm, flr_nm, corp_name) "
    "VALUES ('delete', old.rowid, old.report_nm, coalesce(old.flr_nm, ''), old.corp_name); "
    "INSERT INTO filings_fts(rowid, report_nm, flr_nm, corp_name) "
    "VALUES (new.rowid, new.report_nm, coalesce(new.flr_nm, ''), new.corp_name); END",
    "INSERT INTO filings_fts(filings_fts) VALUES ('rebuild')",
]

_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS filings_fts_au",
    "DROP TRIGGER IF EXISTS filings_fts_ad",
    "DROP TRIGGER IF EXISTS filings_fts_ai",
    "DROP TABLE IF EXISTS filings_fts",
]

_PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # PostgreSQL keeps a GIN index in step with the table by itself: no triggers.
    "CREATE INDEX IF NOT EXISTS ix_filings_trgm_report_nm ON filings "
    "USING gin (report_nm gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_filings_trgm_flr_nm ON filings "
    "USING gin (flr_nm gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_filings_trgm_corp_name ON filings "
    "USING gin (corp_name gin_trgm_ops)",
]

_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_filings_trgm_corp_name",
    "DROP INDEX IF EXISTS ix_filings_trgm_flr_nm",
    "DROP INDEX IF EXISTS ix_filings_trgm_report_nm",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(_SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _PG_UP)


def downgrade() -> None:
    _run(_SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else _PG_DOWN)
