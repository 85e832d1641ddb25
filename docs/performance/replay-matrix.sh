#!/usr/bin/env bash
# Replays a scenario against a fresh app on each database (PGlite, PostgreSQL server) at each concurrency,
# one after another, and prints each run's summary. Usage:
#   docs/performance/replay-matrix.sh SCENARIO.csv [POSTGRES_ADMIN_URL] [CONCURRENCIES...]
# --help prints this header.
if [[ ${1:-} == --help || ${1:-} == -h ]]; then sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0; fi
set -euo pipefail
csv=$1
admin=${2:-postgres://postgres@127.0.0.1:5432}
shift $(( $# >= 2 ? 2 : 1 ))
concurrencies=("${@:-1 8}")
read -r -a concurrencies <<< "${concurrencies[*]}"
cd "$(dirname "$0")/../.."
npm run build --silent
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for database in pglite postgres; do
  for c in "${concurrencies[@]}"; do
    env=(PORT=15100 API_PORT=15101 METRICS_PORT=15102 LOG_LEVEL=warn SESSION_SECRET="bench-only-$(openssl rand -hex 24)")
    if [ "$database" = postgres ]; then
      name="minitwit_bench_$$_$c"
      psql "$admin/postgres" -qc "CREATE DATABASE $name"
      # The replay sends the course's simulator credentials: a server database takes them only when set.
      env+=(DATABASE_URL="$admin/$name" SIMULATOR_USERNAME=simulator 'SIMULATOR_PASSWORD=super_safe!')
    else
      env+=(DATA_DIR="$work/pglite-$c")
    fi
    env "${env[@]}" node dist/src/server.js > "$work/app.log" 2>&1 &
    app=$!
    for _ in $(seq 120); do curl -sf http://127.0.0.1:15101/latest > /dev/null && break; sleep 0.5; done
    echo "=== $database, concurrency $c"
    # Lower priority than the app: the load generator must not steal the cores it measures.
    nice -n 10 node dist/scripts/minitwit.js replay --url http://127.0.0.1:15101 --csv "$csv" --concurrency "$c" --quiet |
      grep -E 'duration|latency|register:|errors:|timeout \(|latest:|end state:|result' || true
    kill "$app"; wait "$app" || true
    [ "$database" = postgres ] && psql "$admin/postgres" -qc "DROP DATABASE $name WITH (FORCE)"
  done
done
