"""items: partial indexes for the OUTDATED retry job and the overdue-webhook check

Revision ID: a7c3e91d2f40
Revises: 8b3f5a1c7d20
Create Date: 2026-12-06 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e91d2f40"
down_revision: str | None = "8b3f5a1c7d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IN_PROGRESS = "status IN ('LOGIN_IN_PROGRESS', 'MERGING', 'UPDATING', 'WAITING_USER_INPUT')"


def upgrade() -> None:
    op.create_index(
        "ix_items_outdated_retry_at",
        "items",
        ["outdated_retry_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'OUTDATED'"),
    )
    op.create_index(
        "ix_items_in_progress_last_heard",
        "items",
        [sa.text("greatest(updated_at, last_checked_at)"), "id"],
        unique=False,
        postgresql_where=sa.text(_IN_PROGRESS),
    )


def downgrade() -> None:
    op.drop_index("ix_items_in_progress_last_heard", table_name="items")
    op.drop_index("ix_items_outdated_retry_at", table_name="items")
