"""API shapes of items, connect tokens and MFA."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from banking.accounts.schemas import AccountRead
from banking.connectors.schemas import ConnectorRead
from banking.items.next_action import Action
from finhub_shared.fields import Text


class ConnectTokenRequest(BaseModel):
    item_id: uuid.UUID | None = Field(
        None, description="One of your items (its `id`), to update that connection instead."
    )


class ConnectTokenRead(BaseModel):
    connect_token: str
    expires_at: datetime


class CallbackRequest(BaseModel):
    item_id: Text = Field(
        min_length=1, max_length=64, description="Pluggy's item id, as the widget gave it."
    )


PromptName = Annotated[Text, Field(max_length=100)]
PromptAnswer = Annotated[Text, Field(max_length=1000)]


class MfaAnswer(BaseModel):
    parameters: dict[PromptName, PromptAnswer] = Field(
        min_length=1,
        max_length=10,
        description="The answer to the prompt, by the prompt's `name`, e.g. {'token': '123456'}.",
    )


class MfaOption(BaseModel):
    value: str
    label: str


class MfaPrompt(BaseModel):
    """What the bank asks for: render a field of `type` named `name`."""

    name: str
    label: str
    type: str
    assistive_text: str | None
    placeholder: str | None
    data: str | None = Field(description="A base64 image (QR code) when `type` is image.")
    options: list[MfaOption] | None
    expires_at: datetime | None


class NextActionRead(BaseModel):
    action: Action
    message: str


class ProductWarningRead(BaseModel):
    code: str
    message: str = Field(description="Pluggy's words, in English.")
    provider_message: str | None = Field(description="The bank's own words, if it gave any.")


class AccountNamed(BaseModel):
    id: uuid.UUID
    name: str


class ProductIssueRead(BaseModel):
    """A product the last update did not read (`updated` false: what is shown of it is older)
    or read with warnings (the bank let Pluggy see less than it could)."""

    product: str = Field(description="Pluggy's product: accounts, creditCards, transactions...")
    name: str = Field(description="The product in plain words.")
    updated: bool
    last_updated_at: datetime | None = Field(description="When it was last read; null: never.")
    accounts: list[AccountNamed] = Field(description="This connection's accounts it covers.")
    warnings: list[ProductWarningRead]


class ItemRead(BaseModel):
    """A connection to one institution, what the user should do next, and its accounts."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    pluggy_item_id: str
    connector: ConnectorRead
    status: str
    execution_status: str
    error_code: str | None
    error_message: str | None
    last_updated_at: datetime | None
    consent_expires_at: datetime | None
    mfa: MfaPrompt | None
    next_action: NextActionRead
    product_issues: list[ProductIssueRead] = Field(
        description="What the last update left out (Pluggy's PARTIAL_SUCCESS) or read with "
        "warnings; `next_action` says what to do."
    )
    accounts: list[AccountRead]
    created_at: datetime
