"""API shapes of categories and categorisation rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from banking.categories.models import MAX_RULE_VALUE_LENGTH
from banking.fields import AmountCents
from finhub_shared.fields import NonBlankText, Text

Field_ = Literal["description", "merchant"]
Match = Literal["contains", "equals"]


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    description: str = Field(description="Pluggy's English name.")
    description_translated: str | None = Field(description="Pluggy's pt-BR name, if it has one.")
    parent_id: str | None

    @computed_field(description="The name users read: the pt-BR one, else the English one.")  # type: ignore[prop-decorator]
    @property
    def name(self) -> str:
        return self.description_translated or self.description


class RuleCreate(BaseModel):
    """Transactions whose `field` `match`es `value` (and within the optional amount range and
    account) get `category_id`. Lower `priority` is tried first."""

    field: Field_
    match: Match = "contains"
    value: NonBlankText = Field(min_length=1, max_length=MAX_RULE_VALUE_LENGTH)
    min_amount_cents: AmountCents | None = None
    max_amount_cents: AmountCents | None = None
    account_id: uuid.UUID | None = None
    category_id: Text = Field(min_length=1, max_length=20)
    priority: int = Field(100, ge=0, le=10_000)

    @model_validator(mode="after")
    def _range_in_order(self) -> Self:
        low, high = self.min_amount_cents, self.max_amount_cents
        if low is not None and high is not None and low > high:
            raise ValueError("min_amount_cents must not be above max_amount_cents")
        return self


class RuleUpdate(BaseModel):
    """Only the fields sent change; send null to clear an optional one."""

    field: Field_ | None = None
    match: Match | None = None
    value: NonBlankText | None = Field(None, min_length=1, max_length=MAX_RULE_VALUE_LENGTH)
    min_amount_cents: AmountCents | None = None
    max_amount_cents: AmountCents | None = None
    account_id: uuid.UUID | None = None
    category_id: Text | None = Field(None, min_length=1, max_length=20)
    priority: int | None = Field(None, ge=0, le=10_000)


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    field: str
    match: str
    value: str
    min_amount_cents: int | None
    max_amount_cents: int | None
    account_id: uuid.UUID | None
    category_id: str
    priority: int
    created_at: datetime


class RuleApplied(BaseModel):
    """How many past transactions took the rule's category."""

    updated: int
