"""Consents: what each item may collect and until when (`GET /consents?itemId=`).

An item gets a consent for a year when it first connects, and a new one when it reconnects with
new credentials after the old one was revoked or expired. Pluggy has no consent webhook event:
a revocation shows as `revokedAt` here and the item stops with item/error.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Query

from provider_sandbox.pluggy.errors import new_router, not_found
from provider_sandbox.pluggy.models import Consent, Item, page
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox

CONSENT_LIFETIME = timedelta(days=365)

router = new_router(tags=["Pluggy consents"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]


def _latest(sandbox: PluggySandbox, item: Item) -> Consent | None:
    consents = [consent for consent in sandbox.consents.values() if consent.item_id == item.id]
    return consents[-1] if consents else None


def has_active_consent(sandbox: PluggySandbox, item: Item) -> bool:
    """Whether the item's latest consent is neither revoked nor expired."""
    latest = _latest(sandbox, item)
    return latest is not None and latest.active_at(sandbox.now())


def ensure_consent(sandbox: PluggySandbox, item: Item) -> Consent:
    """The item's active consent, given now if it has none."""
    latest = _latest(sandbox, item)
    now = sandbox.now()
    if latest is not None and latest.active_at(now):
        return latest
    consent = Consent(
        id=str(uuid.uuid4()),
        item_id=item.id,
        products=list(item.products),
        created_at=now,
        expires_at=now + CONSENT_LIFETIME,
    )
    sandbox.consents[consent.id] = consent
    return consent


def revoke(sandbox: PluggySandbox, consent: Consent) -> None:
    """Mark the consent revoked now."""
    if consent.revoked_at is None:
        consent.revoked_at = sandbox.now()


def consent_or_404(sandbox: PluggySandbox, consent_id: str) -> Consent:
    """The consent, or Pluggy's 404."""
    consent = sandbox.consents.get(consent_id)
    if consent is None:
        raise not_found("consent")
    return consent


@router.get("/consents")
async def list_consents(
    sandbox: Sandbox, item_id: Annotated[str, Query(alias="itemId")]
) -> dict[str, Any]:
    """Every consent the item was given, oldest first."""
    item = sandbox.item(item_id)
    return page([c.as_json() for c in sandbox.consents.values() if c.item_id == item.id])


@router.get("/consents/{consent_id}")
async def get_consent(consent_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """One consent."""
    return consent_or_404(sandbox, consent_id).as_json()
