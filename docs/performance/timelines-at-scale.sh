#!/usr/bin/env bash
# Seeds a PostgreSQL database with USERS users following 40 each and MESSAGES messages, plus a user who
# follows nobody and posted once long ago, then times the three timelines' first page as the app runs them
# (the SQL of src/data/messages.ts, through the app's own functions). Usage:
#   docs/performance/timelines-at-scale.sh DATABASE_URL_OF_AN_EMPTY_DATABASE [MESSAGES] [USERS]
# --help prints this header.
if [[ ${1:-} == --help || ${1:-} == -h ]]; then sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0; fi
set -euo pipefail
url=$1
messages=${2:-3000000}
users=${3:-10000}
cd "$(dirname "$0")/../.."
npm run build --silent
DATABASE_URL=$url node dist/scripts/minitwit.js migrate
psql "$url" -q <<SQL
INSERT INTO users (username, email, pw_hash) SELECT 'user' || g, 'u' || g || '@x', 'x' FROM generate_series(1, $users) g;
INSERT INTO follows (who_id, whom_id)
  SELECT w, 1 + (w * 7919 + k * 104729) % $users FROM generate_series(1, $users) w, generate_series(1, 40) k
  ON CONFLICT DO NOTHING;
INSERT INTO messages (author_id, text, pub_date)
  SELECT 1 + (g * 2654435761) % $users, 'message ' || g, now() - ($messages - g) * interval '1 second'
  FROM generate_series(1, $messages) g;
INSERT INTO users (username, email, pw_hash) VALUES ('lonely', 'l@x', 'x');
INSERT INTO messages (author_id, text, pub_date) SELECT user_id, 'old', now() - interval '1000 days' FROM users WHERE username = 'lonely';
ANALYZE;
SQL
DATABASE_URL=$url node --input-type=module -e "
import { openPostgres } from './dist/src/db/postgres.js';
import { personalTimeline, publicTimeline, userTimeline } from './dist/src/data/messages.js';
const db = await openPostgres({ connectionString: process.env.DATABASE_URL, poolSize: 1 });
const [{ id: lonely }] = await db.query(\"SELECT user_id AS id FROM users WHERE username = 'lonely'\");
const cases = {
  'public timeline': () => publicTimeline(db, { limit: 31 }),
  'user timeline (user 42)': () => userTimeline(db, 42, { limit: 31 }),
  'personal timeline, follows 40': () => personalTimeline(db, 42, { limit: 31 }),
  'personal timeline, follows nobody': () => personalTimeline(db, lonely, { limit: 31 }),
};
for (const [name, run] of Object.entries(cases)) {
  await run();
  const times = [];
  for (let i = 0; i < 20; i++) { const t = performance.now(); await run(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log(name.padEnd(36), 'median', times[10].toFixed(2), 'ms, max', times[19].toFixed(2), 'ms');
}
await db.close();
"
