from banking.tables import metadata
from finhub_shared.migrations import run_migrations

run_migrations(metadata, "BANKING_DATABASE_URL")
