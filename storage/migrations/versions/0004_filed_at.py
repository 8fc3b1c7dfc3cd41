"""filed_at and listed_at on filings

The RSS fast path stores a filing before list.json lists it: ``filed_at`` is the filing
time the feed gives (list.json has none), ``listed_at`` when list.json first listed the
row (NULL while only the feed has shown it). Rows stored before this revision all came
from list.json, so they count as listed when first seen.

Revision ID: 0004_filed_at
Revises: 0003_text_search
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0004_filed_at"
down_revision: str | None = "0003_text_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("filed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("listed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute("UPDATE filings SET listed_at = first_seen_at")


def downgrade() -> None:
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_column("listed_at")
        batch_op.drop_column("filed_at")
