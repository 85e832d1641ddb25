#!/usr/bin/env bash
# The course's scenario ($SHARED_DIR/data/minitwit_scenario.csv) replayed against the app on the
# PostgreSQL server at concurrency 4 (the course's simulator sends one at a time): zero errors, /latest
# and the end state right. At 8, the scenario's opening burst of registrations (argon2id hashes, two at a
# time on two cores shared with PostgreSQL and the replay) queued past 0.3 s in 3 of 4 runs on this
# machine; docs/performance.md, "Eight at once on two slower cores".
source "$(dirname "$0")/../lib.sh"
SCENARIO="$SHARED/data/minitwit_scenario.csv"
if [ ! -f "$SCENARIO" ]; then
  echo "no $SCENARIO: skipping the course's scenario"
  exit 0
fi
ensure_postgres
create_database replay
APP_PID=""
cleanup() {
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2> /dev/null || true; fi
  drop_database
}
trap cleanup EXIT
npm run build --silent
# The replay sends the course's simulator credentials, as its simulator does; with a server database the
# app accepts them only when they are set explicitly.
DATABASE_URL=$CI_DATABASE_URL SESSION_SECRET="ci-only-secret-$(openssl rand -hex 24)" \
  SIMULATOR_USERNAME=simulator SIMULATOR_PASSWORD='super_safe!' \
  PORT=15000 API_PORT=15001 METRICS_PORT=15002 LOG_LEVEL=warn node dist/src/server.js > /tmp/minitwit-ci-app.log 2>&1 &
APP_PID=$!
for _ in $(seq 60); do curl -sf http://127.0.0.1:15001/latest > /dev/null && break; sleep 0.5; done
# The course's simulator runs on its own machine; here it shares two cores with the app, so it runs at a
# lower priority than the app it measures (without this, the replay's own CPU use lengthens the tail of
# the KDF-bound registrations by tens of milliseconds).
# A scrape resets the event loop's delay figures: the one after the replay then covers the replay alone.
curl -s http://127.0.0.1:15002/metrics > /dev/null
code=0
nice -n 10 node dist/scripts/minitwit.js replay --url http://127.0.0.1:15001 --csv "$SCENARIO" --concurrency 4 || code=$?
# The app's own clock beside the replay's (a reply the replay found late but the app did not spent the
# difference in the connection or waiting for a core on the client's side).
curl -s http://127.0.0.1:15002/metrics | awk '
  /^minitwit_http_errors_total\{.*kind="slow"/ { slow += $2 }
  /^minitwit_http_request_duration_seconds_bucket\{le="0.25",role="api"/ { under += $2 }
  /^minitwit_http_request_duration_seconds_count\{.*role="api"/ { all += $2 }
  /^nodejs_eventloop_lag_max_seconds / { lag = $2 }
  END { printf "the app'"'"'s own clock: %d of %d API replies over 0.25 s, %d over 0.3 s; event loop at most %.0f ms late during the replay\n", all - under, all, slow, lag * 1000 }'
[ "$code" = 0 ] || exit "$code"
kill -TERM "$APP_PID"
wait "$APP_PID" || { echo "the app did not shut down cleanly"; tail -50 /tmp/minitwit-ci-app.log; exit 1; }
APP_PID=""
