"""Queries of categories and categorisation rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.categories.models import FIELD_MERCHANT, MATCH_CONTAINS, Category, CategoryRule
from banking.pluggy import payloads as pluggy
from banking.transactions.models import CATEGORY_FROM_RULE, CATEGORY_FROM_USER, Transaction
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped

Columns = TypeVarTuple("Columns")


async def list_categories(session: AsyncSession) -> list[Category]:
    """Every category, parents before their children."""
    return list(await session.scalars(select(Category).order_by(Category.id)))


async def any_category(session: AsyncSession) -> bool:
    """Whether Pluggy's categories were kept yet."""
    return await session.scalar(select(select(Category.id).exists())) or False


async def get_category(session: AsyncSession, category_id: str) -> Category | None:
    return await session.get(Category, category_id)


async def category_names(session: AsyncSession) -> dict[str, str]:
    """Each category's description, by id."""
    rows = await session.execute(select(Category.id, Category.description))
    return dict(rows.all())


def with_category(statement: Select[*Columns]) -> Select[*Columns]:
    """The statement's transactions joined to their category in Pluggy's tree, if it has one,
    for `shown_name`."""
    return statement.outerjoin(Category, Category.id == Transaction.category_id)


def shown_name() -> ColumnElement[str | None]:
    """The transaction's category as users read it (a statement `with_category`): Pluggy's
    pt-BR name, else the name stored with it (a name of the company's own, or a category the
    tree does not translate), else the tree's."""
    stored = Transaction.category_name
    is_pluggys = or_(stored.is_(None), stored == Category.description)
    return case(
        (
            and_(Category.description_translated.is_not(None), is_pluggys),
            Category.description_translated,
        ),
        else_=func.coalesce(stored, Category.description),
    )


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
    return await queries.get_owned(session, CategoryRule, rule_id, principal, "rule")


async def categorise_matching(
    session: AsyncSession,
    rule: CategoryRule,
    category_name: str | None,
    *,
    except_id: uuid.UUID | None,
    by_hand: bool,
) -> int:
    """Give the rule's category to the company's transactions it matches, except those a user
    categorised by hand and `except_id`, as the user's (`by_hand`) or the rule's; how many."""
    conditions = [
        Transaction.company_id == rule.company_id,
        Transaction.category_source.is_distinct_from(CATEGORY_FROM_USER),
        _text_condition(rule),
    ]
    if rule.account_id is not None:
        conditions.append(Transaction.account_id == rule.account_id)
    if rule.min_amount_cents is not None:
        conditions.append(Transaction.amount_cents >= rule.min_amount_cents)
    if rule.max_amount_cents is not None:
        conditions.append(Transaction.amount_cents <= rule.max_amount_cents)
    if except_id is not None:
        conditions.append(Transaction.id != except_id)
    result = await session.execute(
        update(Transaction)
        .where(and_(*conditions))
        .values(
            category_id=rule.category_id,
            category_name=category_name,
            category_source=CATEGORY_FROM_USER if by_hand else CATEGORY_FROM_RULE,
            rule_id=None if by_hand else rule.id,
        )
    )
    return queries.rows_affected(result)


def normalised(column: Any) -> ColumnElement[str]:
    """The column as rules compare it: lower case, runs of spaces as one, trimmed."""
    return func.lower(func.btrim(func.regexp_replace(column, r"\s+", " ", "g")))


def _text_condition(rule: CategoryRule) -> ColumnElement[bool]:
    column = Transaction.merchant_name if rule.field == FIELD_MERCHANT else Transaction.description
    value = " ".join(rule.value.lower().split())
    if rule.match == MATCH_CONTAINS:
        return normalised(column).contains(value, autoescape=True)
    return normalised(column) == value
