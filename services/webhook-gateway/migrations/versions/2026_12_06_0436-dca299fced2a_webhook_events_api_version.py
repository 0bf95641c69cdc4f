"""webhook events api version

Revision ID: dca299fced2a
Revises: a83fce3db5f4
Create Date: 2026-12-06 04:36:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dca299fced2a"
down_revision: str | None = "a83fce3db5f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_events", sa.Column("api_version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("webhook_events", "api_version")
