"""Consents to the terms of use and the privacy policy: checked and recorded at sign-up, kept per
version so that a later version accepted is a new record."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import BillingSettings
from billing.consents import repository
from billing.consents.errors import ConsentOutdated, ConsentRequired
from billing.consents.models import Consent
from billing.consents.schemas import Acceptance, ConsentOut, Consents, LegalVersions
from finhub_shared.auth import Principal


def current_versions(settings: BillingSettings) -> LegalVersions:
    """The documents in force."""
    return LegalVersions(
        terms_of_use=settings.terms_version, privacy_policy=settings.privacy_policy_version
    )


def check_acceptance(acceptance: Acceptance | None, settings: BillingSettings) -> LegalVersions:
    """The versions accepted, when they are the ones in force; otherwise ConsentRequired (one is
    missing) or ConsentOutdated (one is not the current version), naming the current ones."""
    current = current_versions(settings)
    given = acceptance or Acceptance()
    missing = [
        document
        for document, version in given.model_dump().items()
        if version is None or not version.strip()
    ]
    if missing:
        raise ConsentRequired(
            "Accept the terms of use and the privacy policy to sign up.",
            missing=missing,
            current=current.model_dump(),
        )
    outdated = [
        document
        for document, version in given.model_dump().items()
        if version != current.model_dump()[document]
    ]
    if outdated:
        raise ConsentOutdated(
            "A newer version of the terms of use or the privacy policy is in force; accept it.",
            outdated=outdated,
            current=current.model_dump(),
        )
    return current


async def record(
    session: AsyncSession,
    company_id: UUID,
    user_id: UUID,
    accepted: LegalVersions,
    *,
    client_address: str,
    now: datetime,
) -> None:
    """Keep the user's acceptance of each document's version, at `now`, from `client_address`;
    a version they had already accepted is not recorded again."""
    already = {(c.document, c.version) for c in await repository.of_user(session, user_id)}
    for document, version in accepted.model_dump().items():
        if (document, version) not in already:
            session.add(
                Consent(
                    company_id=company_id,
                    user_id=user_id,
                    document=document,
                    version=version,
                    accepted_at=now,
                    client_address=client_address,
                )
            )
    await session.flush()


async def accept(
    session: AsyncSession,
    principal: Principal,
    acceptance: Acceptance,
    settings: BillingSettings,
    *,
    client_address: str,
    now: datetime,
) -> Consents:
    """The caller accepts the documents in force (a new version came out, say)."""
    accepted = check_acceptance(acceptance, settings)
    await record(
        session,
        principal.company_id,
        principal.user_id,
        accepted,
        client_address=client_address,
        now=now,
    )
    return await of_user(session, principal.user_id, settings)


async def of_user(session: AsyncSession, user_id: UUID, settings: BillingSettings) -> Consents:
    """The user's consents and whether they cover the documents in force."""
    consents = await repository.of_user(session, user_id)
    current = current_versions(settings)
    accepted = {(consent.document, consent.version) for consent in consents}
    return Consents(
        current=current,
        up_to_date=all(pair in accepted for pair in current.model_dump().items()),
        consents=[ConsentOut.model_validate(consent) for consent in consents],
    )
