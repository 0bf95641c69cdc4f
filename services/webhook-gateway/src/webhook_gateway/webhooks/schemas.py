"""What the webhook endpoints answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Receipt(BaseModel):
    """The provider needs only the status code; the body helps whoever reads the delivery log."""

    # Frozen (so hashable): the endpoints key each receipt's rendered body and counter by it.
    model_config = ConfigDict(frozen=True)

    received: bool = True
    duplicate: bool = False
    ignored: bool = False
