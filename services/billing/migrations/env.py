from billing.models import Base
from finhub_shared.migrations import run_migrations

run_migrations(Base.metadata, "BILLING_DATABASE_URL")
