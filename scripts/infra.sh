#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on this machine, then creates Finance Hub's RabbitMQ
# vhosts and user. A service that is installed but stopped is started; with neither installed,
# a running Docker engine brings both up through docker compose.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 AMQP_HOST=127.0.0.1 AMQP_PORT=5672
# The RabbitMQ user, password and vhost come from AMQP_URL (environment first, then .env).
AMQP_URL=${AMQP_URL:-$(sed -n 's/^AMQP_URL=//p' .env 2>/dev/null || true)}
AMQP_URL=${AMQP_URL:-amqp://finhub:finhub@127.0.0.1:5672/finhub}
read -r AMQP_USER AMQP_PASSWORD AMQP_VHOST < <(python3 - "$AMQP_URL" <<'PY'
import sys
from urllib.parse import unquote, urlsplit
url = urlsplit(sys.argv[1])
print(unquote(url.username or "guest"), unquote(url.password or "guest"), unquote(url.path.lstrip("/")) or "/")
PY
)

answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {  # name host port seconds
  for _ in $(seq "$4"); do answers "$2" "$3" && return 0; sleep 1; done
  echo "infra: $1 did not answer on $2:$3 within $4 s" >&2
  return 1
}

docker_engine() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

start_postgres() {
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "infra: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  elif docker_engine; then
    docker compose up -d postgres
  else
    echo "infra: PostgreSQL is not running and neither pg_ctlcluster nor a Docker engine is available" >&2
    exit 1
  fi
}

start_rabbitmq() {
  if command -v rabbitmqctl >/dev/null && rabbitmqctl -q ping >/dev/null 2>&1; then
    # The node runs but its app was stopped (`rabbitmqctl stop_app`): start the app only.
    echo "infra: starting RabbitMQ's app"
    rabbitmqctl -q start_app
  elif command -v rabbitmq-server >/dev/null; then
    echo "infra: starting RabbitMQ"
    rabbitmq-server -detached
  elif docker_engine; then
    docker compose up -d rabbitmq
  else
    echo "infra: RabbitMQ is not running and neither rabbitmq-server nor a Docker engine is available" >&2
    exit 1
  fi
}

rabbitmqctl_() {
  if command -v rabbitmqctl >/dev/null; then rabbitmqctl -q "$@"; else docker compose exec -T rabbitmq rabbitmqctl -q "$@"; fi
}

answers $PG_HOST $PG_PORT || start_postgres
answers $AMQP_HOST $AMQP_PORT || start_rabbitmq
wait_for PostgreSQL $PG_HOST $PG_PORT 60
wait_for RabbitMQ $AMQP_HOST $AMQP_PORT 90
rabbitmqctl_ await_startup >/dev/null

# The development vhost and its twins for the test suite and the benchmarks, one user for all.
rabbitmqctl_ list_users | grep -q "^$AMQP_USER\b" || rabbitmqctl_ add_user "$AMQP_USER" "$AMQP_PASSWORD" >/dev/null
# FINHUB_TEST_NAMESPACE (see conftest.py) gives a test run and a benchmark a vhost of their own.
for vhost in "$AMQP_VHOST" "${AMQP_VHOST}_test" "${AMQP_VHOST}_bench" \
  ${FINHUB_TEST_NAMESPACE:+"${AMQP_VHOST}_test_${FINHUB_TEST_NAMESPACE}" "${AMQP_VHOST}_bench_${FINHUB_TEST_NAMESPACE}"}; do
  rabbitmqctl_ add_vhost "$vhost" >/dev/null 2>&1 || true
  rabbitmqctl_ set_permissions -p "$vhost" "$AMQP_USER" ".*" ".*" ".*" >/dev/null
done
echo "infra: PostgreSQL and RabbitMQ are up (vhosts $AMQP_VHOST, ${AMQP_VHOST}_test, ${AMQP_VHOST}_bench)"
