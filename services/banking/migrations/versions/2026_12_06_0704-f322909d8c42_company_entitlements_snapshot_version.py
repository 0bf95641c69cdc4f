"""company_entitlements: billing's snapshot version, the order snapshots are applied in

Revision ID: f322909d8c42
Revises: 5f09e259ac7e
Create Date: 2026-12-06 07:04:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f322909d8c42"
down_revision: str | None = "5f09e259ac7e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("company_entitlements", sa.Column("version", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("company_entitlements", "version")
