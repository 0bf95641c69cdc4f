"""A partial update: Pluggy read the item but not every product (PARTIAL_SUCCESS), or read one
with warnings (a missing permission...). What failed is kept on the item (`product_issues`,
from Pluggy's statusDetail) and told in plain words: which products, which of the connection's
accounts they cover, and what to do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from banking.pluggy.payloads import ProductStatus

# Pluggy's products in plain words; one it adds later is shown by its own name.
PRODUCT_NAMES = {
    "accounts": "bank accounts",
    "creditCards": "credit cards",
    "transactions": "transactions",
    "investments": "investments",
    "investmentsTransactions": "investment transactions",
    "investmentTransactions": "investment transactions",
    "identity": "identity details",
    "paymentData": "payment data",
    "loans": "loans",
    "accountStatements": "account statements",
}
# Our accounts whose data each product brings: their type (None: every account of the item).
_ACCOUNT_TYPES: Mapping[str, str | None] = {
    "accounts": "BANK",
    "creditCards": "CREDIT",
    "transactions": None,
}
# Warnings told in the message (all are in the item's answer), and the length of each.
_WARNINGS_TOLD = 3
_WARNING_LENGTH = 200


@dataclass(frozen=True)
class BankWarning:
    code: str
    message: str
    provider_message: str | None


@dataclass(frozen=True)
class ProductIssue:
    """One product the last execution did not read (`updated` False) or read with warnings."""

    product: str
    updated: bool
    last_updated_at: datetime | None
    warnings: tuple[BankWarning, ...]

    @property
    def name(self) -> str:
        """The product in plain words."""
        return PRODUCT_NAMES.get(self.product, self.product)

    def covers(self, account_type: str) -> bool:
        """Whether this product brings the data of an account of this type."""
        if self.product not in _ACCOUNT_TYPES:
            return False
        wanted = _ACCOUNT_TYPES[self.product]
        return wanted is None or wanted == account_type


def issues_of(detail: Mapping[str, ProductStatus | None] | None) -> dict[str, Any] | None:
    """What to keep of Pluggy's statusDetail: the products not read or read with warnings."""
    kept = [
        {
            "product": product,
            "updated": status.is_updated is not False,
            "last_updated_at": status.last_updated_at.isoformat()
            if status.last_updated_at
            else None,
            "warnings": [
                {"code": w.code, "message": w.message, "provider_message": w.provider_message}
                for w in status.warnings or []
            ],
        }
        for product, status in (detail or {}).items()
        if status is not None and (status.is_updated is False or status.warnings)
    ]
    return {"products": kept} if kept else None


def read(stored: Mapping[str, Any] | None) -> list[ProductIssue]:
    """The issues kept on an item."""
    return [
        ProductIssue(
            product=entry["product"],
            updated=entry["updated"],
            last_updated_at=datetime.fromisoformat(entry["last_updated_at"])
            if entry["last_updated_at"]
            else None,
            warnings=tuple(BankWarning(**warning) for warning in entry["warnings"]),
        )
        for entry in (stored or {}).get("products", [])
    ]


def needs_reconnect(issues: Sequence[ProductIssue]) -> bool:
    """Warnings say what the bank lets Pluggy read (a permission, a consent): only the user
    can change that, by connecting again. A product that failed alone is tried again."""
    return any(issue.warnings for issue in issues)


def told(issues: Sequence[ProductIssue]) -> str:
    """The issues in plain words: what failed, what the bank said, and what to do."""
    failed = [issue.name for issue in issues if not issue.updated]
    parts = []
    if failed:
        parts.append(
            f"Your bank did not send your {_listed(failed)} at the last update; what you see "
            "of them is from the update before."
        )
    warnings = [w.message[:_WARNING_LENGTH] for issue in issues for w in issue.warnings]
    if warnings:
        parts.append(f"The bank says: {'; '.join(warnings[:_WARNINGS_TOLD])}.")
    if needs_reconnect(issues):
        warned = [issue.name for issue in issues if issue.warnings]
        parts.append(f"Reconnect the bank and allow access to your {_listed(warned)}.")
    else:
        parts.append(
            "The next update tries again by itself; if this keeps happening, reconnect the bank."
        )
    return " ".join(parts)


def _listed(names: Iterable[str]) -> str:
    """ "a", "a and b", "a, b and c", each once."""
    unique = list(dict.fromkeys(names))
    if len(unique) == 1:
        return unique[0]
    return f"{', '.join(unique[:-1])} and {unique[-1]}"
