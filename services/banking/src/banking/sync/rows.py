"""Pluggy's transactions as rows PostgreSQL accepts.

Provider data is made storable here, at the boundary: text loses what PostgreSQL refuses (NUL,
lone surrogates) and is cut to its column; amounts and moments are checked against what the
columns and our calendar hold. A transaction that still does not fit is refused with a short
reason, so that the rest of its page is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String

from banking.accounts.models import BankAccount
from banking.categories.matching import Candidate, Categorizer
from banking.fields import FIRST_DAY, LAST_DAY
from banking.money import to_cents
from banking.pluggy import payloads as pluggy
from banking.sync.errors import Unstorable
from banking.transactions.models import (
    CATEGORY_FROM_PLUGGY,
    CATEGORY_FROM_RULE,
    CREDIT,
    DEBIT,
    Transaction,
)
from finhub_shared.db import table_of
from finhub_shared.fields import MAX_BIGINT, encodable

# Descriptions are TEXT, yet a bank's line is a few dozen characters: a longer one is a provider
# fault, kept to this much rather than stored whole in every listing.
MAX_DESCRIPTION = 1000
# Amounts whose cents do not fit a BIGINT.
_AMOUNT_LIMIT = Decimal(MAX_BIGINT) / 100
_EARLIEST = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
_LATEST = datetime(LAST_DAY.year, LAST_DAY.month, LAST_DAY.day, tzinfo=UTC)


def _column_lengths() -> dict[str, int]:
    table = table_of(Transaction)
    return {
        column.name: column.type.length
        for column in table.columns
        if isinstance(column.type, String) and column.type.length is not None
    }


_LENGTHS = _column_lengths()


def transaction_row(account: BankAccount, transaction: pluggy.Transaction) -> dict[str, Any]:
    """The table row of one Pluggy transaction, with Pluggy's category; Unstorable if none fits."""
    amount_cents = _cents(transaction.amount)
    description = cleaned(transaction.description, MAX_DESCRIPTION)
    merchant = transaction.merchant
    merchant_name = _optional(
        (merchant.name or merchant.business_name) if merchant else None, "merchant_name"
    )
    category_id = _code(transaction.category_id, "category_id")
    row: dict[str, Any] = {
        "company_id": account.company_id,
        "account_id": account.id,
        "pluggy_transaction_id": _key(transaction.id),
        "date": _moment(transaction.date, "date"),
        "description": description,
        "merchant_name": merchant_name,
        "amount_cents": amount_cents,
        "type": _direction(transaction),
        "currency_code": _required_code(transaction.currency_code, "currency_code"),
        "status": _optional(transaction.status, "status"),
        "pluggy_category_id": category_id,
        "category_id": category_id,
        "category_name": _optional(transaction.category, "category_name"),
        "category_source": CATEGORY_FROM_PLUGGY if category_id else None,
        "rule_id": None,
        "category_confidence": None,
        "pluggy_created_at": _moment(transaction.created_at, "created_at"),
        "pluggy_updated_at": _moment(transaction.updated_at, "updated_at"),
    }
    return row


async def categorise(rows: Sequence[dict[str, Any]], categorizer: Categorizer) -> None:
    """Give each row the category of the first company rule it matches, over Pluggy's."""
    candidates = [
        Candidate(row["description"], row["merchant_name"], row["amount_cents"], row["account_id"])
        for row in rows
    ]
    for row, match in zip(rows, await categorizer.match_all(candidates), strict=True):
        if match is not None:
            row |= {
                "category_id": match.category_id,
                "category_name": match.category_name,
                "category_source": CATEGORY_FROM_RULE,
                "rule_id": match.rule_id,
            }


def cleaned(text: str, limit: int | None) -> str:
    """The text without what PostgreSQL cannot store (NUL, lone surrogates), cut to `limit`."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii() and not encodable(text):
        # A lone surrogate has no UTF-8 form: it becomes "?", its neighbours stay.
        text = text.encode("utf-8", "replace").decode()
    return text if limit is None else text[:limit]


def _optional(text: str | None, column: str) -> str | None:
    """Free text of a column: cleaned and cut to its size."""
    return None if text is None else cleaned(text, _LENGTHS[column])


def _code(code: str | None, column: str) -> str | None:
    """An identifier Pluggy gives: cut, it would name something else, so one too long is dropped."""
    if code is None:
        return None
    code = cleaned(code, None)
    return code if len(code) <= _LENGTHS[column] else None


def _required_code(code: str, column: str) -> str:
    fitting = _code(code, column)
    if not fitting:
        raise Unstorable(f"{column}_unstorable")
    return fitting


def _key(identifier: str) -> str:
    """Pluggy's id of the transaction, our key to it: stored exactly as given or not at all."""
    if len(identifier) > _LENGTHS["pluggy_transaction_id"] or cleaned(identifier, None) != (
        identifier
    ):
        raise Unstorable("id_unstorable")
    return identifier


def _cents(amount: Decimal) -> int:
    """The amount's size in cents (the direction is `type`), within a BIGINT."""
    if not amount.is_finite() or abs(amount) >= _AMOUNT_LIMIT:
        raise Unstorable("amount_out_of_range")
    return abs(to_cents(amount))


def _moment(moment: datetime, field: str) -> datetime:
    """A moment within our calendar; one without a zone is UTC, as Pluggy's are."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not _EARLIEST <= moment <= _LATEST:
        raise Unstorable(f"{field}_out_of_range")
    return moment


def _direction(transaction: pluggy.Transaction) -> str:
    """DEBIT (money out) or CREDIT (money in), from Pluggy's `type`; the sign is a fallback."""
    if transaction.type in (DEBIT, CREDIT):
        return transaction.type
    return CREDIT if transaction.amount > 0 else DEBIT
