"""API shapes of an event's fate (the admin's event detail)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from finhub_shared.bus.outcomes import State

# `pending`: a queue that binds the event never answered for it (yet).
FateState = Literal[State, "pending"]
FATE_STATES: tuple[FateState, ...] = (
    "pending",
    "handled",
    "retrying",
    "dead_lettered",
    "ignored",
    "replayed",
    "dropped",
)


class FateStepView(BaseModel):
    """One outcome reported by the queue's consumer (or by the dead-letter tools)."""

    state: State
    at: datetime
    attempts: int
    error: str | None
    reason: str | None


class QueueFate(BaseModel):
    """What became of the event on one consuming queue."""

    queue: str
    service: str
    state: FateState
    at: datetime | None = Field(description="When it reached this state; null while pending.")
    attempts: int = Field(description="Failed handling attempts so far.")
    last_error: str | None = Field(description="The last failed attempt's error, redacted.")
    reason: str | None = Field(
        description="Why it was dead-lettered, or ignored (no_handler, duplicate)."
    )
    history: list[FateStepView] = Field(description="The queue's steps, oldest first.")
