#!/usr/bin/env bash
# How the simulator's `latest` write scales with concurrent writers, measured with pgbench on a server:
# a message INSERT alone; with an UPDATE of one shared row (every writer queues on its lock); with an
# append to a log table (our design: src/data/simulator.ts). Compare the three in one run: absolute
# figures depend on the machine, the ratios are the point.
# Usage: docs/performance/latest-pgbench.sh [DATABASE_URL] [clients] [seconds]
# --help prints this header.
if [[ ${1:-} == --help || ${1:-} == -h ]]; then sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0; fi
set -euo pipefail
url=${1:-postgres://postgres@127.0.0.1:5432/postgres}
clients=${2:-16}
seconds=${3:-15}
dir=$(dirname "$0")/latest-pgbench
PGOPTIONS="-c client_min_messages=warning" psql "$url" -q -f "$dir/setup.sql"
for variant in insert-only shared-row append-only; do
  tps=$(pgbench -n -c "$clients" -j 2 -T "$seconds" -f "$dir/$variant.sql" "$url" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  printf '%-12s %10.0f transactions/s (%s clients, %s s)\n' "$variant" "$tps" "$clients" "$seconds"
done
psql "$url" -qc 'DROP TABLE bench_messages, bench_latest_row, bench_latest_log'
