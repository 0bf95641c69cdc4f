"""Pluggy's rate limits, off unless `SANDBOX_PLUGGY_RATE_LIMITS=true` or the control API says so.

Each endpoint Pluggy documents has its own budget per minute, stated here as Pluggy's documentation
gives it (docs.pluggy.ai/docs/rate-limits), never taken from our client: the sandbox is what catches
a client that gets them wrong. Pluggy counts per source IP; the sandbox, where every service shares
one address, counts per API key (per client address for `POST /auth`, which has none), in fixed
one-minute windows of the sandbox clock, and answers over-budget requests with Pluggy's 429.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from provider_sandbox.pluggy.errors import PluggyError


@dataclass(frozen=True)
class Limit:
    """At most `per_minute` requests per caller to the endpoints `method` and `path_pattern`
    (a regular expression matching the whole path) name, counted together."""

    method: str
    path_pattern: str
    per_minute: int

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path counts against this limit."""
        return method == self.method and re.fullmatch(self.path_pattern, path) is not None


# Pluggy's table, row by row; endpoints it does not name (GET /v2/transactions among them) are
# not limited. A limit that spans two endpoints counts requests to either.
DOCUMENTED_LIMITS: tuple[Limit, ...] = (
    Limit("POST", r"/auth", 360),
    Limit("GET", r"/accounts(/[^/]+)?", 360),
    Limit("GET", r"/transactions(/[^/]+)?", 360),
    Limit("GET", r"/investments(/[^/]+)?", 360),
    Limit("GET", r"/investments/[^/]+/transactions", 360),
    # "Meant for users' triggered updates; daily updates belong to auto-sync."
    Limit("PATCH", r"/items/[^/]+", 20),
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
