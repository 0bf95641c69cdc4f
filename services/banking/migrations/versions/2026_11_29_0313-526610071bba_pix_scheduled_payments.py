"""pix scheduled payments

Revision ID: 526610071bba
Revises: c432abe9be64
Create Date: 2026-11-29 03:13:41.796416
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "526610071bba"
down_revision: str | None = "c432abe9be64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pix_scheduled_payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("pluggy_schedule_id", sa.String(length=64), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=140), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["pix_payments.id"],
            name=op.f("fk_pix_scheduled_payments_payment_id_pix_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pix_scheduled_payments")),
        sa.UniqueConstraint(
            "pluggy_schedule_id", name=op.f("uq_pix_scheduled_payments_pluggy_schedule_id")
        ),
    )
    op.create_index(
        op.f("ix_pix_scheduled_payments_company_id"),
        "pix_scheduled_payments",
        ["company_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_pix_scheduled_payments_payment_id"),
        "pix_scheduled_payments",
        ["payment_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pix_scheduled_payments_payment_id"), table_name="pix_scheduled_payments")
    op.drop_index(op.f("ix_pix_scheduled_payments_company_id"), table_name="pix_scheduled_payments")
    op.drop_table("pix_scheduled_payments")
