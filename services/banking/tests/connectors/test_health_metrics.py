"""The worker's /metrics shows the connectors' health as the database holds it: counts by status
and one series per connector in trouble, gone once Pluggy reports it ONLINE again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from banking.connectors import repository
from banking.connectors.jobs import report_connector_health
from banking.pluggy.payloads import Connector, ConnectorHealth
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow


def connector(connector_id: int, name: str, status: str | None) -> Connector:
    health = ConnectorHealth(status=status) if status else None
    return Connector(id=connector_id, name=name, health=health)


def unhealthy(connector_id: int, name: str, status: str) -> float | None:
    labels = {"connector_id": str(connector_id), "connector": name, "status": status}
    return REGISTRY.get_sample_value("banking_connector_unhealthy", labels)


def counted(status: str) -> float | None:
    return REGISTRY.get_sample_value("banking_connectors", {"status": status})


@pytest.mark.asyncio
async def test_the_worker_reports_each_connector_in_trouble_until_it_recovers(
    database: Database, worker_runtime: Runtime
) -> None:
    reported = utcnow()
    async with database.transaction() as session:
        for offered in (
            connector(201, "Banco Estável", "ONLINE"),
            connector(202, "Banco Caído", "OFFLINE"),
            connector(203, "Banco Instável", "UNSTABLE"),
            connector(204, "Banco Novo", None),
        ):
            await repository.save(session, offered, reported_at=reported)

    await report_connector_health(worker_runtime)

    assert (counted("ONLINE"), counted("OFFLINE"), counted("UNSTABLE")) == (1, 1, 1)
    assert counted("UNKNOWN") == 1
    assert unhealthy(202, "Banco Caído", "OFFLINE") == 1
    assert unhealthy(203, "Banco Instável", "UNSTABLE") == 1
    assert unhealthy(201, "Banco Estável", "ONLINE") is None

    async with database.transaction() as session:
        recovered = connector(202, "Banco Caído", "ONLINE")
        await repository.save(session, recovered, reported_at=reported + timedelta(minutes=1))
    await report_connector_health(worker_runtime)

    assert unhealthy(202, "Banco Caído", "OFFLINE") is None
    assert (counted("ONLINE"), counted("OFFLINE")) == (2, None)
