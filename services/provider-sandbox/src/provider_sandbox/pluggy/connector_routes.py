"""`GET /connectors` and `GET /connectors/{id}`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from provider_sandbox.pluggy.connectors import matches
from provider_sandbox.pluggy.errors import new_router
from provider_sandbox.pluggy.models import page
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox

# The Connect widget lists connectors with its connect token.
widget_router = new_router(tags=["Pluggy connectors"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]


def _split(values: list[str] | None) -> list[str]:
    # Pluggy takes arrays as `types=A,B` (OAS: explode false); repeated keys work too.
    return [part for value in values or [] for part in value.split(",") if part]


@widget_router.get("/connectors")
async def list_connectors(
    sandbox: Sandbox,
    name: str | None = None,
    types: Annotated[list[str] | None, Query()] = None,
    countries: Annotated[list[str] | None, Query()] = None,
    sandbox_connectors: Annotated[bool, Query(alias="sandbox")] = False,
    supports_payment_initiation: Annotated[
        bool | None, Query(alias="supportsPaymentInitiation")
    ] = None,
) -> dict[str, Any]:
    """The connectors matching the filters; sandbox ones only with `sandbox=true`."""
    if countries and "BR" not in _split(countries):
        return page([])
    wanted_types = _split(types)
    return page(
        [
            connector.as_json()
            for connector in sandbox.connectors.values()
            if matches(
                connector,
                name=name,
                types=wanted_types,
                include_sandbox=sandbox_connectors,
                supports_payment_initiation=supports_payment_initiation,
            )
        ]
    )


@widget_router.get("/connectors/{connector_id}")
async def get_connector(connector_id: int, sandbox: Sandbox) -> dict[str, Any]:
    """One connector with its health."""
    return sandbox.connector(connector_id).as_json()
