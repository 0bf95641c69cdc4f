"""insights: the plan's insight level with the entitlements, each company's insights, settings
and computation runs

Revision ID: d4a7c2e91f35
Revises: c91e4d7a2b08
Create Date: 2026-12-06 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d4a7c2e91f35"
down_revision: str | None = "c91e4d7a2b08"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Snapshots stored before billing sent a level count as none until its next one.
    op.add_column(
        "company_entitlements",
        sa.Column("insights", sa.String(length=10), server_default="none", nullable=False),
    )
    op.add_column(
        "company_entitlements",
        sa.Column(
            "insight_plans",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.create_table(
        "insights",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("detector", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("transaction_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("series", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_insights_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights")),
        sa.UniqueConstraint("company_id", "key", name=op.f("uq_insights_company_id")),
    )
    op.create_index(op.f("ix_insights_account_id"), "insights", ["account_id"], unique=False)
    op.create_index(op.f("ix_insights_company_id"), "insights", ["company_id"], unique=False)
    op.create_table(
        "insight_settings",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column(
            "low_balance_threshold_cents", sa.BigInteger(), server_default="0", nullable=False
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_insight_settings")),
    )
    op.create_table(
        "insight_runs",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_insight_runs")),
    )


def downgrade() -> None:
    op.drop_table("insight_runs")
    op.drop_table("insight_settings")
    op.drop_index(op.f("ix_insights_company_id"), table_name="insights")
    op.drop_index(op.f("ix_insights_account_id"), table_name="insights")
    op.drop_table("insights")
    op.drop_column("company_entitlements", "insight_plans")
    op.drop_column("company_entitlements", "insights")
