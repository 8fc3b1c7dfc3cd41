"""per-chat filters: keywords, excludes, categories, minimum relevance, silent, mutes

Revision ID: 0005_chat_filters
Revises: 0004_filed_at
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_chat_filters"
down_revision: str | None = "0004_filed_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON_LISTS = ("keywords", "excludes", "hidden_types")


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        for name in _JSON_LISTS:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("min_relevance", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("silent_below", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mutes", sa.JSON(), nullable=False, server_default="{}"))
    # The defaults only fill existing rows; the models supply values for new ones, and
    # leaving server defaults in place would make the schema differ from the models.
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        for name in (*_JSON_LISTS, "min_relevance", "mutes"):
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        for name in ("mutes", "silent_below", "min_relevance", *reversed(_JSON_LISTS)):
            batch_op.drop_column(name)
