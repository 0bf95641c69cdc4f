"""transactions: a partial index of those hidden past their month's limit

Revision ID: b5d81f0c6e29
Revises: a7c3e91d2f40
Create Date: 2026-12-06 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d81f0c6e29"
down_revision: str | None = "a7c3e91d2f40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_transactions_hidden",
        "transactions",
        ["company_id", "date", "id"],
        unique=False,
        postgresql_where=sa.text("over_limit"),
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_hidden", table_name="transactions")
