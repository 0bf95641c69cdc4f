#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed: the console's browser tests drive it through
# Playwright (never a browser Playwright downloads itself). Installs the `chromium` package when
# it is missing, as CI's image lacks it.
set -euo pipefail

if command -v chromium >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "chromium is missing: install Debian's chromium package (the console's browser tests need it)" >&2
    exit 1
fi
echo "installing Chromium (Debian's chromium package) for the console's browser tests..."
export DEBIAN_FRONTEND=noninteractive
# Quiet unless it fails, then all of apt's output.
if ! output=$(apt-get update -qq 2>&1 && apt-get install -y -qq --no-install-recommends chromium 2>&1); then
    echo "$output" >&2
    exit 1
fi
