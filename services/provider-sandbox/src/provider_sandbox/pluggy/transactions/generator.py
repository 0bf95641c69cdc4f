"""Deterministic, lazy transaction synthesis: transaction number i of an account, on demand.

Every choice for transaction i (kind, party, amount, time within its slot, references) comes from
one BLAKE2b digest of the account's seed and i, so the same account always yields the same
transactions, any one of them can be made without the others, and nothing is kept in memory.

Amounts follow Pluggy's convention as its examples show it: on bank accounts a DEBIT is negative
and a CREDIT positive; on credit-card accounts purchases (DEBIT) are positive and bill payments
(CREDIT) negative. Clients should read the direction from `type`, never from the sign.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.transactions.catalog import (
    BANKS,
    BASE_COUNTS,
    CATEGORIES,
    TEMPLATES,
    AccountKind,
    Bank,
    Party,
    Template,
)

PENDING_CARD_WINDOW = timedelta(days=7)
# A first sync's history spans a year: BASE_COUNTS / 12 transactions make a month of it.
MONTHS_OF_HISTORY = 12


@dataclass(frozen=True)
class Holder:
    """The account holder as payment data shows them on their side of a transfer."""

    name: str
    document: str
    document_type: str
    bank: Bank
    branch: str
    account_number: str


class _Draws:
    """Successive pseudo-random numbers read from one digest (8 draws of 32 bits)."""

    def __init__(self, digest: bytes) -> None:
        self._digest = digest
        self._position = 0

    def number(self) -> int:
        start = self._position
        self._position += 4
        return int.from_bytes(self._digest[start : start + 4], "big")

    def below(self, limit: int) -> int:
        return self.number() % limit

    def fraction(self) -> float:
        return self.number() / 2**32


@dataclass(frozen=True)
class _Recurring:
    """A recurring template with the one party and amount it has on this account."""

    template: Template
    party: Party
    cents: int


@dataclass(frozen=True)
class Draft:
    """What the digest decides for one transaction before it is dated and shaped."""

    template: Template
    party: Party
    amount_cents: int
    installments: int
    reference: int
    slot_fraction: float


class TransactionFactory:
    """Makes transaction number i of one account."""

    def __init__(self, seed: bytes, kind: AccountKind, holder: Holder) -> None:
        self.seed = seed
        self.kind = kind
        self.holder = holder
        templates = TEMPLATES[kind]
        self._drawn = [template for template in templates if not template.recurring]
        self._cumulative_weights = list(
            itertools.accumulate(template.weight for template in self._drawn)
        )
        self._month = BASE_COUNTS[kind] // MONTHS_OF_HISTORY
        self._monthly = self._place_recurring(templates)

    def _place_recurring(self, templates: tuple[Template, ...]) -> dict[int, _Recurring]:
        """Which transaction of each month (numbers counted modulo a month's count) is which
        recurring template: the same place every month, spread over it, shifted per account."""
        phase = _Draws(hashlib.blake2b(b"month", key=self.seed).digest()).below(self._month)
        recurring = [(pick, each) for pick, each in enumerate(templates) if each.recurring]
        spacing = self._month / max(len(recurring), 1)
        return {
            (phase + int(order * spacing)) % self._month: self._recurring_choice(pick, template)
            for order, (pick, template) in enumerate(recurring)
        }

    def _recurring_choice(self, pick: int, template: Template) -> _Recurring:
        """The one party and amount of a recurring template for this account."""
        digest = hashlib.blake2b(b"recurring" + bytes([pick]), key=self.seed).digest()
        draws = _Draws(digest)
        party = template.parties[draws.below(len(template.parties))]
        cents = template.min_cents + draws.below(template.max_cents - template.min_cents)
        return _Recurring(template, party, cents)

    def digest(self, index: int) -> bytes:
        """The 32 bytes every choice for transaction `index` is read from."""
        return hashlib.blake2b(index.to_bytes(8, "big"), key=self.seed, digest_size=32).digest()

    def slot_fraction(self, index: int) -> float:
        """Where in its time slot transaction `index` falls (0 ≤ f < 1), from the digest's tail."""
        return _slot_fraction(self.digest(index))

    def draft(self, index: int) -> Draft:
        """The kind, party, amount and time slot share of transaction `index`."""
        digest = self.digest(index)
        draws = _Draws(digest)
        recurring = self._monthly.get(index % self._month)
        if recurring is not None:
            template, party, cents = recurring.template, recurring.party, recurring.cents
        else:
            pick = bisect.bisect_right(
                self._cumulative_weights, draws.below(self._cumulative_weights[-1])
            )
            template = self._drawn[pick]
            party = template.parties[draws.below(len(template.parties))]
            # Skewed towards small amounts, as real statements are.
            share = draws.fraction() ** 2
            cents = template.min_cents + int(share * (template.max_cents - template.min_cents))
        installments = 1
        if template.is_card_purchase and self.kind == "CREDIT_CARD" and cents > 50_000:
            installments = (2, 3, 4, 6, 10)[draws.below(5)]
        return Draft(template, party, cents, installments, draws.number(), _slot_fraction(digest))

    def signed_amount_cents(self, draft: Draft) -> int:
        """The amount as Pluggy reports it on this kind of account (see the module docstring)."""
        money_out = draft.template.type == "DEBIT"
        if self.kind == "CREDIT_CARD":
            money_out = not money_out
        return -draft.amount_cents if money_out else draft.amount_cents

    def amount_cents(self, index: int) -> int:
        """Transaction `index`'s signed amount, without building the rest of it."""
        return self.signed_amount_cents(self.draft(index))

    def build(
        self,
        draft: Draft,
        transaction_id: str,
        account_id: str,
        date: datetime,
        created_at: datetime,
        balance_cents: int | None,
    ) -> dict[str, Any]:
        """A drafted transaction in Pluggy's shape."""
        template, party = draft.template, draft.party
        category_id = party.category_id or template.category_id
        is_pending = self.kind == "CREDIT_CARD" and date > created_at - PENDING_CARD_WINDOW
        first_seen, happened = iso(created_at), iso(date)
        return {
            "id": transaction_id,
            "accountId": account_id,
            "description": template.description.format(name=party.name),
            "descriptionRaw": template.raw.format(name=_statement_text(party.name)),
            "currencyCode": "BRL",
            "amount": self.signed_amount_cents(draft) / 100,
            "amountInAccountCurrency": None,
            "date": happened,
            "balance": None if balance_cents is None else balance_cents / 100,
            "category": CATEGORIES[category_id],
            "categoryId": category_id,
            "type": template.type,
            "status": "PENDING" if is_pending else "POSTED",
            "providerCode": f"{draft.reference % 10**9:09d}",
            "providerId": None,
            "operationType": None,
            "operationTypeAdditionalInfo": None,
            "paymentData": self._payment_data(draft, date),
            "creditCardMetadata": self._card_metadata(draft, date),
            "merchant": _merchant(party) if party.business_name else None,
            "createdAt": first_seen,
            "updatedAt": first_seen,
        }

    def _payment_data(self, draft: Draft, date: datetime) -> dict[str, Any] | None:
        method = draft.template.method
        if method is None:
            return None
        bank = BANKS[draft.reference % len(BANKS)]
        counterparty = _participant(draft.party, bank, draft.reference)
        holder = self._holder_participant()
        money_in = draft.template.type == "CREDIT"
        return {
            "payer": counterparty if money_in else holder,
            "receiver": holder if money_in else counterparty,
            "reason": None,
            "referenceNumber": _reference_number(method, bank, date, draft.reference),
            "receiverReferenceId": None,
            "paymentMethod": method,
            "boletoMetadata": _boleto(draft) if method == "BOLETO" else None,
        }

    def _holder_participant(self) -> dict[str, Any]:
        holder = self.holder
        return {
            "documentNumber": {"type": holder.document_type, "value": holder.document},
            "name": holder.name,
            "accountNumber": holder.account_number,
            "branchNumber": holder.branch,
            "routingNumber": holder.bank.compe,
            "routingNumberISPB": holder.bank.ispb,
        }

    def _card_metadata(self, draft: Draft, date: datetime) -> dict[str, Any] | None:
        if self.kind != "CREDIT_CARD" or not draft.template.is_card_purchase:
            return None
        return {
            "installmentNumber": 1,
            "totalInstallments": draft.installments,
            "totalAmount": draft.amount_cents * draft.installments / 100,
            "purchaseDate": iso(date),
            "payeeMCC": draft.party.mcc,
            "cardNumber": self.holder.account_number[-4:],
            "billId": None,
        }


def _slot_fraction(digest: bytes) -> float:
    # The digest's last four bytes; the draws use the first ones.
    return int.from_bytes(digest[28:32], "big") / 2**32


@functools.cache
def _statement_text(name: str) -> str:
    """A name as a bank statement line prints it: upper case, no accents."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()


def _merchant(party: Party) -> dict[str, Any]:
    return {
        "name": party.name,
        "businessName": party.business_name,
        "cnpj": party.document,
        "cnae": party.cnae,
        "category": CATEGORIES.get(party.category_id or "", None),
    }


def _participant(party: Party, bank: Bank, reference: int) -> dict[str, Any]:
    return {
        "documentNumber": {"type": party.document_type, "value": party.document},
        "name": party.business_name or party.name,
        "accountNumber": f"{reference % 10**7:07d}-{reference % 9}",
        "branchNumber": f"{reference % 9000 + 1000:04d}",
        "routingNumber": bank.compe,
        "routingNumberISPB": bank.ispb,
    }


def _reference_number(method: str, bank: Bank, date: datetime, reference: int) -> str:
    if method == "PIX":
        # An end-to-end id: E + payer ISPB + yyyyMMddHHmm + 11 characters.
        return f"E{bank.ispb}{date:%Y%m%d%H%M}{reference:011d}"[:32]
    return f"{reference % 10**12:012d}"


def _boleto(draft: Draft) -> dict[str, Any]:
    digits = f"{draft.reference:010d}" * 5
    return {
        "digitableLine": digits[:47],
        "barcode": digits[3:47],
        "baseAmount": draft.amount_cents / 100,
        "interestAmount": 0,
        "penaltyAmount": 0,
        "discountAmount": 0,
    }
