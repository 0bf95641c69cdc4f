"""Per-source and per-event-type limits on accepted deliveries (per gateway process)."""

from __future__ import annotations

import math

from aiolimiter import AsyncLimiter


class WebhookRateLimiter:
    """Admits a delivery only when both its source's and its event type's budgets have room."""

    def __init__(self, per_source_per_minute: int, per_type_per_minute: int) -> None:
        self._per_source = per_source_per_minute
        self._per_type = per_type_per_minute
        self._limiters: dict[tuple[str, str], AsyncLimiter] = {}

    async def admit(self, source: str, event_type: str) -> int | None:
        """None when admitted; otherwise the seconds after which the provider should retry."""
        by_source = self._limiter(source, "*", self._per_source)
        by_type = self._limiter(source, event_type, self._per_type)
        if not (by_source.has_capacity() and by_type.has_capacity()):
            return math.ceil(60 / min(self._per_source, self._per_type))
        await by_source.acquire()
        await by_type.acquire()
        return None

    def _limiter(self, source: str, event_type: str, per_minute: int) -> AsyncLimiter:
        key = (source, event_type)
        if key not in self._limiters:
            self._limiters[key] = AsyncLimiter(per_minute, 60)
        return self._limiters[key]
