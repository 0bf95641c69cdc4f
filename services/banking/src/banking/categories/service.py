"""Categories from Pluggy, and each company's rules: created, changed, applied to the past."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts import repository as accounts
from banking.audit import service as audit
from banking.categories import repository
from banking.categories.errors import InvalidRule, RuleLimitReached, UnknownCategory
from banking.categories.models import Category, CategoryRule
from banking.categories.schemas import RuleCreate, RuleRead, RuleUpdate
from banking.pluggy import PluggyClient
from banking.runtime import Runtime
from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.queries import advisory_lock


async def list_categories(session: AsyncSession, runtime: Runtime) -> list[Category]:
    """Pluggy's categories, fetched from Pluggy the first time they are asked for."""
    categories = await repository.list_categories(session)
    if not categories:
        await repository.save_categories(session, await runtime.pluggy.list_categories())
        categories = await repository.list_categories(session)
    return categories


async def keep_tree(database: Database, pluggy: PluggyClient) -> None:
    """Keep Pluggy's categories, which name them in pt-BR, if they are not kept yet; Pluggy is
    called with no transaction open."""
    async with database.transaction() as session:
        if await repository.any_category(session):
            return
    tree = await pluggy.list_categories()
    async with database.transaction() as session:
        await repository.save_categories(session, tree)


async def ensure_category(session: AsyncSession, runtime: Runtime, category_id: str) -> Category:
    """The category, or 422 when Pluggy has no such category."""
    for category in await list_categories(session, runtime):
        if category.id == category_id:
            return category
    raise UnknownCategory(f"There is no category {category_id}; see /categories/.")


async def names(session: AsyncSession) -> dict[str, str]:
    """Each category's description, by id."""
    return await repository.category_names(session)


async def create_rule(
    session: AsyncSession, runtime: Runtime, principal: Principal, body: RuleCreate
) -> CategoryRule:
    """A new rule of the caller's company, within the number of rules a company may keep."""
    await _check_references(session, runtime, principal, body.category_id, body.account_id)
    # Two rules created at once must not both take the last place.
    await advisory_lock(session, "category_rules", str(principal.company_id))
    limit = runtime.settings.max_rules_per_company
    if await repository.count_rules(session, principal.company_id) >= limit:
        raise RuleLimitReached(f"A company keeps at most {limit} rules; delete one first.")
    rule = CategoryRule(company_id=principal.company_id, **body.model_dump())
    session.add(rule)
    await session.flush()
    await session.refresh(rule)
    await _audit(session, principal, "rule.created", None, _audited(rule))
    return rule


async def update_rule(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    rule_id: uuid.UUID,
    body: RuleUpdate,
) -> CategoryRule:
    """Change the fields sent."""
    rule = await repository.get_rule(session, principal, rule_id)
    before = _audited(rule)
    changes = body.model_dump(exclude_unset=True)
    for required in ("field", "match", "value", "category_id", "priority"):
        if required in changes and changes[required] is None:
            raise InvalidRule(f"{required} cannot be cleared.")
    await _check_references(
        session,
        runtime,
        principal,
        changes.get("category_id"),
        changes.get("account_id"),
    )
    for name, value in changes.items():
        setattr(rule, name, value)
    low, high = rule.min_amount_cents, rule.max_amount_cents
    if low is not None and high is not None and low > high:
        raise InvalidRule("min_amount_cents must not be above max_amount_cents.")
    await session.flush()
    await _audit(session, principal, "rule.updated", before, _audited(rule))
    return rule


async def delete_rule(session: AsyncSession, principal: Principal, rule_id: uuid.UUID) -> None:
    """Delete the rule; transactions it categorised keep their category."""
    rule = await repository.get_rule(session, principal, rule_id)
    before = _audited(rule)
    await session.delete(rule)
    await session.flush()
    await _audit(session, principal, "rule.deleted", before, None)


async def apply_to_past(session: AsyncSession, principal: Principal, rule_id: uuid.UUID) -> int:
    """The caller's rule given to their past transactions (audited); how many changed."""
    rule = await repository.get_rule(session, principal, rule_id)
    updated = await apply_rule(session, rule)
    after = {**_audited(rule), "transactions_updated": updated}
    await _audit(session, principal, "rule.applied", None, after)
    return updated


async def apply_rule(
    session: AsyncSession,
    rule: CategoryRule,
    *,
    except_id: uuid.UUID | None = None,
    by_hand: bool = False,
) -> int:
    """Give the rule's category to the company's past transactions it matches (not those a
    user categorised by hand, nor `except_id`); returns how many changed.

    `by_hand`: the user asked for this once, without keeping a rule; the transactions are then
    marked as categorised by the user.
    """
    category = await repository.get_category(session, rule.category_id)
    return await repository.categorise_matching(
        session,
        rule,
        category.description if category else None,
        except_id=except_id,
        by_hand=by_hand,
    )


def _audited(rule: CategoryRule) -> dict[str, Any]:
    """The rule as the audit log records it."""
    return RuleRead.model_validate(rule).model_dump(mode="json", exclude={"created_at"})


async def _audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    actor = audit.user_actor(principal.user_id)
    await audit.record(
        session, principal.company_id, actor=actor, action=action, before=before, after=after
    )


async def _check_references(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    category_id: str | None,
    account_id: uuid.UUID | None,
) -> None:
    if category_id is not None:
        await ensure_category(session, runtime, category_id)
    if account_id is not None:
        await accounts.get_for(session, principal, account_id)
