#!/usr/bin/env bash
# Usage: setup.sh
#
# Prepares Elasticsearch for MiniTwit's logs, once per cluster and safe to repeat: waits for it, sets the
# built-in kibana_system user's password (Kibana signs in with it), and loads the 14-day lifecycle
# policy and the index template of the minitwit-logs data stream (ilm-policy.json, index-template.json
# beside this script). Run by compose's logging-setup service and the swarm stack's; by hand:
#   ELASTICSEARCH_HOSTS=http://localhost:9200 ELASTIC_PASSWORD=... KIBANA_SYSTEM_PASSWORD=... ./setup.sh
# Each password may instead be given as a file: ELASTIC_PASSWORD_FILE, KIBANA_SYSTEM_PASSWORD_FILE.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
es=${ELASTICSEARCH_HOSTS:-http://elasticsearch:9200}

# VAR, or the contents of the file VAR_FILE names.
secret() {
  local file_var="${1}_FILE"
  if [ -n "${!file_var:-}" ]; then cat "${!file_var}"; else printf '%s' "${!1:-}"; fi
}
elastic_password=$(secret ELASTIC_PASSWORD)
kibana_password=$(secret KIBANA_SYSTEM_PASSWORD)
[ -n "$elastic_password" ] || { echo "logging-setup: set ELASTIC_PASSWORD (see .env.example)" >&2; exit 1; }
[ -n "$kibana_password" ] || { echo "logging-setup: set KIBANA_SYSTEM_PASSWORD (see .env.example)" >&2; exit 1; }

es_call() {
  local method=$1 path=$2
  shift 2
  curl -fsS -u "elastic:$elastic_password" -X "$method" -H 'Content-Type: application/json' "$es$path" "$@"
  echo
}

for _ in $(seq 120); do
  es_call GET '/_cluster/health?wait_for_status=yellow&timeout=5s' > /dev/null 2>&1 && break
  sleep 2
done
es_call GET '/_cluster/health?wait_for_status=yellow&timeout=5s' > /dev/null \
  || { echo "logging-setup: Elasticsearch at $es does not answer (or ELASTIC_PASSWORD is wrong)" >&2; exit 1; }

printf '{"password":"%s"}' "$kibana_password" > /tmp/kibana-password.json
es_call POST /_security/user/kibana_system/_password --data-binary @/tmp/kibana-password.json > /dev/null
rm -f /tmp/kibana-password.json
es_call PUT /_ilm/policy/minitwit-logs --data-binary "@$here/ilm-policy.json"
es_call PUT /_index_template/minitwit-logs --data-binary "@$here/index-template.json"
echo "logging-setup: kibana_system password, ILM policy and index template are in place"
