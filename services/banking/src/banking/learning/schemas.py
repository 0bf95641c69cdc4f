"""API shapes of learned categories: the company's setting and model, and the suggestions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

# Transactions one request may recategorise (and one answer may propose).
MAX_SUGGESTIONS = 200

Reason = Literal["same_payee", "model"]


class ModelRead(BaseModel):
    """The company's current model: its version and what it learned from."""

    version: int
    corrections: int = Field(description="Transactions whose category a person chose.")
    categories: int
    trained_at: datetime | None
    guessing: bool = Field(
        description="Whether it guesses: it needs at least `min_corrections` corrections over "
        "two categories or more."
    )


class LearningRead(BaseModel):
    auto_apply: bool = Field(
        description="New synced transactions no rule matches take the model's category when it "
        "is at least `min_confidence` sure (category_source `learned`)."
    )
    min_confidence: float
    min_corrections: int
    model: ModelRead | None


class LearningUpdate(BaseModel):
    """Owners and admins give (or withdraw) the company's consent to automatic categories."""

    auto_apply: bool


class Suggestion(BaseModel):
    """A past transaction that looks like the corrected one, and why."""

    transaction_id: uuid.UUID
    date: datetime
    description: str
    merchant_name: str | None
    amount_cents: int
    type: str
    category_id: str | None = Field(description="Its category now.")
    reason: Reason = Field(
        description="same_payee: the same merchant (or description, numbers aside); model: the "
        "company's model gives it this category."
    )
    confidence: float = Field(description="1 for the same payee; the model's confidence else.")


class Suggestions(BaseModel):
    category_id: str | None = Field(description="The category the suggestions would take.")
    suggestions: list[Suggestion]


class SuggestionsApply(BaseModel):
    """The transactions (among those proposed, or any other of yours) to give the category to."""

    transaction_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_SUGGESTIONS)


class SuggestionsApplied(BaseModel):
    category_id: str
    updated: list[uuid.UUID]
    skipped: list[uuid.UUID] = Field(
        description="Transactions whose category a person chose: never changed."
    )
