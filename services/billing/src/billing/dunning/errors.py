"""What a dunning retry can meet at Stripe besides a charge (never shown over HTTP)."""

from __future__ import annotations


class RetryDeclined(Exception):
    """Stripe declined the retry's charge (a 402 card error); the invoice is still open."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvoiceNotPayable(Exception):
    """Stripe refused to charge the invoice at all (a 400): it is no longer open (paid on its
    page, voided), or the card to charge is gone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
