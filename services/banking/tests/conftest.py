from pathlib import Path

import pytest

from banking.database import Base
from banking.main import create_app
from finhub_shared.testing import ServiceUnderTest


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest(
        service_dir=Path(__file__).resolve().parents[1],
        url_variable="BANKING_DATABASE_URL",
        metadata=Base.metadata,
        app_factory=create_app,
    )
