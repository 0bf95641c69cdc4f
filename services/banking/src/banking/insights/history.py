"""What every insight is computed from: a company's accounts, movements and scheduled payments,
read once from the database and handed to pure functions (so each can be tested on made-up data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class Movement:
    """One transaction as insights see it; money in is positive, money out negative."""

    transaction_id: UUID
    account_id: UUID
    day: date
    amount_cents: int
    description: str
    merchant: str | None
    # Pluggy's category id ("05070000"), as transactions store it.
    category_id: str | None
    # As users read it: Pluggy's pt-BR name when its tree has one (the texts are in pt-BR).
    category_name: str | None


@dataclass(frozen=True)
class AccountBalance:
    """A bank account and its balance as the bank last reported it."""

    account_id: UUID
    name: str
    balance_cents: int
    balance_on: date


@dataclass(frozen=True)
class ScheduledPayment:
    """A PIX payment scheduled ahead, money that will leave on `day`."""

    account_id: UUID | None
    day: date
    amount_cents: int


@dataclass(frozen=True)
class CompanyHistory:
    """Everything insights know of one company on `today` (a day in Brazil's time zone)."""

    company_id: UUID
    today: date
    accounts: tuple[AccountBalance, ...]
    movements: tuple[Movement, ...]
    scheduled: tuple[ScheduledPayment, ...]
