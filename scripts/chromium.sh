#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed: the console's browser tests drive it through
# Playwright (never a browser Playwright downloads itself).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v chromium >/dev/null ||
    bash scripts/install_debian_package.sh chromium "the console's browser tests drive it"
