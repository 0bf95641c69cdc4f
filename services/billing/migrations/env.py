from billing.tables import Base
from finhub_shared.migrations import run_migrations

run_migrations(Base.metadata, "BILLING_DATABASE_URL")
