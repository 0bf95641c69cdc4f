"""seed plans

The three plans of the product, in integer centavos; a yearly price is ten months of the monthly one.
Stripe prices are found by their lookup keys (`<slug>_monthly`, `<slug>_yearly`).

Revision ID: 55e4ab733bd1
Revises: 3294d5a0dcd6
Create Date: 2026-11-29 00:56:32.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "55e4ab733bd1"
down_revision: str | None = "3294d5a0dcd6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

plans = sa.table(
    "plans",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("currency", sa.String),
    sa.column("price_monthly_cents", sa.Integer),
    sa.column("price_yearly_cents", sa.Integer),
    sa.column("max_bank_accounts", sa.Integer),
    sa.column("max_transactions_per_month", sa.Integer),
    sa.column("ai_insights", sa.Boolean),
    sa.column("features", postgresql.ARRAY(sa.String)),
    sa.column("stripe_lookup_key_monthly", sa.String),
    sa.column("stripe_lookup_key_yearly", sa.String),
    sa.column("is_active", sa.Boolean),
    sa.column("sort_order", sa.Integer),
)


def _plan(
    plan_id: int,
    slug: str,
    name: str,
    monthly_cents: int,
    bank_accounts: int | None,
    transactions: int | None,
    features: list[str],
) -> dict[str, object]:
    return {
        "id": plan_id,
        "slug": slug,
        "name": name,
        "currency": "BRL",
        "price_monthly_cents": monthly_cents,
        "price_yearly_cents": monthly_cents * 10,
        "max_bank_accounts": bank_accounts,
        "max_transactions_per_month": transactions,
        "ai_insights": any("ai_insights" in feature for feature in features),
        "features": features,
        "stripe_lookup_key_monthly": f"{slug}_monthly",
        "stripe_lookup_key_yearly": f"{slug}_yearly",
        "is_active": True,
        "sort_order": plan_id,
    }


def upgrade() -> None:
    op.bulk_insert(
        plans,
        [
            _plan(1, "starter", "Starter", 2900, 3, 1000, ["basic_support"]),
            _plan(
                2,
                "professional",
                "Professional",
                7900,
                10,
                5000,
                ["ai_insights", "priority_support"],
            ),
            _plan(
                3,
                "enterprise",
                "Enterprise",
                19900,
                None,
                None,
                ["advanced_ai_insights", "dedicated_support"],
            ),
        ],
    )


def downgrade() -> None:
    op.execute(plans.delete().where(plans.c.id.in_([1, 2, 3])))
