"""API shapes of transactions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from banking.categories.schemas import RuleRead
from banking.fields import AmountCents, CalendarDay
from banking.learning.schemas import Suggestion
from finhub_shared.fields import Text


class TransactionRead(BaseModel):
    """One transaction; `amount_cents` is always positive and `type` says which way it went."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    date: datetime
    description: str
    merchant_name: str | None
    amount_cents: int
    type: str
    currency_code: str
    status: str | None
    category_id: str | None
    category_name: str | None = Field(
        description="The category as users read it: Pluggy's pt-BR name, else the name stored "
        "with the transaction (Pluggy's English one when it has no translation)."
    )
    category_source: str | None = Field(
        description="pluggy, rule, user, or learned (the company's model; see its confidence)."
    )
    category_confidence: float | None = Field(
        description="How sure the learned model was of the category (0 to 1), when it gave it."
    )


class TransactionPage(BaseModel):
    results: list[TransactionRead]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page.")


class TransactionFilters(BaseModel):
    """The listing's filters; every one is optional."""

    account_id: uuid.UUID | None = None
    date_from: CalendarDay | None = None
    date_to: CalendarDay | None = None
    category_id: Text | None = Field(None, max_length=20)
    type: Literal["DEBIT", "CREDIT"] | None = None
    q: Text | None = Field(
        None, min_length=1, max_length=100, description="Text in the description or merchant."
    )
    amount_min_cents: AmountCents | None = None
    amount_max_cents: AmountCents | None = None

    @model_validator(mode="after")
    def _ranges_in_order(self) -> Self:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        low, high = self.amount_min_cents, self.amount_max_cents
        if low is not None and high is not None and low > high:
            raise ValueError("amount_min_cents must not be above amount_max_cents")
        return self


class CategoryCorrection(BaseModel):
    """The user's category for a transaction; optionally kept as a rule for similar ones."""

    category_id: Text = Field(min_length=1, max_length=20)
    create_rule: bool = Field(
        False, description="Keep it as a rule: same merchant (or description) → this category."
    )
    apply_to_similar: bool = Field(
        False, description="Also recategorise your past transactions of that merchant."
    )


class CorrectionResult(BaseModel):
    transaction: TransactionRead
    rule: RuleRead | None
    similar_updated: int
    suggestions: list[Suggestion] = Field(
        description="Past transactions like this one that could take its category too: apply "
        "those you agree with (POST /transactions/{id}/similar/apply)."
    )
