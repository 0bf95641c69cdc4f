"""API shapes of consents: the current legal documents, an acceptance, a user's consents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from finhub_shared.fields import Text


class LegalVersions(BaseModel):
    """The versions of the terms of use and of the privacy policy in force."""

    terms_of_use: str
    privacy_policy: str


class Acceptance(BaseModel):
    """The version of each document the user accepts (GET /api/auth/legal-documents names the
    current ones); a missing one is refused with `consent_required`, an older one with
    `consent_outdated`."""

    terms_of_use: Text | None = Field(None, max_length=50)
    privacy_policy: Text | None = Field(None, max_length=50)


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    document: str
    version: str
    accepted_at: datetime
    client_address: str


class Consents(BaseModel):
    """The caller's consents, oldest first, and whether they cover the documents in force."""

    current: LegalVersions
    up_to_date: bool
    consents: list[ConsentOut]
