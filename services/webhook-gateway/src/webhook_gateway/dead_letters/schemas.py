"""Dead-letter API shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from finhub_shared.fields import Text


class DeadLetterQueue(BaseModel):
    """A consumer queue's depth and its dead letters; null counts where a queue does not exist."""

    queue: str = Field(description="The consumer queue whose failed messages are parked.")
    queue_messages: int | None = Field(description="Messages waiting for a consumer.")
    consumers: int | None = Field(description="Consumers attached (0: no worker is consuming).")
    dead_letter_queue: str
    messages: int | None = Field(description="Parked messages in the dead-letter queue.")


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
