"""A payment's and a mandate's state as the product shows it, from Pluggy's statuses."""

from __future__ import annotations

from banking.pix import models

_INTENT_FAILED = frozenset({"PAYMENT_REJECTED", "CONSENT_REJECTED", "REJECTED", "ERROR"})
_INTENT_PROCESSING = frozenset(
    {
        "CONSENT_AUTHORIZED",
        "PAYMENT_PENDING",
        "PAYMENT_PARTIALLY_ACCEPTED",
        "PAYMENT_SETTLEMENT_PROCESSING",
        "PAYMENT_SETTLEMENT_DEBTOR_ACCOUNT",
    }
)
_INTENT_WAITING = frozenset({"STARTED", "ENQUEUED", "CONSENT_AWAITING_AUTHORIZATION"})


def payment_status(request_status: str, intent_status: str | None) -> str:
    """The payment's state from its request's and its latest intent's statuses."""
    if request_status == "COMPLETED" or intent_status == "PAYMENT_COMPLETED":
        return models.COMPLETED
    if request_status in ("REFUNDED", "REFUND_IN_PROGRESS"):
        return models.REFUNDED
    if request_status == "CANCELED" or intent_status in ("CANCELED", "REVOKED"):
        return models.CANCELED
    if intent_status in ("PAYMENT_TIMEOUT", "EXPIRED") or request_status == "EXPIRED":
        return models.TIMED_OUT
    if request_status == "ERROR" or intent_status in _INTENT_FAILED:
        return models.FAILED
    if request_status == "SCHEDULED":
        return models.SCHEDULED
    if intent_status in _INTENT_PROCESSING:
        return models.PROCESSING
    if request_status == "WAITING_PAYER_AUTHORIZATION" or intent_status in _INTENT_WAITING:
        return models.WAITING_AUTHORIZATION
    return models.PENDING


def mandate_status(request_status: str) -> str:
    """The mandate's state from its payment request's status."""
    if request_status == "AUTHORIZED":
        return models.MANDATE_AUTHORIZED
    if request_status in ("CANCELED", "COMPLETED"):
        return models.MANDATE_CANCELED
    if request_status in ("ERROR", "EXPIRED"):
        return models.MANDATE_FAILED
    return models.MANDATE_PENDING


# A payment's state in words: ours (immediate and scheduled), Pluggy's (automatic PIX payments).
_MESSAGES = {
    models.PENDING: "The payment was created.",
    models.WAITING_AUTHORIZATION: "The payment waits for the payer to authorise it at the bank.",
    models.PROCESSING: "The bank is processing the payment.",
    models.SCHEDULED: "The payment is scheduled.",
    models.COMPLETED: "The payment was made.",
    models.FAILED: "The payment failed.",
    models.TIMED_OUT: "Nobody authorised the payment in time.",
    models.CANCELED: "The payment was cancelled.",
    models.REFUNDED: "The payment was refunded.",
    "SCHEDULED": "The automatic payment is scheduled.",
    "CREATED": "The automatic payment was sent to the bank.",
    "COMPLETED": "The automatic payment was made.",
    "CANCELED": "The automatic payment was cancelled.",
    "ERROR": "The automatic payment failed.",
}


def status_message(status: str) -> str:
    """What a payment's status means, for the user."""
    return _MESSAGES.get(status, f"The payment is now {status.lower()}.")
