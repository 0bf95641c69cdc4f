"""Listing an account's transactions: `/v2/transactions` (cursor) and `/transactions` (pages).

Filters become a range of transaction numbers; a page is then the next few numbers in that range
that were not deleted, built on demand, so paging 100,000 transactions holds one page at a time.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.errors import PluggyError, bad_request
from provider_sandbox.pluggy.transactions.ledger import Ledger

CURSOR_PAGE_SIZE = 500
MAX_IDS = 500


@dataclass(frozen=True)
class Filters:
    """The query filters both listings share (already parsed)."""

    date_from: datetime | None = None
    date_to: datetime | None = None
    created_at_from: datetime | None = None

    def number_range(self, ledger: Ledger) -> range:
        """The transaction numbers these filters let through (deleted ones still included)."""
        low, high = 0, ledger.size
        if self.date_from is not None:
            low = max(low, ledger.first_dated_from(self.date_from))
        if self.created_at_from is not None:
            low = max(low, ledger.first_created_from(self.created_at_from))
        if self.date_to is not None:
            # A date-only `to` includes that whole day.
            high = min(high, ledger.first_dated_from(self.date_to + timedelta(days=1)))
        return range(low, max(low, high))

    def as_query(self) -> dict[str, str]:
        """The filters as they appear in a query string (for a `next` link)."""
        query = {}
        if self.date_from is not None:
            query["dateFrom"] = self.date_from.date().isoformat()
        if self.date_to is not None:
            query["dateTo"] = self.date_to.date().isoformat()
        if self.created_at_from is not None:
            query["createdAtFrom"] = iso(self.created_at_from) or ""
        return query


def encode_cursor(ledger: Ledger, index: int) -> str:
    """Pluggy's cursor: base64 of `<date>|<transaction id>` of the last transaction returned."""
    text = f"{iso(ledger.date_of(index))}|{ledger.transaction_id(index)}"
    return base64.b64encode(text.encode()).decode()


def decode_cursor(ledger: Ledger, cursor: str) -> int:
    """The number of the transaction a cursor points at; 400 "Invalid cursor" otherwise."""
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise bad_request("Invalid cursor") from error
    _, _, transaction_id = text.partition("|")
    # A cursor stays valid when the transaction it names was deleted since.
    index = ledger.number_in_id(transaction_id)
    if index is None:
        raise bad_request("Invalid cursor")
    return index


def cursor_page(
    ledger: Ledger, filters: Filters, after: str | None, page_size: int = CURSOR_PAGE_SIZE
) -> dict[str, Any]:
    """One `/v2/transactions` page: `{results, next}`; `next` is the query string of the next."""
    numbers = filters.number_range(ledger)
    low = numbers.start
    if after is not None:
        low = max(low, decode_cursor(ledger, after) + 1)
    picked = []
    for index in ledger.alive(low, numbers.stop):
        picked.append(index)
        if len(picked) == page_size:
            break
    results = [ledger.transaction(index) for index in picked]
    more = bool(picked) and ledger.count_alive(picked[-1] + 1, numbers.stop) > 0
    next_query = None
    if more:
        query = {
            "accountId": ledger.account_id,
            **filters.as_query(),
            "after": encode_cursor(ledger, picked[-1]),
        }
        next_query = "?" + urlencode(query)
    return {"results": results, "next": next_query}


def numbered_page(ledger: Ledger, filters: Filters, page: int, page_size: int) -> dict[str, Any]:
    """One deprecated `/transactions` page: `{total, totalPages, page, results}`."""
    numbers = filters.number_range(ledger)
    total = ledger.count_alive(numbers.start, numbers.stop)
    skip = (page - 1) * page_size
    results = []
    if skip < total:
        first = ledger.nth_alive(numbers.start, skip)
        for index in ledger.alive(first, numbers.stop):
            results.append(ledger.transaction(index))
            if len(results) == page_size:
                break
    return {
        "total": total,
        "totalPages": -(-total // page_size),
        "page": page,
        "results": results,
    }


def by_ids(ledger: Ledger, ids: list[str]) -> list[dict[str, Any]]:
    """The transactions of this account among `ids`, in date order (unknown ids are skipped)."""
    if len(ids) > MAX_IDS:
        raise PluggyError(
            400,
            f"The ids parameter cannot have more than {MAX_IDS} transaction ids",
            "IDS_PARAMETER_EXCEEDS_MAX_LENGTH",
        )
    numbers = {ledger.index_of(transaction_id) for transaction_id in ids}
    return [ledger.transaction(index) for index in sorted(n for n in numbers if n is not None)]
