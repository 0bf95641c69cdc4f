"""dunning retries and renewal notices

Revision ID: 9851f34df62d
Revises: 5e1d0c7a9b24
Create Date: 2026-12-06 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9851f34df62d"
down_revision: str | None = "5e1d0c7a9b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "dunning_schedules",
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "dunning_schedules",
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("dunning_schedules", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column(
        "dunning_schedules",
        sa.Column("card_payment_method_id", sa.String(length=255), nullable=True),
    )
    op.add_column(
        "dunning_schedules",
        sa.Column("card_retry_due", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "invoices", sa.Column("paid_notice_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("invoices", "paid_notice_at")
    op.drop_column("dunning_schedules", "card_retry_due")
    op.drop_column("dunning_schedules", "card_payment_method_id")
    op.drop_column("dunning_schedules", "last_error")
    op.drop_column("dunning_schedules", "last_attempt_at")
    op.drop_column("dunning_schedules", "attempts")
