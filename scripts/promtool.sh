#!/usr/bin/env bash
# Checks and unit-tests the Prometheus alerting rules (deploy/prometheus) with promtool, from
# Debian's `prometheus` package, installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v promtool >/dev/null ||
    bash scripts/install_debian_package.sh prometheus "promtool checks the alerting rules"

# The scrape config's syntax, the rules, then the rules' unit tests.
promtool check config --syntax-only deploy/prometheus/prometheus.yml >/dev/null
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/tests/*.yml
