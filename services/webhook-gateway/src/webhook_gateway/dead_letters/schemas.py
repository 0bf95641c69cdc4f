"""Dead-letter API shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from finhub_shared.fields import Text


class DeadLetterQueue(BaseModel):
    queue: str = Field(description="The consumer queue whose failed messages are parked.")
    dead_letter_queue: str
    messages: int | None = Field(description="Parked messages; null when the DLQ does not exist.")


class DeadLetterQueues(BaseModel):
    items: list[DeadLetterQueue]


class DeadLetterOut(BaseModel):
    """One parked message; every text is redacted, as in the logs."""

    message_id: str | None
    correlation_id: str | None
    attempts: int
    reason: str | None
    last_error: str | None
    body: str = Field(description="The message as parked (an event envelope), redacted.")


class DeadLetterList(BaseModel):
    queue: str
    items: list[DeadLetterOut]


class DeadLetterSelection(BaseModel):
    """Which parked messages: the one with `message_id`, or every one when it is null."""

    model_config = ConfigDict(extra="forbid")

    message_id: Text | None = None


class Settled(BaseModel):
    count: int = Field(description="How many messages were replayed or dropped.")
