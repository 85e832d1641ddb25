#!/usr/bin/env bash
# Times `npm run backup` and `npm run restore` on a PostgreSQL server database seeded with MESSAGES messages
# by USERS users (40 follows each), then the same data moved into the embedded database (restore into
# PGlite, then a PGlite backup). Prints each step's time and the backup sizes. Makes its own databases on
# the server at ADMIN_URL and drops them after. Usage:
#   docs/performance/backup-at-scale.sh ADMIN_URL [MESSAGES] [USERS]     (defaults: 1000000 messages, 1000 users)
# --help prints this header.
if [[ ${1:-} == --help || ${1:-} == -h ]]; then sed -n '2,/^set -/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0; fi
set -euo pipefail
admin=${1:?give the admin URL of a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432}
messages=${2:-1000000}
users=${3:-1000}
cd "$(dirname "$0")/../.."
prefix="bench_backup_$$"
work=$(mktemp -d /tmp/minitwit-backup-bench.XXXXXX)
cleanup() {
  for db in source restored; do psql "$admin/postgres" -qc "DROP DATABASE IF EXISTS ${prefix}_$db WITH (FORCE)" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
seconds() { local start=$1; echo "$(($(date +%s%N) - start))" | awk '{ printf "%.1f s", $1 / 1e9 }'; }
size() { du -b "$1"/*.sql.gz | awk '{ printf "%.1f MB", $1 / 1e6 }'; }

npm run build --silent
psql "$admin/postgres" -qc "CREATE DATABASE ${prefix}_source"
psql "$admin/postgres" -qc "CREATE DATABASE ${prefix}_restored"
source_url="$admin/${prefix}_source"
DATABASE_URL=$source_url node dist/scripts/minitwit.js migrate > /dev/null
start=$(date +%s%N)
psql "$source_url" -q << SQL
INSERT INTO users (username, email, pw_hash)
  SELECT 'user ' || g, 'u' || g || '@example.com', '\$argon2id\$v=19\$m=7168,t=5,p=1\$' || md5(g::text) FROM generate_series(1, $users) g;
INSERT INTO follows (who_id, whom_id)
  SELECT w, 1 + (w * 7919 + k * 104729) % $users FROM generate_series(1, $users) w, generate_series(1, 40) k
  ON CONFLICT DO NOTHING;
-- Texts of 40 to 140 characters (the scenario's are about 60 on average), some with quotes and emoji.
INSERT INTO messages (author_id, text, pub_date, flagged)
  SELECT 1 + (g * 2654435761) % $users,
         left('message ' || g || ' ''quoted'' 😀 ' || repeat(md5(g::text), 4), 40 + g % 100),
         now() - ($messages - g) * interval '1 second', g % 1000 = 0
  FROM generate_series(1, $messages) g;
ANALYZE;
SQL
echo "seeded $messages messages, $users users in $(seconds "$start")"

start=$(date +%s%N)
DATABASE_URL=$source_url BACKUP_DIR=$work/server node dist/scripts/minitwit.js backup > "$work/backup.log"
echo "server backup (pg_dump $(pg_dump --version | awk '{print $3}')): $(seconds "$start"), $(size "$work/server")"
file=$(ls "$work"/server/*.sql.gz)

start=$(date +%s%N)
DATABASE_URL="$admin/${prefix}_restored" node dist/scripts/minitwit.js restore "$file" > "$work/restore.log"
echo "restore into an empty server database (verified): $(seconds "$start")"

start=$(date +%s%N)
DATA_DIR=$work/pglite node dist/scripts/minitwit.js restore "$file" > "$work/restore-pglite.log"
echo "restore into a new embedded database (verified, incl. its initdb): $(seconds "$start")"

start=$(date +%s%N)
DATA_DIR=$work/pglite BACKUP_DIR=$work/embedded node dist/scripts/minitwit.js backup > "$work/backup-pglite.log"
echo "embedded backup (pglite-tools' pg_dump): $(seconds "$start"), $(size "$work/embedded")"
