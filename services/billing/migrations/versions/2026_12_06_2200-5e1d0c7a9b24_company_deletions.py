"""company deletions

Revision ID: 5e1d0c7a9b24
Revises: 5c2a8e61f0d4
Create Date: 2026-12-06 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1d0c7a9b24"
down_revision: str | None = "5c2a8e61f0d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "companies",
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
    )
    op.create_table(
        "company_deletions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscription_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stripe_customer_deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("billing_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("banking_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_deletions_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_deletions")),
        sa.UniqueConstraint("company_id", name=op.f("uq_company_deletions_company_id")),
    )
    op.create_index(
        op.f("ix_company_deletions_status"), "company_deletions", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_company_deletions_status"), table_name="company_deletions")
    op.drop_table("company_deletions")
    op.drop_column("companies", "status")
