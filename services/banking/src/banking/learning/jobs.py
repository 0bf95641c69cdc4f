"""The learning's worker job: models trained again once their company's corrections pause."""

from __future__ import annotations

import structlog

from banking.learning import service
from banking.runtime import Runtime
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def train_due_models(runtime: Runtime) -> None:
    """Train the models of the companies corrected since their last training."""
    trained = await service.train_due(runtime.database, utcnow(), runtime.settings)
    if trained:
        log.info("category_models_trained", count=trained)


def train_models_job() -> PeriodicJob[Runtime]:
    """The worker's periodic training of category models."""
    return PeriodicJob("train-category-models", 15, train_due_models)
