"""Fault injection shared by the Stripe and Pluggy halves of the sandbox.

Public API (stable; the Pluggy half relies on it):

- `FaultRule` — one rule as posted to `POST /_sandbox/faults`: `target` ("stripe" | "pluggy" |
  "all"), `kind`, `share` (0..1), and for reproducible tests either `every_nth` (fire on calls
  n, 2n, 3n…) or `seed` (seeded random draws against `share`); `times` caps how often it fires.
  Kind parameters: `latency_ms`, `retry_after` (seconds, for "rate_limit"), `timeout_seconds`.
- `FaultPlan` — the app's rules (`app.state.faults`): `add(rule)`, `remove(rule_id)`, `clear()`,
  `rules()`, `api_faults(target)` (rules that fire for one API call, in order) and
  `webhook_fault(kind, target)` (whether a webhook fault fires for one delivery).
- `FaultInjectionMiddleware` — applies API faults to calls under each `FaultScope` prefix
  (Stripe `/v1/`, Pluggy `/pluggy/`); `/_sandbox/` is never touched. Errors use the provider's
  own error shape (`stripe_error_body`, `pluggy_error_body`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

FaultTarget = Literal["stripe", "pluggy", "all"]
ApiFaultKind = Literal["latency", "rate_limit", "server_error", "timeout"]
WebhookFaultKind = Literal["duplicate_webhooks", "out_of_order_webhooks"]
FaultKind = Literal[ApiFaultKind, WebhookFaultKind]

API_FAULT_KINDS: frozenset[str] = frozenset({"latency", "rate_limit", "server_error", "timeout"})

CONTROL_PREFIX = "/_sandbox/"

ErrorBody = Callable[[int, str], dict[str, Any]]


class FaultRule(BaseModel):
    """One fault: what it hits, how often, and its parameters."""

    target: FaultTarget = "all"
    kind: FaultKind
    share: float = Field(1.0, ge=0.0, le=1.0, description="Share of matching calls that fail.")
    every_nth: int | None = Field(
        None, ge=1, description="Deterministic: fire on calls n, 2n, 3n… (share is ignored)."
    )
    seed: int | None = Field(None, description="Seed for the random draws against share.")
    times: int | None = Field(None, ge=1, description="Stop firing after this many times.")
    latency_ms: int = Field(1000, ge=0, le=120_000)
    retry_after: int = Field(1, ge=0, le=3600, description="Retry-After seconds for rate_limit.")
    timeout_seconds: float = Field(30.0, ge=0.0, le=600.0)


class FaultState(BaseModel):
    """A rule as the control API shows it, with its counters."""

    id: int
    rule: FaultRule
    calls: int
    fired: int


@dataclass
class _ActiveRule:
    id: int
    rule: FaultRule
    draws: random.Random
    calls: int = 0
    fired: int = 0

    def matches(self, kind_family: frozenset[str] | str, target: str) -> bool:
        kind_ok = (
            self.rule.kind in kind_family
            if isinstance(kind_family, frozenset)
            else self.rule.kind == kind_family
        )
        return kind_ok and self.rule.target in ("all", target)

    def count_call(self) -> bool:
        """Count one matching call; True when the fault fires on it."""
        self.calls += 1
        if self.rule.times is not None and self.fired >= self.rule.times:
            return False
        if self.rule.every_nth is not None:
            fires = self.calls % self.rule.every_nth == 0
        else:
            fires = self.draws.random() < self.rule.share
        if fires:
            self.fired += 1
        return fires


@dataclass
class FaultPlan:
    """The rules in force; one per app, changed through the control API."""

    _rules: list[_ActiveRule] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, rule: FaultRule) -> FaultState:
        """Put a rule in force; later rules are checked after earlier ones."""
        active = _ActiveRule(id=next(self._ids), rule=rule, draws=random.Random(rule.seed))
        self._rules.append(active)
        return _state_of(active)

    def remove(self, rule_id: int) -> bool:
        """Drop one rule; False when there was none with that id."""
        before = len(self._rules)
        self._rules = [active for active in self._rules if active.id != rule_id]
        return len(self._rules) != before

    def clear(self) -> None:
        """Drop every rule."""
        self._rules.clear()

    def rules(self) -> list[FaultState]:
        """Every rule in force with its counters."""
        return [_state_of(active) for active in self._rules]

    def api_faults(self, target: str) -> list[FaultRule]:
        """The API fault rules that fire for one call to `target` (each matching rule counts it)."""
        return [
            active.rule
            for active in self._rules
            if active.matches(API_FAULT_KINDS, target) and active.count_call()
        ]

    def webhook_fault(self, kind: WebhookFaultKind, target: str) -> bool:
        """Whether the webhook fault `kind` fires for one delivery to `target`."""
        fired = [active.count_call() for active in self._rules if active.matches(kind, target)]
        return any(fired)


def _state_of(active: _ActiveRule) -> FaultState:
    return FaultState(id=active.id, rule=active.rule, calls=active.calls, fired=active.fired)


def stripe_error_body(status: int, message: str) -> dict[str, Any]:
    """Stripe's error shape: a 429 is `invalid_request_error`/`rate_limit`, the rest `api_error`."""
    if status == 429:
        error = {"type": "invalid_request_error", "code": "rate_limit", "message": message}
        return {"error": error}
    return {"error": {"type": "api_error", "message": message}}


def pluggy_error_body(status: int, message: str) -> dict[str, Any]:
    """Pluggy's error shape: `{code, codeDescription, message}`."""
    descriptions = {429: "TOO_MANY_REQUESTS", 504: "GATEWAY_TIMEOUT"}
    return {
        "code": status,
        "codeDescription": descriptions.get(status, "INTERNAL_SERVER_ERROR"),
        "message": message,
    }


@dataclass(frozen=True)
class FaultScope:
    """A path prefix whose calls belong to one provider target."""

    prefix: str
    target: FaultTarget
    error_body: ErrorBody


STRIPE_SCOPE = FaultScope("/v1/", "stripe", stripe_error_body)
PLUGGY_SCOPE = FaultScope("/pluggy/", "pluggy", pluggy_error_body)


class FaultInjectionMiddleware:
    """Delay or fail provider API calls as the FaultPlan says; control calls pass untouched."""

    def __init__(self, app: ASGIApp, plan: FaultPlan, scopes: tuple[FaultScope, ...]) -> None:
        self.app = app
        self.plan = plan
        self.scopes = scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault_scope = self._scope_for(scope)
        if fault_scope is None:
            await self.app(scope, receive, send)
            return
        for rule in self.plan.api_faults(fault_scope.target):
            if rule.kind == "latency":
                await asyncio.sleep(rule.latency_ms / 1000)
                continue
            await _answer_with_fault(rule, fault_scope.error_body, send)
            return
        await self.app(scope, receive, send)

    def _scope_for(self, scope: Scope) -> FaultScope | None:
        if scope["type"] != "http":
            return None
        path: str = scope["path"]
        if CONTROL_PREFIX in path:  # /_sandbox/... and /pluggy/_sandbox/...
            return None
        return next((each for each in self.scopes if path.startswith(each.prefix)), None)


async def _answer_with_fault(rule: FaultRule, error_body: ErrorBody, send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
    if rule.kind == "rate_limit":
        status, message = 429, "Too many requests hit the API too quickly (sandbox fault)."
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    elif rule.kind == "timeout":
        # Hold the connection long enough for the caller's own timeout to trip first.
        await asyncio.sleep(rule.timeout_seconds)
        status, message = 504, "The request timed out (sandbox fault)."
    else:
        status, message = 500, "An unknown error occurred (sandbox fault)."
    body = json.dumps(error_body(status, message)).encode()
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
