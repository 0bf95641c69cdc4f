"""category_learning: each company's learned category model and its consent; transactions keep
the model's confidence

Revision ID: e5f1a9c3b7d2
Revises: d4a7c2e91f35
Create Date: 2026-12-06 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5f1a9c3b7d2"
down_revision: str | None = "d4a7c2e91f35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category_learning",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("auto_apply", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("corrections", sa.Integer(), server_default="0", nullable=False),
        sa.Column("categories", sa.Integer(), server_default="0", nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trained_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_category_learning")),
    )
    op.add_column("transactions", sa.Column("category_confidence", sa.Float(), nullable=True))
    # Companies that corrected categories before models existed get theirs at the next training.
    op.execute(
        "INSERT INTO category_learning (company_id, corrected_at)"
        " SELECT DISTINCT company_id, now() FROM transactions WHERE category_source = 'user'"
    )


def downgrade() -> None:
    op.drop_column("transactions", "category_confidence")
    op.drop_table("category_learning")
