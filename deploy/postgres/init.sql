-- Development databases for docker compose. The postgres image runs this once, when it starts
-- on an empty data volume (to run it again: docker compose down --volumes).
--
-- One role and one database per service, and no one else may connect to it: a service
-- cannot read another's tables even by mistake. The passwords equal the role names, as in
-- .env.example; production uses a managed PostgreSQL per service instead (deploy/README.md).

CREATE ROLE finhub_gateway LOGIN PASSWORD 'finhub_gateway';
CREATE DATABASE finhub_gateway OWNER finhub_gateway;
REVOKE ALL ON DATABASE finhub_gateway FROM PUBLIC;

CREATE ROLE finhub_billing LOGIN PASSWORD 'finhub_billing';
CREATE DATABASE finhub_billing OWNER finhub_billing;
REVOKE ALL ON DATABASE finhub_billing FROM PUBLIC;

CREATE ROLE finhub_banking LOGIN PASSWORD 'finhub_banking';
CREATE DATABASE finhub_banking OWNER finhub_banking;
REVOKE ALL ON DATABASE finhub_banking FROM PUBLIC;

CREATE ROLE finhub_live LOGIN PASSWORD 'finhub_live';
CREATE DATABASE finhub_live OWNER finhub_live;
REVOKE ALL ON DATABASE finhub_live FROM PUBLIC;
