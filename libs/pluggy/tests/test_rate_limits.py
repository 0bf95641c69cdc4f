"""Pluggy's per-endpoint budgets: the first rule that matches a request is the one it spends."""

from __future__ import annotations

import pytest

from finhub_pluggy.rate_limits import PLUGGY_RATE_LIMITS


@pytest.mark.parametrize(
    ("method", "path", "per_minute"),
    [
        ("PATCH", "/items/3f0e2c1a", 20),
        ("PATCH", "/items/3f0e2c1a/disable-auto-sync", 360),
        ("GET", "/items/3f0e2c1a", 360),
        ("POST", "/auth", 360),
        ("GET", "/investments/inv-1/transactions", 360),
    ],
)
def test_pluggy_rules_limit_item_updates_to_twenty_a_minute(
    method: str, path: str, per_minute: int
) -> None:
    first_match = next(rule for rule in PLUGGY_RATE_LIMITS if rule.matches(method, path))

    assert first_match.per_minute == per_minute
