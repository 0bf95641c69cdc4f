"""outbox relay index in its reading order

Revision ID: a83fce3db5f4
Revises: 3361ff7f8ff3
Create Date: 2026-11-29 03:19:52.936431
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a83fce3db5f4"
down_revision: str | None = "3361ff7f8ff3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(
        op.f("ix_outbox_messages_unpublished"),
        table_name="outbox_messages",
        postgresql_where="(published_at IS NULL)",
    )
    op.create_index(
        "ix_outbox_messages_unpublished",
        "outbox_messages",
        ["attempts", "id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_messages_unpublished",
        table_name="outbox_messages",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index(
        op.f("ix_outbox_messages_unpublished"),
        "outbox_messages",
        ["id"],
        unique=False,
        postgresql_where="(published_at IS NULL)",
    )
