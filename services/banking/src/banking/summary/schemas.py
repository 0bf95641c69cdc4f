"""API shapes of the dashboard; money in integer cents."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class BalanceByType(BaseModel):
    """Accounts of one type: CHECKING_ACCOUNT, SAVINGS_ACCOUNT, CREDIT_CARD (owed)..."""

    account_type: str
    accounts: int
    balance_cents: int


class MonthTotals(BaseModel):
    month: str
    income_cents: int
    spending_cents: int


class CategorySpending(BaseModel):
    category_id: str | None
    category_name: str | None = Field(
        description="The category as users read it: Pluggy's pt-BR name, else the name stored "
        "with the transaction (Pluggy's English one when it has no translation)."
    )
    spending_cents: int


class MerchantSpending(BaseModel):
    merchant: str
    transactions: int
    spending_cents: int


class RecurringPayment(BaseModel):
    """A payment to the same payee, of about the same amount, in several months."""

    merchant: str
    months: int
    average_cents: int
    last_paid_at: datetime


class Summary(BaseModel):
    date_from: date
    date_to: date
    balances: list[BalanceByType]
    months: list[MonthTotals]
    spending_by_category: list[CategorySpending]
    top_merchants: list[MerchantSpending]
    recurring_payments: list[RecurringPayment]
    hidden_transactions: int = Field(
        description="Transactions of the period past their month's limit, left out of every "
        "figure above until the plan allows them (GET /api/banking/usage)."
    )
