"""`Wire`, the transport services' tests put their Pluggy client on: it records every request and
answers, or raises as the network would, what a test scripted before the sandbox is asked."""

from __future__ import annotations

import httpx
import pytest

from provider_sandbox.pluggy.testing import BASE_URL, Pluggy, Wire


@pytest.mark.asyncio
async def test_a_scripted_network_failure_is_raised_then_the_sandbox_answers_again(
    pluggy: Pluggy,
) -> None:
    wire = Wire(pluggy.app)
    wire.answer_next("GET", "/connectors", httpx.ConnectError("refused"))
    headers = {"X-API-KEY": pluggy.http.headers["X-API-KEY"]}

    async with httpx.AsyncClient(transport=wire, base_url=BASE_URL, headers=headers) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/connectors")
        answered = await http.get("/connectors")

    assert answered.status_code == 200
    assert answered.json()["results"]
    assert wire.calls == [("GET", "/connectors"), ("GET", "/connectors")]
