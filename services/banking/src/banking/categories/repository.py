"""Queries of categories and categorisation rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.categories.models import Category, CategoryRule
from banking.pluggy import models as pluggy
from finhub_shared.auth import Principal, ensure_owned, scoped


async def list_categories(session: AsyncSession) -> list[Category]:
    """Every category, parents before their children."""
    return list(await session.scalars(select(Category).order_by(Category.id)))


async def get_category(session: AsyncSession, category_id: str) -> Category | None:
    return await session.get(Category, category_id)


async def category_names(session: AsyncSession) -> dict[str, str]:
    """Each category's description, by id."""
    rows = await session.execute(select(Category.id, Category.description))
    return dict(rows.all())


async def save_categories(session: AsyncSession, categories: Sequence[pluggy.Category]) -> None:
    """Insert or refresh Pluggy's categories."""
    if not categories:
        return
    rows = [
        {
            "id": category.id,
            "description": category.description,
            "description_translated": category.description_translated,
            "parent_id": category.parent_id,
        }
        for category in categories
    ]
    statement = insert(Category).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Category.id],
            set_={
                "description": statement.excluded.description,
                "description_translated": statement.excluded.description_translated,
                "parent_id": statement.excluded.parent_id,
            },
        )
    )


async def rules_of_company(session: AsyncSession, company_id: uuid.UUID) -> list[CategoryRule]:
    """The company's rules (worker paths, where the account names the company)."""
    statement = select(CategoryRule).where(CategoryRule.company_id == company_id)
    return list(await session.scalars(statement))


async def count_rules(session: AsyncSession, company_id: uuid.UUID) -> int:
    """How many rules the company keeps."""
    statement = select(func.count()).where(CategoryRule.company_id == company_id)
    return int((await session.execute(statement)).scalar_one())


async def list_rules(session: AsyncSession, principal: Principal) -> list[CategoryRule]:
    """The caller's rules in the order they are tried."""
    statement = scoped(
        select(CategoryRule).order_by(
            CategoryRule.priority, CategoryRule.created_at, CategoryRule.id
        ),
        CategoryRule,
        principal,
    )
    return list(await session.scalars(statement))


async def get_rule(session: AsyncSession, principal: Principal, rule_id: uuid.UUID) -> CategoryRule:
    """The caller's rule, or 404."""
    return ensure_owned(await session.get(CategoryRule, rule_id), principal, "rule")
