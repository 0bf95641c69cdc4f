from finhub_shared.migrations import run_migrations
from webhook_gateway.tables import Base

run_migrations(Base.metadata, "GATEWAY_DATABASE_URL")
