"""filing facts: what each filing says, stored once per filing; deliveries remember
the message id they produced (corrections are sent as replies)

Revision ID: 0002_filing_facts
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0002_filing_facts"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filing_facts",
        sa.Column("rcept_no", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("family", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("corrections", sa.JSON(), nullable=False),
        sa.Column("corrects", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("extracted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rcept_no"),
    )
    with op.batch_alter_table("filing_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_filing_facts_corrects"), ["corrects"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("message_id")
    with op.batch_alter_table("filing_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filing_facts_corrects"))
    op.drop_table("filing_facts")
