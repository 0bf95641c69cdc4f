"""Errors about plans."""

from __future__ import annotations

from finhub_shared.errors import BadRequest, ProviderError


class InvalidPlan(BadRequest):
    code = "invalid_plan"


class StripeSetupFailed(ProviderError):
    """`stripe-setup` stopped: Stripe refused a call or could not be reached."""

    code = "stripe_setup_failed"
