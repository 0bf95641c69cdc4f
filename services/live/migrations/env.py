from finhub_shared.migrations import run_migrations
from live.tables import Base

run_migrations(Base.metadata, "LIVE_DATABASE_URL")
