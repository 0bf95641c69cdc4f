"""Queries of learned categories: the companies' learning rows, corrections and candidates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.learning.classifier import Example
from banking.learning.models import CategoryLearning
from banking.transactions.models import CATEGORY_FROM_RULE, CATEGORY_FROM_USER, Transaction
from finhub_shared import queries


async def get(session: AsyncSession, company_id: uuid.UUID) -> CategoryLearning | None:
    return await session.get(CategoryLearning, company_id)


async def for_update(session: AsyncSession, company_id: uuid.UUID) -> CategoryLearning:
    """The company's row, created if missing, locked until the transaction ends."""
    await session.execute(
        insert(CategoryLearning).values(company_id=company_id).on_conflict_do_nothing()
    )
    row = await queries.get_for_update(session, CategoryLearning, company_id)
    assert row is not None
    return row


async def mark_corrected(session: AsyncSession, company_id: uuid.UUID, now: datetime) -> None:
    """A person chose a category at `now`: the model is to be trained again."""
    statement = insert(CategoryLearning).values(company_id=company_id, corrected_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CategoryLearning.company_id], set_={"corrected_at": now}
        )
    )


async def corrections(session: AsyncSession, company_id: uuid.UUID, limit: int) -> list[Example]:
    """The company's `limit` newest transactions whose category a person chose."""
    statement = (
        select(
            Transaction.description,
            Transaction.merchant_name,
            Transaction.pluggy_category_id,
            Transaction.type,
            Transaction.amount_cents,
            Transaction.category_id,
        )
        .where(
            Transaction.company_id == company_id,
            Transaction.category_source == CATEGORY_FROM_USER,
            Transaction.category_id.is_not(None),
        )
        .order_by(Transaction.date.desc(), Transaction.id)
        .limit(limit)
    )
    return [Example(*row) for row in await session.execute(statement)]


async def due_for_training(
    session: AsyncSession, corrected_before: datetime, limit: int
) -> list[tuple[uuid.UUID, datetime]]:
    """Companies corrected since their model was trained, last before `corrected_before`; each
    with the moment of its last correction."""
    statement = (
        select(CategoryLearning.company_id, CategoryLearning.corrected_at)
        .where(
            CategoryLearning.corrected_at <= corrected_before,
            or_(
                CategoryLearning.trained_from.is_(None),
                CategoryLearning.corrected_at > CategoryLearning.trained_from,
            ),
        )
        .order_by(CategoryLearning.corrected_at)
        .limit(limit)
    )
    due: list[tuple[uuid.UUID, datetime]] = []
    for company_id, corrected_at in await session.execute(statement):
        if corrected_at is not None:
            due.append((company_id, corrected_at))
    return due


async def save_model(
    session: AsyncSession,
    company_id: uuid.UUID,
    model: bytes | None,
    *,
    corrections: int,
    categories: int,
    trained_at: datetime,
    trained_from: datetime,
) -> bool:
    """Keep the model trained from the corrections up to `trained_from`, unless one trained from
    later corrections is there already; whether it was kept."""
    result = await session.execute(
        update(CategoryLearning)
        .where(
            CategoryLearning.company_id == company_id,
            or_(
                CategoryLearning.trained_from.is_(None),
                CategoryLearning.trained_from <= trained_from,
            ),
        )
        .values(
            model=model,
            version=CategoryLearning.version + 1,
            corrections=corrections,
            categories=categories,
            trained_at=trained_at,
            trained_from=trained_from,
        )
    )
    return queries.rows_affected(result) > 0


async def candidates(
    session: AsyncSession, company_id: uuid.UUID, transaction: Transaction, limit: int
) -> list[Transaction]:
    """The company's `limit` newest transactions that could take this one's category: shown,
    another category, and categorised by neither a person nor a rule."""
    statement = (
        select(Transaction)
        .where(
            Transaction.company_id == company_id,
            Transaction.id != transaction.id,
            ~Transaction.over_limit,
            Transaction.category_id.is_distinct_from(transaction.category_id),
            Transaction.category_source.is_distinct_from(CATEGORY_FROM_USER),
            Transaction.category_source.is_distinct_from(CATEGORY_FROM_RULE),
        )
        .order_by(Transaction.date.desc(), Transaction.id)
        .limit(limit)
    )
    return list(await session.scalars(statement))


async def shown_for_update(
    session: AsyncSession, company_id: uuid.UUID, transaction_ids: Sequence[uuid.UUID]
) -> list[Transaction]:
    """Those of the company's shown transactions among these ids, locked, in id order."""
    statement = queries.locked(
        select(Transaction)
        .where(
            Transaction.company_id == company_id,
            Transaction.id.in_(transaction_ids),
            ~Transaction.over_limit,
        )
        .order_by(Transaction.id)
    )
    return list(await session.scalars(statement))
