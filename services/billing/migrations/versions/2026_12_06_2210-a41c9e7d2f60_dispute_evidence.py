"""dispute evidence: what Stripe holds, the files uploaded, the deadline reminder

Revision ID: a41c9e7d2f60
Revises: 9851f34df62d
Create Date: 2026-12-06 22:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a41c9e7d2f60"
down_revision: str | None = "9851f34df62d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "disputes",
        sa.Column("has_evidence", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "disputes",
        sa.Column(
            "evidence_submission_count", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
    )
    op.add_column(
        "disputes", sa.Column("evidence_submitted_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "disputes",
        sa.Column(
            "evidence_fields",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "disputes",
        sa.Column("evidence_revision", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("disputes", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "dispute_evidence_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=False),
        sa.Column("stripe_file_id", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_dispute_evidence_files_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_evidence_files_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_evidence_files")),
        sa.UniqueConstraint(
            "dispute_id", "field", name=op.f("uq_dispute_evidence_files_dispute_id")
        ),
    )
    op.create_index(
        op.f("ix_dispute_evidence_files_company_id"),
        "dispute_evidence_files",
        ["company_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dispute_evidence_files_company_id"), table_name="dispute_evidence_files")
    op.drop_table("dispute_evidence_files")
    op.drop_column("disputes", "reminded_at")
    op.drop_column("disputes", "evidence_revision")
    op.drop_column("disputes", "evidence_fields")
    op.drop_column("disputes", "evidence_submitted_at")
    op.drop_column("disputes", "evidence_submission_count")
    op.drop_column("disputes", "has_evidence")
