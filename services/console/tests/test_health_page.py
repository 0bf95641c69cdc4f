"""The health page's Pluggy connectors: read from banking's worker's /metrics (no company's
log-in needed), each one in trouble listed, and a plain notice when no worker reports them."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Handler, console_with, csrf_of

# As prometheus_client writes banking's gauges (banking/connectors/metrics.py).
BANKING_WORKER_METRICS = """# HELP banking_connectors Pluggy's connectors by health
# TYPE banking_connectors gauge
banking_connectors{status="ONLINE"} 1520.0
banking_connectors{status="OFFLINE"} 1.0
banking_connectors{status="UNSTABLE"} 1.0
# HELP banking_connector_unhealthy 1 for each connector not ONLINE
# TYPE banking_connector_unhealthy gauge
banking_connector_unhealthy{connector="Banco Caído",connector_id="202",status="OFFLINE"} 1.0
banking_connector_unhealthy{connector="Banco Instável",connector_id="203",status="UNSTABLE"} 1.0
"""


def services(banking_worker_metrics: str) -> Handler:
    """Every process ready; banking's worker (port 9102 in the default targets) with these
    metrics, the others with none."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"status": "ready", "checks": {}})
        if request.url.path == "/metrics":
            text = banking_worker_metrics if request.url.port == 9102 else ""
            return httpx.Response(200, text=text)
        return httpx.Response(200, json={"items": []})

    return handler


async def health_page(banking_worker_metrics: str) -> str:
    async with console_with(services(banking_worker_metrics)) as client:
        token = csrf_of((await client.get("/admin/login")).text)
        await client.post("/admin/login", data={"token": "t" * 40, "csrf_token": token})
        page = await client.get("/admin/health")
    assert page.status_code == 200
    return page.text.split("Conectores da Pluggy")[1]


@pytest.mark.asyncio
async def test_the_health_page_lists_each_connector_in_trouble() -> None:
    section = await health_page(BANKING_WORKER_METRICS)

    assert "Online: 1.520" in section
    assert "Fora do ar: 1" in section
    assert "Instáveis: 1" in section
    offline = section.split('data-connector="Banco Caído"')[1].split("</tr>")[0]
    unstable = section.split('data-connector="Banco Instável"')[1].split("</tr>")[0]
    assert "Fora do ar" in offline
    assert "Instável" in unstable
    assert "banking-worker" in section


@pytest.mark.asyncio
async def test_the_health_page_says_when_no_worker_reports_the_connectors() -> None:
    section = await health_page("")

    assert "Nenhum worker do banking informou" in section
    assert "data-connector=" not in section
