#!/usr/bin/env bash
# Checks and unit-tests the Prometheus alerting rules (deploy/prometheus) with promtool.
# Installs promtool from Debian's `prometheus` package when it is missing (CI's image lacks it),
# and never leaves the Prometheus server the package ships running.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "promtool is missing: install Debian's prometheus package (or Prometheus' release)" >&2
        exit 1
    fi
    echo "installing promtool (Debian's prometheus package)..."
    export DEBIAN_FRONTEND=noninteractive
    # policy-rc.d exit 101 forbids starting services during the install, so the package's
    # prometheus server never runs; removed afterwards only if we put it there.
    own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        own_policy=1
    fi
    trap 'if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
    # Quiet unless it fails, then all of apt's output.
    if ! output=$(apt-get update -qq 2>&1 && apt-get install -y -qq --no-install-recommends prometheus 2>&1); then
        echo "$output" >&2
        exit 1
    fi
    # Where a policy of this machine's own let the package start its server, stop it for good.
    if pgrep -x prometheus >/dev/null; then
        systemctl disable --now prometheus >/dev/null 2>&1 || service prometheus stop >/dev/null
    fi
fi

# The scrape config's syntax, the rules, then the rules' unit tests.
promtool check config --syntax-only deploy/prometheus/prometheus.yml >/dev/null
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/tests/*.yml
