# MiniTwit's image: one image, two roles (MINITWIT_ROLE=web|api|all), run as the unprivileged `node` user.
# The target `backup` is the same image plus PostgreSQL 17's pg_dump: the backup service's.
#
#   docker build -t minitwit --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg REVISION=$(git rev-parse HEAD) .
#   docker build --target backup -t minitwit-backup .
#   docker run -p 5000:5000 -p 5001:5001 -v minitwit-data:/data minitwit     # embedded database in /data
#
# Configuration: the environment variables of README.md, each also as <NAME>_FILE (Docker secrets).
# Signals: node itself is PID 1 (exec-form CMD, no shell): it handles SIGTERM and SIGINT (drain, finish
# in-flight requests, close the database) and exits 0. It starts no child processes, so no init is needed
# to reap zombies; `docker run --init` adds tini if you want one anyway.

# An official Node.js image of a supported LTS, exact tag, Debian trixie (the glibc argon2 is built
# against in the build stage is the runtime's; trixie also has PostgreSQL 17's client for the backup
# target). CI here builds on a stand-in with the same name (scripts/container/stand-ins.sh).
ARG NODE_IMAGE=node:24.11.1-trixie-slim

FROM ${NODE_IMAGE} AS build
# node-gyp compiles argon2: python3, make and g++ (not in the -slim image).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# argon2 is compiled from source against this image's Node.js headers (/usr/local/include/node, where the
# official image keeps them). Its install script (node-gyp-build) keeps argon2's prebuilt linux-x64 binary
# whenever that loads, and that binary has crashed Node.js with a segmentation fault on some hosts; so the
# prebuilds are deleted and argon2 rebuilt: with nothing prebuilt to load, node-gyp-build compiles it, and
# the runtime can only load the compiled build/Release/argon2.node. The hash proves it loads and works.
ENV npm_config_nodedir=/usr/local \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
# .npmrc: engine-strict and strict-allow-scripts (only argon2 and better-sqlite3 may run install scripts);
# .prebuild-installrc: better-sqlite3 compiles from source, never downloads a binary; patches/: what
# patch-package applies at install (PGlite keeping a leading U+FEFF; @fastify/helmet building its headers once).
COPY package.json package-lock.json .npmrc .prebuild-installrc ./
COPY patches ./patches
RUN npm ci \
  && rm -rf node_modules/argon2/prebuilds node_modules/argon2/build \
  && npm rebuild argon2 \
  && test -f node_modules/argon2/build/Release/argon2.node \
  && node -e "require('argon2').hash('build-check').then(() => console.log('argon2: compiled module loads'))"
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# Two sets of modules: the backup image keeps the tools' optional libraries (croner, the AWS SDK, ...),
# the app ships without them (its commands load them only when they run: `minitwit backup --scheduled`).
RUN npm run build \
  && npm prune --omit=dev \
  && cp -a node_modules /app/node_modules-with-tools \
  && npm prune --omit=dev --omit=optional \
  && rm -f dist/.tsbuildinfo \
  && find dist -name '*.map' -delete

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="MiniTwit" \
      org.opencontainers.image.description="MiniTwit, the ITU DevOps course's microblog: web pages and the simulator API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
ENV NODE_ENV=production \
    MINITWIT_ROLE=all \
    HOST=0.0.0.0 \
    PORT=5000 \
    API_PORT=5001 \
    DATA_DIR=/data \
    LOG_FORMAT=json \
    MINITWIT_VERSION=${VERSION}
WORKDIR /app
# The code is root's and read-only to the app; only /data (the embedded database and its generated
# session secret) is the app's to write.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node:node
EXPOSE 5000 5001
# Liveness of the port(s) this role serves. The app listens only after migrations and warm-up, so
# "healthy" also means ready to serve: Swarm's start-first updates wait for it.
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
STOPSIGNAL SIGTERM
ENTRYPOINT []
CMD ["node", "dist/src/server.js"]

# The backup service: this image (`minitwit backup`, `minitwit restore`) plus pg_dump of the server's
# major version, which must be at least as new as the server. A stage of this file, so compose builds it
# from the app's own layers (never pulling an image named minitwit:local). POSTGRES_CLIENT_SOURCE:
# `pgdg` (production) takes postgresql-client-17 from PostgreSQL's own apt repository, whose point
# releases follow the server's; `debian` takes trixie's, for builds that cannot reach that repository
# (CI here).
FROM runtime AS backup
ARG POSTGRES_MAJOR=17
ARG POSTGRES_CLIENT_SOURCE=pgdg
USER root
COPY --from=build /app/node_modules-with-tools ./node_modules
RUN apt-get update \
  && if [ "$POSTGRES_CLIENT_SOURCE" = pgdg ]; then \
       apt-get install -y --no-install-recommends ca-certificates postgresql-common \
       && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; \
     elif [ "$POSTGRES_CLIENT_SOURCE" != debian ]; then \
       echo "POSTGRES_CLIENT_SOURCE must be pgdg or debian" >&2; exit 1; \
     fi \
  && apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_MAJOR}" \
  && rm -rf /var/lib/apt/lists/* \
  && install -d -o node -g node -m 700 /backups \
  && "/usr/lib/postgresql/${POSTGRES_MAJOR}/bin/pg_dump" --version
ENV PG_DUMP=/usr/lib/postgresql/${POSTGRES_MAJOR}/bin/pg_dump \
    BACKUP_DIR=/backups \
    MINITWIT_ROLE=api
VOLUME ["/backups"]
USER node:node
# Not a server: the app's HTTP health check does not apply; the compose file checks the scheduler's
# heartbeat instead, and the alert MinitwitBackupMissing watches the backups themselves.
HEALTHCHECK NONE
CMD ["node", "dist/scripts/minitwit.js", "backup", "--scheduled"]

# The default target (a plain `docker build`): the app.
FROM runtime AS app
