#!/usr/bin/env bash
# The bench's smoke run (minitwit bench --quick, with the Python client) against the app as npm start runs it.
# It proves the bench works end to end on the embedded database: every request answered as expected, every
# replay's checks passed (its exit status). Its figures are not judged: 1 s per measurement on a shared CI
# machine says nothing; docs/performance.md holds the measured runs.
source "$(dirname "$0")/../lib.sh"
ensure_packages python3 python3-requests
work=$(mktemp -d)
APP_PID=""
cleanup() {
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
npm run build --silent
DATA_DIR="$work/data" SESSION_SECRET="ci-only-secret-$(openssl rand -hex 24)" \
  PORT=16000 API_PORT=16001 METRICS_PORT=16002 LOG_LEVEL=warn node dist/src/server.js > "$work/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 120); do curl -sf http://127.0.0.1:16001/latest > /dev/null && break; sleep 0.5; done
node dist/scripts/minitwit.js scenario --actions 300 --seed ci-bench --out "$work/scenario.csv"
node dist/scripts/minitwit.js bench --web http://127.0.0.1:16000 --api http://127.0.0.1:16001 --quick \
  --scenario "$work/scenario.csv" --python-client --json "$work/bench.json" --chart "$work/bench.svg" ||
  { echo "the bench failed; the app's log:"; tail -50 "$work/app.log"; exit 1; }
test -s "$work/bench.svg"
node -e 'const r = require(process.argv[1]); if (!r.pythonOneAtATime || !(r.oneAtATime.ratio > 0)) process.exit(1)' "$work/bench.json"
kill -TERM "$APP_PID"
wait "$APP_PID" || { echo "the app did not shut down cleanly"; tail -50 "$work/app.log"; exit 1; }
APP_PID=""
