"""What Pluggy allows our client to send per minute, by endpoint."""

from __future__ import annotations

from finhub_shared.provider_client import RateLimitRule

# Pluggy counts each endpoint separately, per minute (reference: providers.md, "Rate limits");
# the endpoints it does not list share the last, catch-all budget.
PLUGGY_RATE_LIMITS: tuple[RateLimitRule, ...] = (
    RateLimitRule("PATCH", r"/items/[^/]+", 20),
    RateLimitRule("POST", r"/auth", 360),
    RateLimitRule("GET", r"/accounts(/[^/]+)?", 360),
    RateLimitRule("GET", r"/transactions(/[^/]+)?", 360),
    RateLimitRule("GET", r"/v2/transactions", 360),
    RateLimitRule("GET", r"/investments(/[^/]+)?", 360),
    RateLimitRule("GET", r"/investments/[^/]+/transactions", 360),
    RateLimitRule("*", r".*", 360),
)
