"""`/v2/transactions` (cursor), the deprecated `/transactions` (pages) and `/transactions/{id}`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query
from pydantic import Field

from provider_sandbox.pluggy.bodies import CamelModel
from provider_sandbox.pluggy.clock import parse_timestamp
from provider_sandbox.pluggy.errors import bad_request, new_router, not_found
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox
from provider_sandbox.pluggy.transactions.catalog import CATEGORIES
from provider_sandbox.pluggy.transactions.ledger import Ledger
from provider_sandbox.pluggy.transactions.listing import (
    Filters,
    by_ids,
    cursor_page,
    numbered_page,
)
from provider_sandbox.responses import FastJSONResponse

router = new_router(tags=["Pluggy transactions"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]
MISSING_ACCOUNT = "accountId should not be null or undefined, accountId must be a UUID"


class UpdateTransaction(CamelModel):
    category_id: str = Field(alias="categoryId")


def _ledger(sandbox: PluggySandbox, account_id: str | None) -> Ledger:
    if not account_id:
        raise bad_request(MISSING_ACCOUNT)
    ledger = sandbox.ledgers.get(account_id)
    if ledger is None:
        raise not_found("account")
    return ledger


def _moment(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise bad_request(f"{name} must be a valid ISO 8601 date string") from error


def _split_ids(values: list[str]) -> list[str]:
    # Accepts `ids=a,b` as well as `ids=a&ids=b` (and `ids[]=`, as some clients send arrays).
    return [part for value in values for part in value.split(",") if part]


@router.get("/v2/transactions")
async def list_transactions_v2(
    sandbox: Sandbox,
    account_id: Annotated[str | None, Query(alias="accountId")] = None,
    date_from: Annotated[str | None, Query(alias="dateFrom")] = None,
    date_to: Annotated[str | None, Query(alias="dateTo")] = None,
    created_at_from: Annotated[str | None, Query(alias="createdAtFrom")] = None,
    ids: Annotated[str | None, Query()] = None,
    after: Annotated[str | None, Query()] = None,
) -> FastJSONResponse:
    """One page of the account's transactions, oldest first, and the query of the next page."""
    ledger = _ledger(sandbox, account_id)
    if date_from is not None and created_at_from is not None:
        raise bad_request("dateFrom and createdAtFrom cannot be used together")
    if ids is not None:
        return FastJSONResponse({"results": by_ids(ledger, _split_ids([ids])), "next": None})
    filters = Filters(
        date_from=_moment("dateFrom", date_from),
        date_to=_moment("dateTo", date_to),
        created_at_from=_moment("createdAtFrom", created_at_from),
    )
    return FastJSONResponse(cursor_page(ledger, filters, after, sandbox.transactions_page_size))


@router.get("/transactions", deprecated=True)
async def list_transactions(
    sandbox: Sandbox,
    account_id: Annotated[str | None, Query(alias="accountId")] = None,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
    created_at_from: Annotated[str | None, Query(alias="createdAtFrom")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=500)] = 500,
    ids: Annotated[list[str] | None, Query()] = None,
    ids_array: Annotated[list[str] | None, Query(alias="ids[]")] = None,
) -> FastJSONResponse:
    """One numbered page of the account's transactions (Pluggy removes this after 2026)."""
    ledger = _ledger(sandbox, account_id)
    if ids or ids_array:
        found = by_ids(ledger, _split_ids([*(ids or []), *(ids_array or [])]))
        return FastJSONResponse({"total": len(found), "totalPages": 1, "page": 1, "results": found})
    filters = Filters(
        date_from=_moment("from", date_from),
        date_to=_moment("to", date_to),
        created_at_from=_moment("createdAtFrom", created_at_from),
    )
    return FastJSONResponse(numbered_page(ledger, filters, page, page_size))


def _transaction_index(sandbox: PluggySandbox, transaction_id: str) -> tuple[Ledger, int]:
    ledger = sandbox.ledger_of_transaction(transaction_id)
    index = ledger.index_of(transaction_id) if ledger else None
    if ledger is None or index is None:
        raise not_found("transaction")
    return ledger, index


@router.get("/transactions/{transaction_id}")
async def get_transaction(transaction_id: str, sandbox: Sandbox) -> FastJSONResponse:
    """One transaction."""
    ledger, index = _transaction_index(sandbox, transaction_id)
    return FastJSONResponse(ledger.transaction(index))


@router.patch("/transactions/{transaction_id}")
async def recategorise_transaction(
    transaction_id: str, body: UpdateTransaction, sandbox: Sandbox
) -> FastJSONResponse:
    """Change a transaction's category (the user's own categorisation)."""
    ledger, index = _transaction_index(sandbox, transaction_id)
    category = CATEGORIES.get(body.category_id)
    if category is None:
        raise not_found("category")
    ledger.update(index, sandbox.now(), {"categoryId": body.category_id, "category": category})
    return FastJSONResponse(ledger.transaction(index))
