"""Categories that learn: each company's model trained on the categories its people chose,
similar past transactions proposed after a correction, and new ones categorised by consent.

Rules win over the model, and a category a person chose is never changed by either. Training
and guessing are CPU work, run in a thread so the event loop goes on.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.audit import service as audit
from banking.config import BankingSettings
from banking.learning import repository
from banking.learning.classifier import Example, Model, payee, train
from banking.learning.errors import NothingToPropose
from banking.learning.models import CategoryLearning
from banking.learning.schemas import (
    MAX_SUGGESTIONS,
    LearningRead,
    LearningUpdate,
    ModelRead,
    Reason,
    Suggestion,
    Suggestions,
    SuggestionsApplied,
)
from banking.transactions.models import (
    CATEGORY_FROM_MODEL,
    CATEGORY_FROM_RULE,
    CATEGORY_FROM_USER,
    Transaction,
)
from finhub_shared.auth import Principal, ensure_owned
from finhub_shared.db import Database
from finhub_shared.errors import NotFound

log = structlog.get_logger(__name__)

# A model is trained once its company's corrections have paused this long, so a person going
# through a list trains it once, not at every click.
TRAINING_DEBOUNCE = timedelta(seconds=30)
# Companies trained per run of the job; the others wait for the next run.
TRAININGS_PER_RUN = 20
# The newest corrections a model learns from, and the newest transactions a suggestion looks at:
# both bound the work, however long the company's history.
MAX_TRAINING_CORRECTIONS = 5_000
MAX_CANDIDATES = 5_000


@dataclass(frozen=True)
class Learned:
    """What a sync needs to let the company's model categorise its new transactions: the model,
    the categories' names, and how sure a guess must be to be applied."""

    model: Model
    category_names: dict[str, str]
    min_confidence: float


async def learning_of(
    session: AsyncSession, principal: Principal, settings: BankingSettings
) -> LearningRead:
    """The company's consent to automatic categories and what its model learned."""
    return _read(await repository.get(session, principal.company_id), settings)


async def set_auto_apply(
    session: AsyncSession, principal: Principal, body: LearningUpdate, settings: BankingSettings
) -> LearningRead:
    """Give or withdraw the company's consent (audited)."""
    row = await repository.for_update(session, principal.company_id)
    before = {"auto_apply": row.auto_apply}
    row.auto_apply = body.auto_apply
    await session.flush()
    if before["auto_apply"] != body.auto_apply:
        await audit.record(
            session,
            principal.company_id,
            actor=audit.user_actor(principal.user_id),
            action="learning.auto_apply_changed",
            before=before,
            after={"auto_apply": body.auto_apply},
        )
    return _read(row, settings)


async def correction_made(session: AsyncSession, company_id: uuid.UUID, now: datetime) -> None:
    """A person chose a category: the company's model learns it at the next training."""
    await repository.mark_corrected(session, company_id, now)


async def suggestions_for(
    session: AsyncSession,
    company_id: uuid.UUID,
    transaction: Transaction,
    settings: BankingSettings,
) -> list[Suggestion]:
    """Past transactions like this one that could take its category: the same payee, or the
    model's guess at least `learning_min_confidence` sure (none categorised by a person or a
    rule)."""
    if transaction.category_id is None:
        return []
    found = await repository.candidates(session, company_id, transaction, MAX_CANDIDATES)
    source_key = _payee_key(transaction, by_merchant=bool(transaction.merchant_name))
    suggestions: list[Suggestion] = []
    others: list[Transaction] = []
    for candidate in found:
        if source_key and _payee_key(candidate, by_merchant=bool(transaction.merchant_name)) == (
            source_key
        ):
            suggestions.append(_suggestion(candidate, "same_payee", 1.0))
        else:
            others.append(candidate)
    model = await _model_of(session, company_id)
    if model is not None and transaction.category_id in model.classes and others:
        guesses = await asyncio.to_thread(model.guess, [_example(row) for row in others])
        suggestions += [
            _suggestion(row, "model", guess.confidence)
            for row, guess in zip(others, guesses, strict=True)
            if guess.category_id == transaction.category_id
            and guess.confidence >= settings.learning_min_confidence
        ]
    # The same payee first, then the surest guesses; newest first among equals (a stable sort).
    suggestions.sort(key=lambda suggestion: -suggestion.confidence)
    return suggestions[:MAX_SUGGESTIONS]


async def suggest(
    session: AsyncSession,
    principal: Principal,
    transaction_id: uuid.UUID,
    settings: BankingSettings,
) -> Suggestions:
    """What the caller's transaction proposes for similar past ones."""
    transaction = await _shown(session, principal, transaction_id)
    return Suggestions(
        category_id=transaction.category_id,
        suggestions=await suggestions_for(session, principal.company_id, transaction, settings),
    )


async def apply_suggestions(
    session: AsyncSession,
    principal: Principal,
    transaction_id: uuid.UUID,
    transaction_ids: Sequence[uuid.UUID],
    now: datetime,
) -> SuggestionsApplied:
    """Give the transaction's category to these of the caller's transactions, as the caller's
    choice (audited); those whose category a person chose stay. 404 if any is not theirs."""
    source = await _shown(session, principal, transaction_id)
    if source.category_id is None:
        raise NothingToPropose("This transaction has no category to give to others.")
    wanted = sorted(set(transaction_ids) - {source.id})
    rows = await repository.shown_for_update(session, principal.company_id, wanted)
    if len(rows) != len(wanted):
        raise NotFound("No such transaction.")
    updated = [row for row in rows if row.category_source != CATEGORY_FROM_USER]
    skipped = [row.id for row in rows if row.category_source == CATEGORY_FROM_USER]
    before = [{"id": str(row.id), "category_id": row.category_id} for row in updated]
    for row in updated:
        row.category_id = source.category_id
        row.category_name = source.category_name
        row.category_source = CATEGORY_FROM_USER
        row.rule_id = None
        row.category_confidence = None
    await session.flush()
    if updated:
        await audit.record(
            session,
            principal.company_id,
            actor=audit.user_actor(principal.user_id),
            action="transaction.suggestions_applied",
            before={"source_transaction_id": str(source.id), "transactions": before},
            after={
                "category_id": source.category_id,
                "transaction_ids": [str(row.id) for row in updated],
            },
        )
        await correction_made(session, principal.company_id, now)
    return SuggestionsApplied(
        category_id=source.category_id,
        updated=[row.id for row in updated],
        skipped=skipped,
    )


async def train_due(database: Database, now: datetime, settings: BankingSettings) -> int:
    """Train the models of the companies whose corrections paused long enough; how many."""
    async with database.transaction() as session:
        due = await repository.due_for_training(session, now - TRAINING_DEBOUNCE, TRAININGS_PER_RUN)
    for company_id, corrected_at in due:
        await train_company(database, company_id, corrected_at, now, settings)
    return len(due)


async def train_company(
    database: Database,
    company_id: uuid.UUID,
    trained_from: datetime,
    now: datetime,
    settings: BankingSettings,
) -> None:
    """Train the company's model on its corrections (up to those of `trained_from`) and keep it;
    with fewer corrections or categories than the settings ask, it guesses nothing."""
    async with database.transaction() as session:
        examples = await repository.corrections(session, company_id, MAX_TRAINING_CORRECTIONS)
    model = await asyncio.to_thread(
        train, examples, settings.learning_min_corrections, settings.learning_min_categories
    )
    async with database.transaction() as session:
        kept = await repository.save_model(
            session,
            company_id,
            model.to_bytes() if model else None,
            corrections=len(examples),
            categories=len({example.category_id for example in examples}),
            trained_at=now,
            trained_from=trained_from,
        )
    log.info(
        "category_model_trained",
        company_id=str(company_id),
        corrections=len(examples),
        guessing=model is not None,
        kept=kept,
    )


async def learned_for_sync(
    session: AsyncSession,
    company_id: uuid.UUID,
    category_names: dict[str, str],
    settings: BankingSettings,
) -> Learned | None:
    """The company's model, when the company lets it categorise new transactions."""
    row = await repository.get(session, company_id)
    if row is None or not row.auto_apply or row.model is None:
        return None
    return Learned(Model.from_bytes(row.model), category_names, settings.learning_min_confidence)


async def guess_categories(rows: Sequence[dict[str, Any]], learned: Learned | None) -> None:
    """Give the new rows no rule matched the model's category, when it is sure enough."""
    if learned is None:
        return
    open_rows = [row for row in rows if row["category_source"] != CATEGORY_FROM_RULE]
    if not open_rows:
        return
    examples = [
        Example(
            row["description"],
            row["merchant_name"],
            row["pluggy_category_id"],
            row["type"],
            row["amount_cents"],
        )
        for row in open_rows
    ]
    guesses = await asyncio.to_thread(learned.model.guess, examples)
    for row, guess in zip(open_rows, guesses, strict=True):
        if guess.confidence >= learned.min_confidence:
            row |= {
                "category_id": guess.category_id,
                "category_name": learned.category_names.get(guess.category_id),
                "category_source": CATEGORY_FROM_MODEL,
                "rule_id": None,
                "category_confidence": round(guess.confidence, 4),
            }


async def _model_of(session: AsyncSession, company_id: uuid.UUID) -> Model | None:
    row = await repository.get(session, company_id)
    return Model.from_bytes(row.model) if row is not None and row.model is not None else None


async def _shown(
    session: AsyncSession, principal: Principal, transaction_id: uuid.UUID
) -> Transaction:
    """The caller's transaction (not hidden past its month's limit), or 404."""
    transaction = await session.get(Transaction, transaction_id)
    shown = transaction if transaction is not None and not transaction.over_limit else None
    return ensure_owned(shown, principal, "transaction")


def _payee_key(transaction: Transaction, *, by_merchant: bool) -> str:
    return payee(transaction.merchant_name if by_merchant else transaction.description)


def _example(transaction: Transaction) -> Example:
    return Example(
        transaction.description,
        transaction.merchant_name,
        transaction.pluggy_category_id,
        transaction.type,
        transaction.amount_cents,
    )


def _suggestion(transaction: Transaction, reason: Reason, confidence: float) -> Suggestion:
    return Suggestion(
        transaction_id=transaction.id,
        date=transaction.date,
        description=transaction.description,
        merchant_name=transaction.merchant_name,
        amount_cents=transaction.amount_cents,
        type=transaction.type,
        category_id=transaction.category_id,
        reason=reason,
        confidence=round(confidence, 4),
    )


def _read(row: CategoryLearning | None, settings: BankingSettings) -> LearningRead:
    model = None
    if row is not None and row.version:
        model = ModelRead(
            version=row.version,
            corrections=row.corrections,
            categories=row.categories,
            trained_at=row.trained_at,
            guessing=row.model is not None,
        )
    return LearningRead(
        auto_apply=bool(row and row.auto_apply),
        min_confidence=settings.learning_min_confidence,
        min_corrections=settings.learning_min_corrections,
        model=model,
    )
