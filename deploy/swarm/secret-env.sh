#!/bin/sh
# Usage: secret-env.sh COMMAND [ARG...]
#
# For images that read a password only from an environment variable (Kibana, Filebeat, Grafana's
# provisioning): for each NAME in $SECRETS_FROM_FILES, exports NAME with the contents of the file that
# NAME_FILE names (a Docker secret under /run/secrets), then replaces itself with COMMAND. The secret
# never appears in the stack file or in `docker service inspect`.
set -eu
case "${1:-}" in -h | --help | "") sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
for name in ${SECRETS_FROM_FILES:-}; do
  eval "file=\${${name}_FILE:-}"
  [ -n "$file" ] || { echo "secret-env: ${name}_FILE is not set" >&2; exit 1; }
  value=$(cat "$file")
  export "$name=$value"
done
exec "$@"
