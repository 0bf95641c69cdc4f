from banking.database import Base
from finhub_shared.migrations import run_migrations

run_migrations(Base.metadata, "BANKING_DATABASE_URL")
