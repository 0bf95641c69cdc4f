"""API shapes of registration, log-in and the company."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from billing.consents.schemas import Acceptance
from billing.subscriptions.schemas import SubscriptionSummary
from finhub_shared.fields import NonBlankText


def _normalise_email(email: str) -> str:
    return email.strip().lower()


Email = Annotated[EmailStr, AfterValidator(_normalise_email)]


# Passwords carry no pydantic constraints: a validation error would echo the password back.
# Their rules are checked by accounts.security, whose errors never repeat them.
class RegisterRequest(BaseModel):
    email: Email
    password: str
    name: NonBlankText = Field(min_length=1, max_length=200)
    company_name: NonBlankText = Field(min_length=1, max_length=200)
    # Optional here so that a sign-up without it gets the stable `consent_required`.
    accepted: Acceptance | None = None


class LoginRequest(BaseModel):
    email: Email
    password: str


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    access_token_expires_at: datetime


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    email: str
    name: str
    role: str


class CompanyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    created_at: datetime


class Registration(Tokens):
    user: UserOut
    company: CompanyOut


class CompanyMe(BaseModel):
    company: CompanyOut
    user: UserOut
    role: str
    subscription: SubscriptionSummary
