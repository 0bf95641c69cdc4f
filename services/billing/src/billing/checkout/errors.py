"""Errors of checkout and of the user's changes to a subscription."""

from __future__ import annotations

from finhub_shared.errors import Conflict, ProviderError


class SubscriptionAlreadyActive(Conflict):
    code = "subscription_already_active"


class NoActiveSubscription(Conflict):
    code = "no_active_subscription"


class PlanUnchanged(Conflict):
    code = "plan_unchanged"


class NoBillingAccount(Conflict):
    code = "no_billing_account"


class StripePriceMissing(ProviderError):
    """The plan has no Stripe price under its lookup key: an operator must create it."""

    code = "stripe_price_missing"
