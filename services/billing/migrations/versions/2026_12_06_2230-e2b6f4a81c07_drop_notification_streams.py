"""drop notification_streams: billing's polling stream gave way to the live service's

Revision ID: e2b6f4a81c07
Revises: a41c9e7d2f60
Create Date: 2026-12-06 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2b6f4a81c07"
down_revision: str | None = "a41c9e7d2f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_notification_streams_user_id"), table_name="notification_streams")
    op.drop_table("notification_streams")


def downgrade() -> None:
    op.create_table(
        "notification_streams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_streams_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_streams")),
    )
    op.create_index(
        op.f("ix_notification_streams_user_id"), "notification_streams", ["user_id"], unique=False
    )
