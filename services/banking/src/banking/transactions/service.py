"""Transactions: the filtered listing and a user's correction of a category."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from banking.audit import service as audit
from banking.categories import service as categories
from banking.categories.models import (
    FIELD_DESCRIPTION,
    FIELD_MERCHANT,
    MATCH_EQUALS,
    MAX_RULE_VALUE_LENGTH,
    CategoryRule,
)
from banking.categories.schemas import RuleCreate, RuleRead
from banking.learning import service as learning
from banking.runtime import Runtime
from banking.transactions import repository
from banking.transactions.models import CATEGORY_FROM_USER, Transaction
from banking.transactions.schemas import (
    CategoryCorrection,
    CorrectionResult,
    TransactionFilters,
    TransactionPage,
    TransactionRead,
)
from finhub_shared.auth import Principal
from finhub_shared.pagination import KeysetCursor

# What a cursor this listing did not write is told (400 invalid_cursor).
INVALID_CURSOR = "The cursor is not one this listing gave."
# Corrections outrank rules a company wrote by hand (priority 100 by default).
CORRECTION_RULE_PRIORITY = 50


async def list_transactions(
    session: AsyncSession,
    principal: Principal,
    filters: TransactionFilters,
    cursor: str | None,
    limit: int,
) -> TransactionPage:
    """A page of the caller's transactions, newest first, and the cursor of the next one."""
    after = KeysetCursor.decode(cursor, invalid=INVALID_CURSOR) if cursor else None
    rows = await repository.page_for(session, principal, filters, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    last = page[-1][0] if more else None
    return TransactionPage(
        results=[shown(transaction, name) for transaction, name in page],
        next_cursor=KeysetCursor(date=last.date, id=last.id).encode() if last else None,
    )


async def get_transaction(
    session: AsyncSession, principal: Principal, transaction_id: uuid.UUID
) -> TransactionRead:
    """The caller's transaction (404 for another company's or a hidden one)."""
    transaction = await repository.get_for(session, principal, transaction_id)
    return shown(transaction, await repository.shown_category_name(session, transaction.id))


def shown(transaction: Transaction, category_name: str | None) -> TransactionRead:
    """The transaction as the API shows it, named in pt-BR (stored: Pluggy's English name)."""
    return TransactionRead.model_validate(transaction).model_copy(
        update={"category_name": category_name}
    )


async def correct_category(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    transaction_id: uuid.UUID,
    correction: CategoryCorrection,
    now: datetime,
) -> CorrectionResult:
    """The user's category, kept through later syncs; optionally a rule and the past updated;
    the company's model learns it, and similar past transactions are proposed."""
    transaction = await repository.get_for(session, principal, transaction_id)
    rule_body = _rule_like(transaction, correction.category_id)
    rule: CategoryRule | None = None
    if correction.create_rule:
        rule = await categories.create_rule(session, runtime, principal, rule_body)
    else:
        await categories.ensure_category(session, runtime, correction.category_id)
    similar = 0
    if correction.apply_to_similar:
        pattern = rule or CategoryRule(company_id=principal.company_id, **rule_body.model_dump())
        # The transaction itself is set below, by hand; the others follow the pattern.
        similar = await categories.apply_rule(
            session, pattern, except_id=transaction.id, by_hand=rule is None
        )
    category_names = await categories.names(session)
    before = {"transaction_id": str(transaction.id), "category_id": transaction.category_id}
    transaction.category_id = correction.category_id
    transaction.category_name = category_names.get(correction.category_id)
    transaction.category_source = CATEGORY_FROM_USER
    transaction.rule_id = None
    transaction.category_confidence = None
    await session.flush()
    await learning.correction_made(session, principal.company_id, now)
    await audit.record(
        session,
        principal.company_id,
        actor=audit.user_actor(principal.user_id),
        action="transaction.category_changed",
        before=before,
        after={**before, "category_id": transaction.category_id, "similar_updated": similar},
    )
    return CorrectionResult(
        transaction=shown(
            transaction, await repository.shown_category_name(session, transaction.id)
        ),
        rule=RuleRead.model_validate(rule) if rule else None,
        similar_updated=similar,
        suggestions=await learning.suggestions_for(
            session, principal.company_id, transaction, runtime.settings
        ),
    )


def _rule_like(transaction: Transaction, category_id: str) -> RuleCreate:
    """A rule that matches transactions like this one: same merchant, else same description."""
    if transaction.merchant_name:
        return RuleCreate(
            field=FIELD_MERCHANT,
            match=MATCH_EQUALS,
            value=transaction.merchant_name[:MAX_RULE_VALUE_LENGTH],
            category_id=category_id,
            priority=CORRECTION_RULE_PRIORITY,
        )
    return RuleCreate(
        field=FIELD_DESCRIPTION,
        match=MATCH_EQUALS,
        value=transaction.description[:MAX_RULE_VALUE_LENGTH],
        category_id=category_id,
        priority=CORRECTION_RULE_PRIORITY,
    )
