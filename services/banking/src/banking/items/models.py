"""The items table: one row per Pluggy item (a company's connection to one institution)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned

# Pluggy's item statuses, plus the product's own (LOGIN_IN_PROGRESS, ERROR, DELETED,
# CONSENT_REVOKED).
UPDATED = "UPDATED"
UPDATING = "UPDATING"
WAITING_USER_INPUT = "WAITING_USER_INPUT"
WAITING_USER_ACTION = "WAITING_USER_ACTION"
MERGING = "MERGING"
LOGIN_ERROR = "LOGIN_ERROR"
OUTDATED = "OUTDATED"
LOGIN_IN_PROGRESS = "LOGIN_IN_PROGRESS"
ERROR = "ERROR"
DELETED = "DELETED"
CONSENT_REVOKED = "CONSENT_REVOKED"

# Pluggy's execution status once the user let an MFA prompt run out (ours says the same).
USER_INPUT_TIMEOUT = "USER_INPUT_TIMEOUT"

# Statuses after which the item never syncs again.
CLOSED_STATUSES = frozenset({DELETED, CONSENT_REVOKED})
# Statuses Pluggy moves on from without the user doing anything here (an MFA prompt may be
# answered in Pluggy's widget, or time out), each followed by a webhook that may be lost.
IN_PROGRESS_STATUSES = frozenset({LOGIN_IN_PROGRESS, UPDATING, MERGING, WAITING_USER_INPUT})


class Item(CompanyOwned, Base):
    __tablename__ = "items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pluggy_item_id: Mapped[str] = mapped_column(String(64), unique=True)
    connector_id: Mapped[int] = mapped_column(Integer, ForeignKey("connectors.id"))
    status: Mapped[str] = mapped_column(String(40))
    execution_status: Mapped[str] = mapped_column(String(60))
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    # The pending MFA prompt (Pluggy's `parameter`), Fernet-encrypted; wiped once answered.
    mfa_prompt_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    mfa_expires_at: Mapped[datetime | None]
    user_action_instructions: Mapped[str | None] = mapped_column(Text)
    # Pluggy's lastUpdatedAt: the last time it got data from the institution.
    last_updated_at: Mapped[datetime | None]
    consent_expires_at: Mapped[datetime | None]
    # Pluggy's updatedAt of the state stored here: older states arriving late are ignored.
    pluggy_updated_at: Mapped[datetime | None]
    # When the worker last asked Pluggy for the item because its webhook was overdue.
    last_checked_at: Mapped[datetime | None]
    # Updates asked of Pluggy since the item became OUTDATED, and when the next one is due
    # (None: not OUTDATED, or an update is under way); both reset once it settles elsewhere.
    outdated_retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outdated_retry_at: Mapped[datetime | None]
    # The products the last execution did not read, or read with warnings (Pluggy's
    # statusDetail, see items/partial.py); None when every product was read.
    product_issues: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    @property
    def is_closed(self) -> bool:
        """Deleted or consent revoked: nothing more is fetched for this item."""
        return self.status in CLOSED_STATUSES


# The retry job reads only the OUTDATED items, by when their retry is due.
Index(
    "ix_items_outdated_retry_at",
    Item.outdated_retry_at,
    Item.id,
    postgresql_where=Item.status == OUTDATED,
)
# The overdue-webhook check reads only the items in progress, the longest unheard first.
Index(
    "ix_items_in_progress_last_heard",
    func.greatest(Item.updated_at, Item.last_checked_at),
    Item.id,
    postgresql_where=Item.status.in_(sorted(IN_PROGRESS_STATUSES)),
)
