"""sync jobs: heartbeat and skipped transactions

Revision ID: 4d08a7db6fcf
Revises: 699f51428b6b
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4d08a7db6fcf"
down_revision: str | None = "699f51428b6b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sync_jobs",
        sa.Column(
            "heartbeat_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.add_column(
        "sync_jobs", sa.Column("skipped_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("sync_jobs", sa.Column("skipped_reason", sa.Text(), nullable=True))
    op.create_index(
        "ix_sync_jobs_unfinished_heartbeat",
        "sync_jobs",
        ["heartbeat_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_sync_jobs_unfinished_heartbeat",
        table_name="sync_jobs",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_column("sync_jobs", "skipped_reason")
    op.drop_column("sync_jobs", "skipped_count")
    op.drop_column("sync_jobs", "heartbeat_at")
