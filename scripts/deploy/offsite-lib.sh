# shellcheck shell=bash
# Shared by scripts/deploy/cluster.sh and scripts/deploy/offsite-drill.sh: a release of the cluster, and the
# restore from the off-site repository (cluster.sh --restore-from: a new cluster after losing every node;
# offsite-drill.sh: the database node lost), the steps deploy/swarm/README.md gives, with the cluster's
# off-site host in place of Spaces.

# deploy_release IMAGE [DATA_DIR]: the release script against the manager (node 1 of the cluster in DIR, its
# namespace in_node1), web and api on IMAGE, PostgreSQL's data in DATA_DIR (default POSTGRES_DATA_DIR).
# Every release of the cluster with the same stack files: a release that left out stack.offsite.yml changed
# PostgreSQL's spec, so Swarm restarted it, and the release's first new replica failed to start ("ENOTFOUND
# postgres") and was rolled back.
deploy_release() {
  in_node1 env "DOCKER_HOST=unix://$DIR/node1/docker.sock" "POSTGRES_DATA_DIR=${2:-$POSTGRES_DATA_DIR}" \
    scripts/deploy/stack-deploy.sh --local --image "$1" --postgres-image minitwit-postgres:cluster \
    --backup-image minitwit-backup:cluster --override deploy/swarm/stack.test.yml --override deploy/swarm/stack.offsite.yml --no-smoke
}

# restore_from_repo2 DATA_DIR IMAGE: on the engine DOCKER_HOST names (the new database node), DATA_DIR (empty,
# owned by the image's postgres) restored from repo2: the newest backup there, and a restore_command that
# fetches every archived WAL segment when PostgreSQL starts on it (recovery to the end of the archive, then
# a new timeline). Needs OFFSITE_HOST, OFFSITE_ADDR, OFFSITE_CA, OFFSITE_KEY, OFFSITE_SECRET (offsite.sh
# start's lines), BACKUP_S3_BUCKET and BACKUP_S3_REGION. pgBackRest's output goes to standard output.
restore_from_repo2() {
  docker run --rm --user postgres --add-host "$OFFSITE_HOST:$OFFSITE_ADDR" \
    -v "$1:/var/lib/postgresql/data" -v "$OFFSITE_CA:/etc/pgbackrest/offsite-ca.crt:ro" \
    -e PGBACKREST_REPO2_TYPE=s3 -e PGBACKREST_REPO2_PATH=/pgbackrest -e "PGBACKREST_REPO2_S3_BUCKET=$BACKUP_S3_BUCKET" \
    -e "PGBACKREST_REPO2_S3_ENDPOINT=$OFFSITE_HOST" -e "PGBACKREST_REPO2_S3_REGION=$BACKUP_S3_REGION" \
    -e PGBACKREST_REPO2_S3_URI_STYLE=path -e PGBACKREST_REPO2_STORAGE_CA_FILE=/etc/pgbackrest/offsite-ca.crt \
    -e "PGBACKREST_REPO2_S3_KEY=$OFFSITE_KEY" -e "PGBACKREST_REPO2_S3_KEY_SECRET=$OFFSITE_SECRET" \
    --entrypoint pgbackrest "$2" --stanza=minitwit --repo=2 restore 2>&1
}
