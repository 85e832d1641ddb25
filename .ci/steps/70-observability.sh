#!/usr/bin/env bash
# Prometheus: promtool checks, rule tests, every dashboard and alert query against a real Prometheus.
source "$(dirname "$0")/../lib.sh"
if ! command -v promtool > /dev/null || ! command -v prometheus > /dev/null; then
  ensure_packages prometheus
fi
npm run build --silent
node dist/scripts/minitwit.js check-observability
