"""SANDBOX_SEED_FILE: objects to start with, next to the seeded catalog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from provider_sandbox.config import get_settings
from provider_sandbox.main import create_app

SEEDED_CUSTOMER = {
    "id": "cus_seeded000001",
    "object": "customer",
    "email": "seeded@example.com",
    "metadata": {"company_id": "seeded-company"},
    "created": 1_700_000_000,
    "livemode": False,
}


@pytest.fixture
def seed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"stripe": {"objects": [SEEDED_CUSTOMER]}}), encoding="utf-8")
    monkeypatch.setenv("SANDBOX_SEED_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.mark.asyncio
async def test_seeded_objects_are_served_with_the_catalog(seed_file: Path) -> None:
    app = create_app(webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": "Bearer sk_test_seed"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http:
            customer = await http.get("/v1/customers/cus_seeded000001")
            prices = await http.get("/v1/prices", params={"lookup_keys[]": "starter_monthly"})

    assert customer.json()["metadata"] == {"company_id": "seeded-company"}
    assert len(prices.json()["data"]) == 1
