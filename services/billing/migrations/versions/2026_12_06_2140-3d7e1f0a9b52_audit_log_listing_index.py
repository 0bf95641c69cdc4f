"""audit_log: the listing's index (company, newest first), replacing the company's alone

Revision ID: 3d7e1f0a9b52
Revises: b7c41e9a2d53
Create Date: 2026-12-06 21:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3d7e1f0a9b52"
down_revision: str | None = "b7c41e9a2d53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_company_created_at_id",
        "audit_log",
        ["company_id", "created_at", "id"],
        unique=False,
    )
    op.drop_index(op.f("ix_audit_log_company_id"), table_name="audit_log")


def downgrade() -> None:
    op.create_index(op.f("ix_audit_log_company_id"), "audit_log", ["company_id"], unique=False)
    op.drop_index("ix_audit_log_company_created_at_id", table_name="audit_log")
