"""One account's transactions: numbered, generated on demand, in date order, with later changes.

Transactions arrive in batches (the first sync's year of history, then each later sync's new
ones); batch dates never go back, so transaction number order is date order and every filter
(dateFrom/dateTo, createdAtFrom) is a range of numbers found by binary search. A transaction's id
encodes its number (the account's 10-byte prefix + the number), so a cursor or an `ids` filter
maps back to a number without any index. What is stored per account is small: the batches, the
running balance per transaction as 8-byte integers (bank accounts only), the few updated
transactions' changes and the deleted numbers.
"""

from __future__ import annotations

import bisect
import hashlib
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.transactions.catalog import AccountKind
from provider_sandbox.pluggy.transactions.generator import Holder, TransactionFactory

_INDEX_BYTES = 6
# A field a transaction is read without (see `Ledger.override`).
DROPPED: Any = object()


@dataclass(frozen=True)
class Batch:
    """Transactions `start`…`start + count - 1`, first seen by Pluggy at `created_at`.

    Their dates are spread over [first_date, first_date + count * slot): one per slot.
    """

    start: int
    count: int
    created_at: datetime
    first_date: datetime
    slot: timedelta

    @property
    def end(self) -> int:
        """One past the last transaction number of the batch."""
        return self.start + self.count

    @property
    def last_date(self) -> datetime:
        """The end of the batch's date span."""
        return self.first_date + self.slot * self.count


def id_prefix(account_id: str) -> bytes:
    """The first 10 bytes of every transaction id of the account (shaped as a version-4 UUID)."""
    prefix = bytearray(hashlib.blake2b(account_id.encode(), digest_size=10).digest())
    prefix[6] = (prefix[6] & 0x0F) | 0x40
    prefix[8] = (prefix[8] & 0x3F) | 0x80
    return bytes(prefix)


def prefix_of(transaction_id: str) -> bytes | None:
    """The account prefix of a transaction id (see `id_prefix`); None if it is no UUID."""
    try:
        return uuid.UUID(transaction_id).bytes[:10]
    except ValueError:
        return None


class Ledger:
    """Every transaction of one account, made on demand."""

    def __init__(
        self, account_id: str, kind: AccountKind, holder: Holder, opening_balance_cents: int
    ) -> None:
        self.account_id = account_id
        self.kind = kind
        self.prefix = id_prefix(account_id)
        # Scrambles the number in the ids' last bytes, so ids do not read as a counter.
        self._number_mask = int.from_bytes(
            hashlib.blake2b(self.prefix, digest_size=_INDEX_BYTES).digest(), "big"
        )
        self.factory = TransactionFactory(self.prefix, kind, holder)
        self.opening_balance_cents = opening_balance_cents
        self.batches: list[Batch] = []
        self._batch_starts: list[int] = []
        # Running balance after each transaction; credit-card statements have none.
        self._balances: array[int] | None = array("q") if kind != "CREDIT_CARD" else None
        self._changes: dict[int, dict[str, Any]] = {}
        self._deleted: list[int] = []

    @property
    def size(self) -> int:
        """How many transactions were ever made (deleted ones included)."""
        return self.batches[-1].end if self.batches else 0

    @property
    def last_created_at(self) -> datetime | None:
        """When the newest batch arrived; None before the first sync."""
        return self.batches[-1].created_at if self.batches else None

    @property
    def balance_cents(self) -> int:
        """The balance after the last transaction (bank accounts)."""
        if self._balances:
            return self._balances[-1]
        return self.opening_balance_cents

    def add_batch(self, count: int, created_at: datetime, first_date: datetime) -> range:
        """Make `count` new transactions dated from `first_date` up to `created_at`."""
        if self.batches:
            first_date = max(first_date, self.batches[-1].last_date)
        span = max(created_at - first_date, timedelta(seconds=count))
        batch = Batch(self.size, count, created_at, first_date, span / max(count, 1))
        self.batches.append(batch)
        self._batch_starts.append(batch.start)
        self._extend_balances(batch)
        return range(batch.start, batch.end)

    def _extend_balances(self, batch: Batch) -> None:
        if self._balances is None:
            return
        balance = self.balance_cents
        for index in range(batch.start, batch.end):
            balance += self.factory.amount_cents(index)
            self._balances.append(balance)

    def transaction_id(self, index: int) -> str:
        """The id of transaction `index`."""
        tail = (index ^ self._number_mask).to_bytes(_INDEX_BYTES, "big")
        # str(uuid.UUID(...)) spelled out: three times faster, and called for every transaction.
        digits = (self.prefix + tail).hex()
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"

    def number_in_id(self, transaction_id: str) -> int | None:
        """The number of a transaction of this account, deleted or not; None if it is not one."""
        try:
            raw = uuid.UUID(transaction_id).bytes
        except ValueError:
            return None
        index = int.from_bytes(raw[10:], "big") ^ self._number_mask
        if raw[:10] != self.prefix or index >= self.size:
            return None
        return index

    def index_of(self, transaction_id: str) -> int | None:
        """The number of a transaction of this account, or None (unknown or deleted)."""
        index = self.number_in_id(transaction_id)
        if index is None or self.is_deleted(index):
            return None
        return index

    def _batch_of(self, index: int) -> Batch:
        return self.batches[bisect.bisect_right(self._batch_starts, index) - 1]

    def date_of(self, index: int) -> datetime:
        """When transaction `index` happened."""
        batch = self._batch_of(index)
        position = index - batch.start + self.factory.slot_fraction(index)
        return batch.first_date + batch.slot * position

    def transaction(self, index: int) -> dict[str, Any]:
        """Transaction `index` in Pluggy's shape, with its later changes applied."""
        batch = self._batch_of(index)
        draft = self.factory.draft(index)
        date = batch.first_date + batch.slot * (index - batch.start + draft.slot_fraction)
        balance = self._balances[index] if self._balances is not None else None
        generated = self.factory.build(
            draft, self.transaction_id(index), self.account_id, date, batch.created_at, balance
        )
        changes = self._changes.get(index)
        if changes is None:
            return generated
        merged = {**generated, **changes}
        if any(value is DROPPED for value in changes.values()):
            return {name: value for name, value in merged.items() if value is not DROPPED}
        return merged

    def update(self, index: int, now: datetime, changes: dict[str, Any]) -> None:
        """Record a change to transaction `index` (e.g. PENDING → POSTED) made at `now`."""
        self._changes.setdefault(index, {}).update(changes, updatedAt=iso(now))

    def override(self, index: int, name: str, value: Any = DROPPED) -> None:
        """Make transaction `index` read as a bank sent it, however malformed: field `name` set
        to `value`, or left out; its updatedAt does not move."""
        self._changes.setdefault(index, {})[name] = value

    def delete(self, index: int) -> None:
        """Remove transaction `index` from every listing."""
        if not self.is_deleted(index):
            bisect.insort(self._deleted, index)

    def is_deleted(self, index: int) -> bool:
        """Whether transaction `index` was deleted."""
        position = bisect.bisect_left(self._deleted, index)
        return position < len(self._deleted) and self._deleted[position] == index

    def first_dated_from(self, moment: datetime) -> int:
        """The first transaction number dated at or after `moment`."""
        return bisect.bisect_left(range(self.size), moment, key=self.date_of)

    def first_created_from(self, moment: datetime) -> int:
        """The first transaction number Pluggy first saw at or after `moment`."""
        for batch in self.batches:
            if batch.created_at >= moment:
                return batch.start
        return self.size

    def deleted_between(self, low: int, high: int) -> int:
        """How many of the numbers low…high (inclusive) were deleted."""
        return bisect.bisect_right(self._deleted, high) - bisect.bisect_left(self._deleted, low)

    def nth_alive(self, low: int, n: int) -> int:
        """The number of the n-th (from 0) transaction not deleted at or after `low`.

        Each step adds the deletions counted so far; it converges on the answer from below.
        """
        position = low + n
        while True:
            candidate = low + n + self.deleted_between(low, position)
            if candidate == position:
                return position
            position = candidate

    def alive(self, low: int, high: int) -> Iterator[int]:
        """The numbers in [low, high) that were not deleted, in order."""
        for index in range(low, min(high, self.size)):
            if not self.is_deleted(index):
                yield index

    def count_alive(self, low: int, high: int) -> int:
        """How many numbers in [low, high) were not deleted."""
        high = min(high, self.size)
        if high <= low:
            return 0
        return high - low - self.deleted_between(low, high - 1)
