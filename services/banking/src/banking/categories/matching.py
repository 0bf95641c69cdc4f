"""A company's rules applied to transactions: the first rule that matches gives the category.

Rules are plain text compared as equal or contained (no patterns that could backtrack), a
company keeps a bounded number of them, and a page of transactions is matched in slices that
let the event loop run in between.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from banking.categories.models import FIELD_MERCHANT, MATCH_CONTAINS, CategoryRule

# Rule checks between two pauses for the event loop: however many transactions and rules, the
# worker's other work (heartbeats, other messages) waits at most this many checks.
CHECKS_PER_PAUSE = 2_000


@dataclass(frozen=True)
class Candidate:
    """What rules look at in a transaction."""

    description: str
    merchant: str | None
    amount_cents: int
    account_id: uuid.UUID


@dataclass(frozen=True)
class RuleMatch:
    rule_id: uuid.UUID
    category_id: str
    category_name: str | None


@dataclass(frozen=True)
class _CompiledRule:
    rule_id: uuid.UUID
    on_merchant: bool
    contains: bool
    value: str
    min_amount_cents: int | None
    max_amount_cents: int | None
    account_id: uuid.UUID | None
    category_id: str


class Categorizer:
    """Matches transactions against rules, in priority order (then oldest first)."""

    def __init__(self, rules: Iterable[CategoryRule], category_names: Mapping[str, str]) -> None:
        ordered = sorted(rules, key=lambda rule: (rule.priority, rule.created_at, rule.id))
        self._rules = [_compile(rule) for rule in ordered]
        self._names = dict(category_names)

    def match(
        self,
        description: str,
        merchant: str | None,
        amount_cents: int,
        account_id: uuid.UUID,
    ) -> RuleMatch | None:
        """The first rule this transaction satisfies, if any (text compared case-insensitively)."""
        if not self._rules:
            return None
        texts = {False: _normalise(description), True: _normalise(merchant or "")}
        for rule in self._rules:
            if _matches(rule, texts[rule.on_merchant], amount_cents, account_id):
                return RuleMatch(rule.rule_id, rule.category_id, self._names.get(rule.category_id))
        return None

    async def match_all(self, candidates: Sequence[Candidate]) -> list[RuleMatch | None]:
        """Each candidate's match, pausing for the event loop every CHECKS_PER_PAUSE checks."""
        per_slice = max(1, CHECKS_PER_PAUSE // max(1, len(self._rules)))
        matches: list[RuleMatch | None] = []
        for start in range(0, len(candidates), per_slice):
            if start:
                await asyncio.sleep(0)
            matches += [
                self.match(c.description, c.merchant, c.amount_cents, c.account_id)
                for c in candidates[start : start + per_slice]
            ]
        return matches


def _compile(rule: CategoryRule) -> _CompiledRule:
    return _CompiledRule(
        rule_id=rule.id,
        on_merchant=rule.field == FIELD_MERCHANT,
        contains=rule.match == MATCH_CONTAINS,
        value=_normalise(rule.value),
        min_amount_cents=rule.min_amount_cents,
        max_amount_cents=rule.max_amount_cents,
        account_id=rule.account_id,
        category_id=rule.category_id,
    )


def _matches(rule: _CompiledRule, text: str, amount_cents: int, account_id: uuid.UUID) -> bool:
    if rule.account_id is not None and rule.account_id != account_id:
        return False
    if rule.min_amount_cents is not None and amount_cents < rule.min_amount_cents:
        return False
    if rule.max_amount_cents is not None and amount_cents > rule.max_amount_cents:
        return False
    if not text:
        return False
    return rule.value in text if rule.contains else rule.value == text


def _normalise(text: str) -> str:
    """Case and spacing do not matter: 'Uber  Trip' equals 'uber trip'."""
    return " ".join(text.lower().split())
