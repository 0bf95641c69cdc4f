"""A deleted company's erasure in the gateway: which of its providers' webhooks are purged."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from webhook_gateway.database import Base


class CompanyErasure(Base):
    """Billing's request (Stripe's webhooks) and banking's confirmation (Pluggy's) each purge
    their part, in whichever order they come; billing is told once both are done."""

    __tablename__ = "company_erasures"

    deletion_id: Mapped[UUID] = mapped_column(primary_key=True)
    company_id: Mapped[UUID]
    # What names the company in its providers' webhooks, besides its id: ids at the providers,
    # kept to purge what they send late (a customer.deleted after the customer's deletion).
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    pluggy_item_ids: Mapped[list[str] | None] = mapped_column(JSONB)
    # How many stored webhooks each part purged (None: not yet).
    stripe_purged: Mapped[int | None]
    pluggy_purged: Mapped[int | None]
    confirmed_at: Mapped[datetime | None]
