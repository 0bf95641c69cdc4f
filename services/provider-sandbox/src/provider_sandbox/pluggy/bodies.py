"""The base of every Pluggy request body: camelCase names, unknown fields ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CamelModel(BaseModel):
    """A request body with Pluggy's camelCase field names (Python names also accepted)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
