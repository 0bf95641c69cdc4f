"""Pluggy's rate limits, off unless `SANDBOX_PLUGGY_RATE_LIMITS=true` or the control API says so.

Each endpoint Pluggy documents has its own budget per minute (the table the shared client keeps,
`PLUGGY_RATE_LIMITS`). Pluggy counts per source IP; the sandbox, where every service shares one
address, counts per API key (per client address for `POST /auth`, which has none), in fixed
one-minute windows of the sandbox clock, and answers over-budget requests with Pluggy's 429.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from finhub_shared.provider_client import PLUGGY_RATE_LIMITS, RateLimitRule
from provider_sandbox.pluggy.errors import PluggyError

# The client's catch-all rule ("*") is its own caution; Pluggy limits only the endpoints it names.
DOCUMENTED_LIMITS: tuple[RateLimitRule, ...] = tuple(
    rule for rule in PLUGGY_RATE_LIMITS if rule.method != "*"
)
WINDOW = timedelta(minutes=1)
# Pluggy's documentation: Retry-After is always 60 seconds; RateLimit-Reset is the true wait.
RETRY_AFTER_SECONDS = 60


@dataclass
class RateLimiter:
    """Counts requests per caller and endpoint group; refuses those over Pluggy's budget."""

    enabled: bool
    # (caller, rule index) → (start of the current window, requests counted in it)
    _windows: dict[tuple[str, int], tuple[datetime, int]] = field(default_factory=dict)

    def count(self, caller: str, method: str, path: str, now: datetime) -> None:
        """Count one request; raises Pluggy's 429 when its endpoint's budget is spent."""
        if not self.enabled:
            return
        for index, rule in enumerate(DOCUMENTED_LIMITS):
            if rule.matches(method, path):
                self._spend((caller, index), rule.per_minute, now)
                return

    def _spend(self, key: tuple[str, int], limit: int, now: datetime) -> None:
        started, used = self._windows.get(key, (now, 0))
        if now - started >= WINDOW:
            started, used = now, 0
        if used >= limit:
            raise too_many_requests(limit, started + WINDOW - now)
        self._windows[key] = (started, used + 1)

    def as_json(self) -> dict[str, Any]:
        """Whether the limits are on, and what they are."""
        limits = [
            {"method": rule.method, "path": rule.path_pattern, "perMinute": rule.per_minute}
            for rule in DOCUMENTED_LIMITS
        ]
        return {"enabled": self.enabled, "limits": limits}


def too_many_requests(limit: int, reset_in: timedelta) -> PluggyError:
    """Pluggy's 429 with its rate-limit headers."""
    headers = {
        "Retry-After": str(RETRY_AFTER_SECONDS),
        "RateLimit-Limit": str(limit),
        "RateLimit-Reset": str(max(1, math.ceil(reset_in.total_seconds()))),
    }
    return PluggyError(429, "Too many requests, please try again later.", headers=headers)
