"""Is a delivery really from Stripe or Pluggy? Signature, age, secret header, source address."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address

import stripe

from webhook_gateway.config import Network
from webhook_gateway.webhooks.errors import (
    InvalidSignature,
    SourceNotAllowed,
    TimestampOutsideTolerance,
    WebhookUnauthorized,
)

PLUGGY_SECRET_HEADER = "x-webhook-secret"
STRIPE_SCHEME = "v1"
# ASCII digits only: int() would also read "+1", " 1", "1_0" or other scripts' digits, and a
# timestamp read two ways is how an old signature passed a fresh-looking age check.
STRIPE_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def verify_stripe_signature(
    payload: bytes, header: str | None, secrets: Sequence[str], tolerance: int, now: float
) -> None:
    """Check `Stripe-Signature` over the raw body against every configured secret, then its age."""
    signed_at, signatures = _parse_stripe_header(header)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSignature("The body is not what Stripe signed.") from None
    # Stripe's library checks the header rebuilt from what we parsed, so the timestamp it
    # verifies is the very one whose age is checked below.
    canonical = ",".join([f"t={signed_at}", *(f"v1={signature}" for signature in signatures)])
    if not any(_stripe_signature_matches(text, canonical, secret) for secret in secrets):
        raise InvalidSignature("No signature in Stripe-Signature matches the body.")
    if now - signed_at > tolerance:
        raise TimestampOutsideTolerance(
            f"The signature is older than the {tolerance} s tolerance (a replay?)."
        )


def _parse_stripe_header(header: str | None) -> tuple[int, list[str]]:
    """The one timestamp and the v1 signatures; an ambiguous timestamp is refused."""
    if not header:
        raise InvalidSignature("The Stripe-Signature header is missing.")
    items = [item.partition("=") for item in header.split(",")]
    timestamps = [value for key, _, value in items if key == "t"]
    signatures = [value for key, _, value in items if key == STRIPE_SCHEME]
    if len(timestamps) != 1 or not STRIPE_TIMESTAMP.fullmatch(timestamps[0]):
        raise InvalidSignature("Stripe-Signature must hold exactly one t=<decimal seconds>.")
    if not signatures:
        raise InvalidSignature("Stripe-Signature holds no v1 signature.")
    return int(timestamps[0]), signatures


def _stripe_signature_matches(text: str, header: str, secret: str) -> bool:
    try:
        # tolerance=None: the age is checked separately, to answer with its own code.
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        return False
    return True


def verify_pluggy_secret(headers: Mapping[str, str], secrets: Sequence[str]) -> None:
    """Require the secret header we registered with Pluggy, compared in constant time."""
    presented = headers.get(PLUGGY_SECRET_HEADER, "").encode()
    matches = [hmac.compare_digest(presented, secret.encode()) for secret in secrets]
    if not presented or not any(matches):
        raise WebhookUnauthorized("The webhook secret header is missing or wrong.")


def verify_pluggy_source(
    peer: str | None,
    forwarded_for: str | None,
    allowed: Sequence[Network],
    trusted_proxies: Sequence[Network],
) -> None:
    """When an allowlist is configured, the client address must be in it."""
    if not allowed:
        return
    client = client_address(peer, forwarded_for, trusted_proxies)
    if client is None or not any(client in network for network in allowed):
        raise SourceNotAllowed("Deliveries are not accepted from this address.")


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[Network]
) -> IPv4Address | IPv6Address | None:
    """The direct peer, or the last X-Forwarded-For hop that is not one of our proxies."""
    current = _parse_address(peer)
    if not forwarded_for:
        return current
    hops = [part.strip() for part in forwarded_for.split(",")]
    # Walk from our side outwards; each hop is believed only if the one after it is our proxy.
    while current is not None and _is_trusted(current, trusted_proxies) and hops:
        current = _parse_address(hops.pop())
    return current


def _is_trusted(address: IPv4Address | IPv6Address, trusted_proxies: Sequence[Network]) -> bool:
    return any(address in network for network in trusted_proxies)


def _parse_address(text: str | None) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text) if text else None
    except ValueError:
        return None
