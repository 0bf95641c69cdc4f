"""Each company's learning of categories: its consent to automatic use, and its current model."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, Integer, LargeBinary, func
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned


class CategoryLearning(CompanyOwned, Base):
    """One row per company whose people corrected a category (or set the switch)."""

    __tablename__ = "category_learning"

    company_id: Mapped[UUID] = mapped_column(primary_key=True)
    # The company's consent: new synced transactions no rule matches take the model's category.
    auto_apply: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # `classifier.Model.to_bytes()`: plain numpy arrays, read back without pickle. None while
    # the corrections are too few to guess from.
    model: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Bumped at each training; 0 before the first.
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    corrections: Mapped[int] = mapped_column(Integer, server_default="0")
    categories: Mapped[int] = mapped_column(Integer, server_default="0")
    trained_at: Mapped[datetime | None]
    # The last correction; the worker trains once it is a while old and newer than `trained_from`
    # (the moment of the last correction the current model knows).
    corrected_at: Mapped[datetime | None]
    trained_from: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
