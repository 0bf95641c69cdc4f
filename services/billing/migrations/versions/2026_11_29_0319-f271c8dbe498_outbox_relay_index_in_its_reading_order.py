"""outbox relay index in its reading order

Revision ID: f271c8dbe498
Revises: 2f31c932daab
Create Date: 2026-11-29 03:19:45.766598
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f271c8dbe498"
down_revision: str | None = "2f31c932daab"
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
