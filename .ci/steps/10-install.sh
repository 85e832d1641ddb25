#!/usr/bin/env bash
# Install: the exact dependencies of package-lock.json.
source "$(dirname "$0")/../lib.sh"
npm ci --no-audit --no-fund
