"""What the webhook endpoints answer."""

from __future__ import annotations

from pydantic import BaseModel


class Receipt(BaseModel):
    """The provider needs only the status code; the body helps whoever reads the delivery log."""

    received: bool = True
    duplicate: bool = False
    ignored: bool = False
