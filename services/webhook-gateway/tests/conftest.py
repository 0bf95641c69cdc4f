from pathlib import Path

import pytest

from finhub_shared.testing import ServiceUnderTest
from webhook_gateway.database import Base
from webhook_gateway.main import create_app


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest(
        service_dir=Path(__file__).resolve().parents[1],
        url_variable="GATEWAY_DATABASE_URL",
        metadata=Base.metadata,
        app_factory=create_app,
    )
