"""Every table of banking, imported so that `metadata` is complete (migrations, tests)."""

from __future__ import annotations

from banking.accounts import models as accounts_models
from banking.audit import models as audit_models
from banking.categories import models as categories_models
from banking.connectors import models as connectors_models
from banking.database import Base
from banking.entitlements import models as entitlements_models
from banking.insights import models as insights_models
from banking.items import models as items_models
from banking.learning import models as learning_models
from banking.pix import models as pix_models
from banking.sync import models as sync_models
from banking.transactions import models as transactions_models
from banking.usage import models as usage_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "audit_models",
    "categories_models",
    "connectors_models",
    "entitlements_models",
    "insights_models",
    "items_models",
    "learning_models",
    "metadata",
    "pix_models",
    "sync_models",
    "transactions_models",
    "usage_models",
]
