"""A company's rules applied to one transaction: the first rule that matches gives the category."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from banking.categories.models import FIELD_MERCHANT, MATCH_CONTAINS, CategoryRule


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
