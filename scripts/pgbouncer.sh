#!/usr/bin/env bash
# Makes sure PgBouncer's binary is here for tests/test_deploy.py, which runs the services' database
# code through PgBouncer in transaction mode as deploy/k8s does (make test). Installs Debian's
# `pgbouncer` package when it is missing (CI's image lacks it) and never leaves the package's own
# server running: the test starts a private one on a free loopback port.
set -euo pipefail

command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "pgbouncer is missing: install Debian's pgbouncer package (or PgBouncer's release)" >&2
    exit 1
fi
echo "installing pgbouncer (Debian's pgbouncer package)..."
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 forbids starting services during the install, so the package's server
# never runs; removed afterwards only if we put it there.
own_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
fi
trap 'if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
# Quiet unless it fails, then all of apt's output.
if ! output=$(apt-get update -qq 2>&1 && apt-get install -y -qq --no-install-recommends pgbouncer 2>&1); then
    echo "$output" >&2
    exit 1
fi
# Where a policy of this machine's own let the package start its server, stop it for good.
if pgrep -x pgbouncer >/dev/null; then
    systemctl disable --now pgbouncer >/dev/null 2>&1 || service pgbouncer stop >/dev/null
fi
