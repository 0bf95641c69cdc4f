"""Which provider events the gateway routes, and what each must carry."""

from __future__ import annotations

# Stripe event type → the `object` its data.object must be.
STRIPE_EVENT_OBJECTS: dict[str, str] = {
    **{
        f"checkout.session.{name}": "checkout.session"
        for name in ("completed", "expired", "async_payment_succeeded", "async_payment_failed")
    },
    **{
        f"customer.subscription.{name}": "subscription"
        for name in ("created", "updated", "deleted", "paused", "resumed", "trial_will_end")
    },
    **{
        f"invoice.{name}": "invoice"
        for name in (
            "created",
            "finalized",
            "finalization_failed",
            "paid",
            "payment_succeeded",
            "payment_failed",
            "payment_action_required",
            "upcoming",
            "marked_uncollectible",
            "voided",
        )
    },
    **{
        f"payment_intent.{name}": "payment_intent"
        for name in ("succeeded", "payment_failed", "requires_action", "canceled", "processing")
    },
    **{f"charge.{name}": "charge" for name in ("succeeded", "failed", "refunded")},
    "charge.refund.updated": "refund",
    **{f"refund.{name}": "refund" for name in ("created", "updated", "failed")},
    **{
        f"charge.dispute.{name}": "dispute"
        for name in ("created", "updated", "closed", "funds_withdrawn", "funds_reinstated")
    },
    **{
        f"radar.early_fraud_warning.{name}": "radar.early_fraud_warning"
        for name in ("created", "updated")
    },
    **{f"customer.{name}": "customer" for name in ("created", "updated", "deleted")},
    **{
        f"payment_method.{name}": "payment_method"
        for name in ("attached", "detached", "updated", "automatically_updated")
    },
}

_ITEM = ("itemId",)
_TRANSACTIONS_CHANGED = ("itemId", "accountId", "transactionIds")
_PAYMENT_INTENT = ("paymentIntentId",)
_SCHEDULED_PAYMENT = ("paymentRequestId",)

# Pluggy event → the fields its payload must carry besides `event` and `eventId`. Fields that
# Pluggy's documentation leaves unconfirmed are not required, so a real delivery is never refused.
PLUGGY_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    **{
        f"item/{name}": _ITEM
        for name in (
            "created",
            "updated",
            "error",
            "deleted",
            "waiting_user_input",
            "waiting_user_action",
            "login_succeeded",
        )
    },
    "connector/status_updated": (),
    "transactions/created": ("itemId", "accountId"),
    "transactions/updated": _TRANSACTIONS_CHANGED,
    "transactions/deleted": _TRANSACTIONS_CHANGED,
    **{
        f"payment_intent/{name}": _PAYMENT_INTENT
        for name in ("created", "completed", "waiting_payer_authorization", "error")
    },
    "payment_request/updated": ("paymentRequestId",),
    **{
        f"scheduled_payment/{name}": _SCHEDULED_PAYMENT
        for name in ("created", "completed", "error", "canceled", "all_created", "all_completed")
    },
    "boleto/updated": (),
    **{
        f"automatic_pix_payment/{name}": ()
        for name in ("created", "completed", "error", "canceled")
    },
    **{
        f"smart_transfer_preauthorization/{name}": ("smartTransferPreauthorizationId",)
        for name in ("completed", "error")
    },
    **{
        f"smart_transfer_payment/{name}": ("smartTransferPaymentId",)
        for name in ("completed", "error")
    },
    # Named by the current product though absent from Pluggy's published list.
    "accounts/created": _ITEM,
    "accounts/updated": _ITEM,
    "consent/revoked": _ITEM,
}
