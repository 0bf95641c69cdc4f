"""items: the retries of an OUTDATED item, counted, and when the next one is due

Revision ID: 002e5b5406ce
Revises: 75be6dc92fa5
Create Date: 2026-12-06 19:58:25.152878
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "002e5b5406ce"
down_revision: str | None = "75be6dc92fa5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "items", sa.Column("outdated_retries", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "items", sa.Column("outdated_retry_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Items already OUTDATED were never retried: their first retry is due now.
    op.execute("UPDATE items SET outdated_retry_at = now() WHERE status = 'OUTDATED'")


def downgrade() -> None:
    op.drop_column("items", "outdated_retry_at")
    op.drop_column("items", "outdated_retries")
