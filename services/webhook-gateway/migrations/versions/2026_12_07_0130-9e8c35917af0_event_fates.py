"""event fates

Revision ID: 9e8c35917af0
Revises: a7933df495cf
Create Date: 2026-12-07 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9e8c35917af0"
down_revision: str | None = "a7933df495cf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_fates",
        sa.Column("event_source", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_source", "event_id", "queue", name=op.f("pk_event_fates")),
    )
    op.create_index("ix_event_fates_at", "event_fates", ["at"], unique=False)
    op.create_table(
        "event_fate_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_source", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_fate_steps")),
    )
    op.create_index("ix_event_fate_steps_at", "event_fate_steps", ["at"], unique=False)
    op.create_index(
        "ix_event_fate_steps_event",
        "event_fate_steps",
        ["event_source", "event_id", "at"],
        unique=False,
    )
    op.create_table(
        "fate_queues",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("binding_keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("known_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_fate_queues")),
    )


def downgrade() -> None:
    op.drop_table("fate_queues")
    op.drop_index("ix_event_fate_steps_event", table_name="event_fate_steps")
    op.drop_index("ix_event_fate_steps_at", table_name="event_fate_steps")
    op.drop_table("event_fate_steps")
    op.drop_index("ix_event_fates_at", table_name="event_fates")
    op.drop_table("event_fates")
