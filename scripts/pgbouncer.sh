#!/usr/bin/env bash
# Makes sure PgBouncer's binary is here for tests/test_deploy.py, which runs the services' database
# code through PgBouncer in transaction mode as deploy/k8s does (make test). The package's own
# server never runs: the test starts a private one on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] ||
    bash scripts/install_debian_package.sh pgbouncer "tests/test_deploy.py runs the database code through it"
