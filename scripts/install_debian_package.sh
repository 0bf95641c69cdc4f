#!/usr/bin/env bash
# Installs one of Debian's packages that a make target needs (CI's image lacks promtool, pgbouncer
# and chromium), quietly, and never leaves a server the package ships running.
# Usage: scripts/install_debian_package.sh <package> <what needs it>
set -euo pipefail
package=$1
needed_for=$2

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "$package is missing: install Debian's $package package ($needed_for)" >&2
    exit 1
fi
echo "installing Debian's $package package ($needed_for)..."
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 forbids starting services during the install, so a server the package
# ships never runs; removed afterwards only if we put it there.
own_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
fi
trap 'if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
# Quiet unless it fails, then all of apt's output.
if ! output=$(apt-get update -qq 2>&1 && apt-get install -y -qq --no-install-recommends "$package" 2>&1); then
    echo "$output" >&2
    exit 1
fi
# Where a policy of this machine's own let the package start its server, stop it for good.
if pgrep -x "$package" >/dev/null; then
    systemctl disable --now "$package" >/dev/null 2>&1 || service "$package" stop >/dev/null
fi
