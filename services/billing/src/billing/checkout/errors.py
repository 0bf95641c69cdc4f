"""Errors of checkout and of the user's changes to a subscription."""

from __future__ import annotations

from finhub_shared.errors import Conflict, ProviderError


class SubscriptionAlreadyActive(Conflict):
    code = "subscription_already_active"


class CheckoutReplaced(Conflict):
    """A newer checkout request of the company, for another plan, replaced this one."""

    code = "checkout_replaced"


class CheckoutAlreadyPaid(Conflict):
    """The open checkout was paid while a new one was asked for: the subscription is coming."""

    code = "checkout_already_paid"


class NoActiveSubscription(Conflict):
    code = "no_active_subscription"


class PlanUnchanged(Conflict):
    code = "plan_unchanged"


class NoBillingAccount(Conflict):
    code = "no_billing_account"


class StripePriceMissing(ProviderError):
    """The plan has no Stripe price under its lookup key: an operator must create it."""

    code = "stripe_price_missing"
