"""Errors of PIX payments."""

from __future__ import annotations

from finhub_shared.errors import Conflict, UnprocessableEntity


class MandateNotAuthorized(Conflict):
    """The payer has not authorised the mandate (or it was revoked)."""

    code = "mandate_not_authorized"


class PaymentNotCancellable(Conflict):
    code = "payment_not_cancellable"


class PaymentRefused(UnprocessableEntity):
    """Pluggy refused what the user entered (a PIX key it cannot find, a date it does not take)."""

    code = "payment_refused"
