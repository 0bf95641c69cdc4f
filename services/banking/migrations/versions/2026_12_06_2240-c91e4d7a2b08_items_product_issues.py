"""items: the products Pluggy's last execution did not read, or read with warnings

Revision ID: c91e4d7a2b08
Revises: b5d81f0c6e29
Create Date: 2026-12-06 22:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c91e4d7a2b08"
down_revision: str | None = "b5d81f0c6e29"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "items",
        sa.Column("product_issues", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("items", "product_issues")
