"""items: when the worker last asked Pluggy for an item whose webhook was overdue

Revision ID: 5f09e259ac7e
Revises: 4d08a7db6fcf
Create Date: 2026-12-06 03:42:36.912059
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f09e259ac7e"
down_revision: str | None = "4d08a7db6fcf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("items", "last_checked_at")
