"""Queries of insights: a company's history as insights read it, its stored insights, settings
and computation runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, Date, cast, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from banking.accounts.models import ACTIVE, BankAccount
from banking.categories import repository as categories
from banking.entitlements.models import CompanyEntitlement
from banking.insights.history import AccountBalance, CompanyHistory, Movement, ScheduledPayment
from banking.insights.models import Insight, InsightRun, InsightSettings
from banking.items.models import CLOSED_STATUSES, Item
from banking.money import BRAZIL_TIME, CALENDAR_ZONE, month_of_column
from banking.pix import models as pix
from banking.summary.repository import OWN_TRANSFERS_CATEGORY_PREFIX
from banking.transactions.models import CREDIT, DEBIT, Transaction

# How far back insights read: the forecast fits at most two years of days.
HISTORY_DAYS = 731
# Pluggy's statuses of a PIX date or automatic PIX payment still to be paid.
UPCOMING_PIX = ("SCHEDULED", "CREATED")


async def load_history(session: AsyncSession, company_id: UUID, today: date) -> CompanyHistory:
    """The company's bank accounts with their balances, its visible transactions of the last
    two years (not those hidden past a month's limit) and its PIX payments still to go out."""
    return CompanyHistory(
        company_id=company_id,
        today=today,
        accounts=await _accounts(session, company_id),
        movements=await _movements(session, company_id, today - timedelta(days=HISTORY_DAYS)),
        scheduled=await _scheduled(session, company_id, today),
    )


def _synced_accounts(company_id: UUID) -> tuple[ColumnElement[bool], ...]:
    """Active accounts of connections still open (as the dashboard counts them)."""
    return (
        BankAccount.company_id == company_id,
        BankAccount.status == ACTIVE,
        Item.status.not_in(CLOSED_STATUSES),
    )


async def _accounts(session: AsyncSession, company_id: UUID) -> tuple[AccountBalance, ...]:
    # Cash accounts only: a credit card's balance is a debt, not money to spend.
    reported = func.coalesce(
        BankAccount.pluggy_updated_at, BankAccount.last_synced_at, BankAccount.updated_at
    )
    statement = (
        select(
            BankAccount.id,
            func.coalesce(BankAccount.marketing_name, BankAccount.name),
            BankAccount.balance_cents,
            cast(func.timezone(CALENDAR_ZONE, reported), Date),
        )
        .join(Item, Item.id == BankAccount.item_id)
        .where(*_synced_accounts(company_id), BankAccount.type == "BANK")
        .order_by(BankAccount.created_at, BankAccount.id)
    )
    rows = await session.execute(statement)
    return tuple(AccountBalance(i, name, int(balance), day) for i, name, balance, day in rows)


async def _movements(session: AsyncSession, company_id: UUID, since: date) -> tuple[Movement, ...]:
    # Every account's, cards' included (their charges matter to unusual amounts); only cash
    # accounts have an AccountBalance.
    day = cast(func.timezone(CALENDAR_ZONE, Transaction.date), Date)
    statement = (
        categories.with_category(
            select(
                Transaction.id,
                Transaction.account_id,
                day,
                Transaction.amount_cents,
                Transaction.type,
                Transaction.description,
                Transaction.merchant_name,
                Transaction.category_id,
                categories.shown_name(),
            )
        )
        .join(BankAccount, BankAccount.id == Transaction.account_id)
        .join(Item, Item.id == BankAccount.item_id)
        .where(
            *_synced_accounts(company_id),
            Transaction.company_id == company_id,
            ~Transaction.over_limit,
            Transaction.date >= datetime.combine(since, time(), BRAZIL_TIME),
        )
        .order_by(Transaction.date, Transaction.id)
        .execution_options(yield_per=5000)
    )
    found: list[Movement] = []
    async for (
        tx_id,
        account_id,
        on,
        cents,
        kind,
        text,
        merchant,
        category,
        name,
    ) in await session.stream(statement):
        signed = cents if kind == CREDIT else -cents
        found.append(Movement(tx_id, account_id, on, signed, text, merchant, category, name))
    return tuple(found)


async def _scheduled(
    session: AsyncSession, company_id: UUID, today: date
) -> tuple[ScheduledPayment, ...]:
    by_date, automatic = pix.PixScheduledPayment, pix.PixMandatePayment
    statements = (
        # A PIX by date whose payment is still open, and an automatic PIX of an authorised mandate.
        select(by_date.scheduled_date, pix.PixPayment.amount_cents)
        .join(pix.PixPayment, pix.PixPayment.id == by_date.payment_id)
        .where(*_upcoming(by_date, by_date.scheduled_date, company_id, today))
        .where(pix.PixPayment.status.not_in(pix.FINAL_STATUSES)),
        select(automatic.date, automatic.amount_cents)
        .join(pix.PixMandate, pix.PixMandate.id == automatic.mandate_id)
        .where(*_upcoming(automatic, automatic.date, company_id, today))
        .where(pix.PixMandate.status == pix.MANDATE_AUTHORIZED),
    )
    rows = [row for statement in statements for row in await session.execute(statement)]
    # PIX payments are not tied to one of our accounts: the forecast picks the paying one.
    return tuple(ScheduledPayment(None, day, int(cents)) for day, cents in sorted(rows, key=tuple))


def _upcoming(
    payments: type[pix.PixScheduledPayment | pix.PixMandatePayment],
    day: InstrumentedAttribute[date],
    company_id: UUID,
    today: date,
) -> tuple[ColumnElement[bool], ...]:
    """Which of these PIX `payments` are the company's still to go out, from today on."""
    return payments.company_id == company_id, payments.status.in_(UPCOMING_PIX), day >= today


async def insights_of(session: AsyncSession, company_id: UUID) -> Sequence[Insight]:
    """Every stored insight of the company."""
    statement = select(Insight).where(Insight.company_id == company_id)
    return (await session.execute(statement)).scalars().all()


async def get(session: AsyncSession, company_id: UUID, insight_id: UUID) -> Insight | None:
    """The company's insight with this id (None for another company's)."""
    statement = select(Insight).where(Insight.company_id == company_id, Insight.id == insight_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def of_kind(session: AsyncSession, company_id: UUID, kind: str) -> Insight | None:
    """The company's latest insight of this kind."""
    statement = (
        select(Insight)
        .where(Insight.company_id == company_id, Insight.kind == kind)
        .order_by(Insight.computed_at.desc(), Insight.id)
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def delete_keys(session: AsyncSession, company_id: UUID, keys: Sequence[str]) -> None:
    """Forget these insights of the company."""
    if keys:
        await session.execute(
            delete(Insight).where(Insight.company_id == company_id, Insight.key.in_(keys))
        )


async def threshold(session: AsyncSession, company_id: UUID) -> int:
    """The company's low-balance threshold (0 until it sets one)."""
    settings = await session.get(InsightSettings, company_id)
    return settings.low_balance_threshold_cents if settings is not None else 0


async def save_threshold(session: AsyncSession, company_id: UUID, cents: int) -> None:
    """Keep the company's low-balance threshold."""
    statement = insert(InsightSettings).values(
        company_id=company_id, low_balance_threshold_cents=cents
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[InsightSettings.company_id],
            set_={"low_balance_threshold_cents": cents, "updated_at": func.now()},
        )
    )


async def run_of(session: AsyncSession, company_id: UUID) -> InsightRun | None:
    """When the company's insights were last asked for and computed."""
    return await session.get(InsightRun, company_id, populate_existing=True)


async def mark_requested(session: AsyncSession, company_id: UUID, now: datetime) -> None:
    await _save_run(session, company_id, {"requested_at": now})


async def mark_computed(session: AsyncSession, company_id: UUID, as_of: datetime) -> None:
    await _save_run(session, company_id, {"computed_at": as_of})


async def _save_run(session: AsyncSession, company_id: UUID, values: dict[str, datetime]) -> None:
    statement = insert(InsightRun).values(company_id=company_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[InsightRun.company_id], set_=values)
    )


async def companies_due(session: AsyncSession, since: datetime, limit: int) -> list[UUID]:
    """Companies whose plan includes insights, neither computed nor asked for since `since`."""
    statement = (
        select(CompanyEntitlement.company_id)
        .outerjoin(InsightRun, InsightRun.company_id == CompanyEntitlement.company_id)
        .where(
            CompanyEntitlement.insights != "none",
            or_(InsightRun.computed_at.is_(None), InsightRun.computed_at < since),
            or_(InsightRun.requested_at.is_(None), InsightRun.requested_at < since),
        )
        .order_by(CompanyEntitlement.company_id)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


async def spending_by_month_and_category(
    session: AsyncSession, company_id: UUID, start: date, end: date
) -> list[tuple[date, str | None, str | None, int]]:
    """Money out per Brazil calendar month and category in [start, end): (month, category id,
    its name as users read it, cents); visible transactions only, moves between own accounts
    left out."""
    month = month_of_column(Transaction.date)
    statement = (
        categories.with_category(
            select(
                month,
                Transaction.category_id,
                # The category's transactions share its translation; of stored names, any will do.
                func.max(categories.shown_name()),
                func.sum(Transaction.amount_cents),
            )
        )
        .join(BankAccount, BankAccount.id == Transaction.account_id)
        .where(
            Transaction.company_id == company_id,
            BankAccount.status == ACTIVE,
            Transaction.type == DEBIT,
            ~Transaction.over_limit,
            Transaction.date >= datetime.combine(start, time(), BRAZIL_TIME),
            Transaction.date < datetime.combine(end, time(), BRAZIL_TIME),
            func.coalesce(Transaction.category_id, "").not_like(
                f"{OWN_TRANSFERS_CATEGORY_PREFIX}%"
            ),
        )
        .group_by(month, Transaction.category_id)
        .order_by(month, Transaction.category_id)
    )
    return [(m, c, n, int(s)) for m, c, n, s in await session.execute(statement)]
