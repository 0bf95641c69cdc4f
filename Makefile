# Finance Hub: `make run` starts everything, `make test` runs every test. `make help` lists the rest.
# Variables set in your environment always win: nothing here overrides them, and the services
# read .env only for what the environment does not set.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PYTHON_FOR_VENV ?= python3
UV_PYTHON_DOWNLOADS ?= never
export UV_PYTHON_DOWNLOADS

SERVICES := gateway billing banking live
PYTEST_ARGS ?=
# supervisord's control socket, pidfile and log for `make run`; `make status` and `make restart`
# find it there.
FINHUB_RUN_DIR ?= $(CURDIR)/.run
export FINHUB_RUN_DIR
SUPERVISOR_CONF := deploy/supervisor/supervisord.conf

.PHONY: help run status restart test lint format migrate db infra health bench clean retry-webhook pluggy-webhooks \
	check-stripe stripe-setup dlq sandbox-demo sync-account chaos

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON_FOR_VENV) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# Reinstall only when the lock or a package definition changed.
$(VENV)/.installed: $(UV) uv.lock pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON_FOR_VENV)
	@touch $@

.env: .env.example | $(VENV)/.installed
	$(BIN)/python scripts/make_env.py

infra: ## Make sure PostgreSQL and RabbitMQ are running, with Finance Hub's vhosts
	bash scripts/infra.sh

db: $(VENV)/.installed .env infra ## Create each service's PostgreSQL role and database
	$(BIN)/finhub-provision

migrate: db ## Apply every service's migrations
	@for service in $(SERVICES); do $(BIN)/finhub-$$service migrate || exit 1; done

run: migrate ## Start every service, worker, the sandbox and the console (:8080) under supervisord (Ctrl-C stops them all)
	@mkdir -p "$(FINHUB_RUN_DIR)"
	$(BIN)/supervisord --configuration $(SUPERVISOR_CONF)

status: ## Each process of a running `make run`: state, pid, uptime
	@$(BIN)/supervisorctl --configuration $(SUPERVISOR_CONF) status

restart: ## Restart processes of a running `make run`: make restart [P=gateway-worker] (default all)
	$(BIN)/supervisorctl --configuration $(SUPERVISOR_CONF) restart $(or $(P),all)

test: $(VENV)/.installed .env infra ## Run the whole test suite against real PostgreSQL and RabbitMQ
	$(BIN)/finhub-provision --with-test
	bash scripts/chromium.sh
	bash scripts/pgbouncer.sh
	$(BIN)/pytest $(PYTEST_ARGS)

# Its own PostgreSQL and RabbitMQ (private, in a temporary directory): the shared ones are untouched.
chaos: $(VENV)/.installed ## Inject every fault while the journeys run; a row per fault (~10 min)
	$(BIN)/python -m tests.chaos

lint: $(VENV)/.installed ## ruff, mypy, the import rules, the domain rules, the alert rules' tests and deploy/ (schemas, hadolint)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/python scripts/check_domain_rules.py
	bash scripts/promtool.sh
	bash scripts/check_deploy.sh

format: $(VENV)/.installed ## Rewrite the code in the project's format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

health: $(VENV)/.installed ## Ask every running service's /readyz and print a table
	$(BIN)/python scripts/health.py

bench: $(VENV)/.installed .env infra ## Run the benchmarks under bench/ (installs wrk if missing; BENCH_SCALE=0.1 for a quick run)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/finhub-provision --with-test
	@echo "machine: $$(nproc) cores,$$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $$(cut -d' ' -f1-3 /proc/loadavg)"
	@for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

retry-webhook: $(VENV)/.installed .env ## Publish a stored webhook again: make retry-webhook ID=evt_...
	@test -n "$(ID)" || { echo "usage: make retry-webhook ID=<stored id or provider event id>"; exit 2; }
	$(BIN)/finhub-gateway replay "$(ID)"

pluggy-webhooks: $(VENV)/.installed .env ## Our Pluggy webhook: make pluggy-webhooks [ACTION=list|register|rotate]
	$(BIN)/finhub-gateway pluggy-webhooks $(or $(ACTION),list)

sandbox-demo: $(VENV)/.installed .env ## A new company's first journey against a running `make run`
	$(BIN)/python scripts/sandbox_demo.py

sync-account: $(VENV)/.installed .env ## Sync one bank account now and print what changed: make sync-account ID=...
	@test -n "$(ID)" || { echo "usage: make sync-account ID=<account id>"; exit 2; }
	$(BIN)/finhub-banking sync-account "$(ID)"

check-stripe: $(VENV)/.installed .env ## Stripe key mode, reachability, webhook endpoint and prices
	$(BIN)/finhub-billing check-stripe

stripe-setup: $(VENV)/.installed .env ## Stripe's plan prices and webhook endpoint: make stripe-setup [WEBHOOK_URL=...] [SECRET_FILE=...]
	$(BIN)/finhub-billing stripe-setup $(if $(WEBHOOK_URL),--webhook-url "$(WEBHOOK_URL)") $(if $(SECRET_FILE),--secret-file "$(SECRET_FILE)")

dlq: $(VENV)/.installed .env ## Dead letters: make dlq [ACTION=show|replay|drop QUEUE=billing.stripe [ID=...]]
	@if [ -z "$(ACTION)" ] || [ "$(ACTION)" = list ]; then \
	  for service in billing banking; do $(BIN)/finhub-$$service dlq list || exit 1; done; \
	else \
	  test -n "$(QUEUE)" || { echo "usage: make dlq ACTION=$(ACTION) QUEUE=<billing.stripe|banking.pluggy|...>"; exit 2; }; \
	  $(BIN)/finhub-$(firstword $(subst ., ,$(QUEUE))) dlq $(ACTION) $(QUEUE) $(if $(ID),--message-id $(ID)) $(if $(filter drop,$(ACTION)),--yes); \
	fi

clean: ## Remove the virtual environments and caches
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
