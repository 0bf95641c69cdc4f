"""Why a webhook delivery was refused; each code is counted in the metrics."""

from __future__ import annotations

from finhub_shared.errors import (
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)


class WebhookPayloadTooLarge(PayloadTooLarge):
    code = "payload_too_large"


class InvalidSignature(BadRequest):
    code = "invalid_signature"


class TimestampOutsideTolerance(BadRequest):
    code = "timestamp_outside_tolerance"


class LivemodeMismatch(BadRequest):
    code = "livemode_mismatch"


class MalformedEvent(BadRequest):
    code = "malformed_event"


class WebhookUnauthorized(Unauthorized):
    code = "unauthorized"


class SourceNotAllowed(Forbidden):
    code = "source_not_allowed"


class WebhookRateLimited(TooManyRequests):
    code = "rate_limited"


class StorageUnavailable(ServiceUnavailable):
    """The event could not be stored durably; the provider must retry."""

    code = "storage_unavailable"


# Refusals of a delivery's credentials (forged, or signed with a rotated secret): their log lines
# go to the `security` area.
CREDENTIAL_ERRORS = (
    InvalidSignature,
    TimestampOutsideTolerance,
    WebhookUnauthorized,
    SourceNotAllowed,
)
