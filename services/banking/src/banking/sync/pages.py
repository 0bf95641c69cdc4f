"""Storing one page of a sync: its rows upserted, its new transactions counted against the
month's limit. A transaction that cannot be stored is left out and counted, never the page."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts.models import BankAccount
from banking.categories import repository as categories
from banking.categories.matching import Categorizer
from banking.entitlements import service as entitlements
from banking.learning import service as learning
from banking.pluggy.payloads import TransactionBatch
from banking.runtime import Runtime
from banking.sync.errors import Unstorable
from banking.sync.rows import categorise, transaction_row
from banking.transactions import repository as transactions
from banking.transactions.repository import Written
from banking.usage import service as usage

log = structlog.get_logger(__name__)

REFUSED_BY_DATABASE = "refused_by_database"


@dataclass(frozen=True)
class CompanyTerms:
    """What storing a company's transactions needs: its monthly limit, its rules, and its
    learned model when the company lets it categorise."""

    monthly_limit: int | None
    categorizer: Categorizer
    learned: learning.Learned | None = None


@dataclass
class Stored:
    """What storing pages changed, added up page after page."""

    created: int = 0
    updated: int = 0
    over_limit: int = 0
    months: set[date] = field(default_factory=set)
    newest_created_at: datetime | None = None
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def transactions(self) -> int:
        """The transactions stored, new or changed."""
        return self.created + self.updated

    def add(self, page: Stored) -> None:
        self.created += page.created
        self.updated += page.updated
        self.over_limit += page.over_limit
        self.months |= page.months
        self.skipped += page.skipped
        if page.newest_created_at is not None:
            newest = page.newest_created_at
            self.newest_created_at = max(newest, self.newest_created_at or newest)


async def company_terms(
    session: AsyncSession, runtime: Runtime, company_id: uuid.UUID, now: datetime
) -> CompanyTerms:
    """The company's monthly transaction limit, its categorisation rules and learned model."""
    rights = await entitlements.entitlements_for(session, company_id, runtime.trial_terms, now)
    names = await categories.category_names(session)
    categorizer = Categorizer(await categories.rules_of_company(session, company_id), names)
    learned = await learning.learned_for_sync(session, company_id, names, runtime.settings)
    return CompanyTerms(rights.transactions_per_month_limit, categorizer, learned)


async def store_page(
    session: AsyncSession, account: BankAccount, batch: TransactionBatch, terms: CompanyTerms
) -> Stored:
    """Upsert one page; count its new transactions against their months' limit."""
    page = Stored(skipped=Counter(batch.unreadable))
    rows: list[dict[str, Any]] = []
    for transaction in batch.transactions:
        try:
            rows.append(transaction_row(account, transaction))
        except Unstorable as refused:
            _skip(page, transaction.id, refused.reason)
    await categorise(rows, terms.categorizer)
    # Rules win: the model only categorises what no rule matched.
    await learning.guess_categories(rows, terms.learned)
    written = await upsert_leaving_out_refused(session, rows, page)
    over_limit = await usage.count_new_transactions(
        session, account.company_id, written.new_by_month, terms.monthly_limit
    )
    await transactions.flag_over_limit(session, over_limit)
    page.created = sum(len(ids) for ids in written.new_by_month.values())
    page.updated = written.updated
    page.over_limit = len(over_limit)
    page.months = set(written.new_by_month)
    page.newest_created_at = max((row["pluggy_created_at"] for row in rows), default=None)
    return page


async def upsert_leaving_out_refused(
    session: AsyncSession, rows: Sequence[dict[str, Any]], page: Stored
) -> Written:
    """The page in one statement; should PostgreSQL refuse a value, row by row without it."""
    try:
        async with session.begin_nested():
            return await transactions.upsert(session, rows)
    except DBAPIError as error:
        if not _refused_value(error):
            raise
    written = Written({}, 0)
    for row in rows:
        try:
            async with session.begin_nested():
                written = written.plus(await transactions.upsert(session, [row]))
        except DBAPIError as error:
            if not _refused_value(error):
                raise
            _skip(page, row["pluggy_transaction_id"], REFUSED_BY_DATABASE)
    return written


def _refused_value(error: DBAPIError) -> bool:
    """A data exception (SQLSTATE class 22), from PostgreSQL or the driver encoding a value."""
    return str(getattr(error.orig, "sqlstate", "")).startswith("22")


def _skip(page: Stored, pluggy_id: str, reason: str) -> None:
    page.skipped[reason] += 1
    log.warning("sync_transaction_skipped", pluggy_transaction_id=pluggy_id[:64], reason=reason)
