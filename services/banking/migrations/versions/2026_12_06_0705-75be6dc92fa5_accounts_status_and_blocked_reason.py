"""accounts: status (active or blocked past the plan's limit) and why

Revision ID: 75be6dc92fa5
Revises: f322909d8c42
Create Date: 2026-12-06 07:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "75be6dc92fa5"
down_revision: str | None = "f322909d8c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
    )
    op.add_column("accounts", sa.Column("blocked_reason", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("accounts", "blocked_reason")
    op.drop_column("accounts", "status")
