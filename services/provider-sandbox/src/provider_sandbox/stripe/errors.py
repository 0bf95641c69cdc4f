"""Stripe's error shape: `{"error": {"type", "code", "message", "param", ...}}` with its status."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse


class StripeApiError(Exception):
    """An error answered the way Stripe answers it."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error: dict[str, Any] = {"type": error_type, "message": message}
        if code is not None:
            self.error["code"] = code
        if param is not None:
            self.error["param"] = param
        self.error.update(extra)


async def stripe_error_handler(_: Request, error: Exception) -> JSONResponse:
    """Render a StripeApiError."""
    assert isinstance(error, StripeApiError)
    return JSONResponse({"error": error.error}, status_code=error.status_code)


OBJECT_NAMES = {
    "cus": "customer",
    "prod": "product",
    "price": "price",
    "cs": "checkout.session",
    "sub": "subscription",
    "si": "subscription_item",
    "in": "invoice",
    "ii": "invoiceitem",
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "dp": "dispute",
    "issfr": "radar.early_fraud_warning",
    "pm": "payment_method",
    "evt": "event",
    "bps": "billing_portal.session",
    "file": "file",
    "we": "webhook_endpoint",
}


def resource_missing(object_id: str, param: str = "id") -> StripeApiError:
    """404 for an id that names nothing, worded as Stripe words it."""
    prefix = object_id.split("_", 1)[0]
    name = OBJECT_NAMES.get(prefix, "object")
    return StripeApiError(
        404, f"No such {name}: '{object_id}'", code="resource_missing", param=param
    )


def parameter_missing(param: str) -> StripeApiError:
    """400 for a required parameter that was not sent."""
    return StripeApiError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def invalid_param(param: str, message: str, code: str | None = None) -> StripeApiError:
    """400 for a parameter with an unusable value."""
    return StripeApiError(400, message, code=code, param=param)


def invalid_state(message: str, param: str | None = None) -> StripeApiError:
    """400 for a request the object's current state does not allow."""
    return StripeApiError(400, message, param=param)


def card_declined(decline_code: str, message: str, **extra: Any) -> StripeApiError:
    """402 for a declined card."""
    return StripeApiError(
        402,
        message,
        error_type="card_error",
        code="card_declined",
        decline_code=decline_code,
        **extra,
    )
