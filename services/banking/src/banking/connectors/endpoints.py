"""Routes of connectors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from banking.connectors import repository
from banking.connectors.schemas import ConnectorFilters, ConnectorRead
from finhub_shared.auth import ROLES, require_role
from finhub_shared.db import DbSession

# Connectors are not company data, but only signed-in users may list them.
router = APIRouter(
    prefix="/api/banking", tags=["connections"], dependencies=[Depends(require_role(*ROLES))]
)


@router.get("/connectors")
async def list_connectors(
    session: DbSession, filters: Annotated[ConnectorFilters, Query()]
) -> list[ConnectorRead]:
    """The institutions Pluggy offers, with their health as Pluggy last reported it."""
    return [ConnectorRead.model_validate(c) for c in await repository.listed(session, filters)]
