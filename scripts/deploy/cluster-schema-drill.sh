# shellcheck shell=bash
# The schema-change drill of scripts/deploy/cluster.sh --faults (sourced by it; uses its on, in_node1,
# figure, fail, placement, deploy_release, start_replay, replay_verdict, manager, secs, now_ms). The rule it proves: deploy/swarm/
# README.md, "Changing the schema under a rolling update".
#
# messages.text is replaced by messages.content in three releases, each a build of this checkout with
# scripts/drill/schema-change's patch and migrations (source-tree.sh), each rolled across the three nodes by
# the release script while a replay runs through the edge:
#   expand    adds content and backfills it; writes both; reads text (or content where text is NULL);
#   contract  fills the rows the release before expand wrote during expand's roll, makes content required
#             and text optional; reads and writes content alone;
#   drop      contract's code (its image plus the migration); drops text.
# During each roll two releases serve at once. Judged: each release completes (no rollback), the replay has
# no error and its end state is right, every acknowledged write is in the database.

# schema_column_state: the messages table's columns and whether each is required, as PostgreSQL has them.
schema_column_state() {
  local postgres
  postgres=$(on 3 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_postgres" | head -1)
  on 3 docker exec -u postgres "$postgres" psql -d minitwit -Atc \
    "SELECT string_agg(column_name || CASE WHEN is_nullable = 'NO' THEN ' (required)' ELSE '' END, ', ' ORDER BY ordinal_position)
     FROM information_schema.columns WHERE table_name = 'messages' AND column_name IN ('text', 'content')" 2> /dev/null \
    || echo unknown
}

# schema_build RELEASE: its image minitwit:schema-RELEASE on node 1; exit code in $DIR/build-RELEASE.rc.
schema_build() {
  local dir code=0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/minitwit-schema-$1.XXXXXX")
  scripts/drill/schema-change/source-tree.sh "$1" "$dir" > "$DIR/build-$1.log" 2>&1 || code=$?
  if [ "$code" != 0 ]; then
    :
  elif [ "$1" = drop ]; then
    # Contract's image with drop's migrations: what a build of drop's tree makes (its code is contract's;
    # the build copies the SQL files as they are), without compiling it all again.
    printf 'FROM minitwit:schema-contract\nCOPY . /app/dist/src/db/migrations/\n' \
      | on 1 docker build --quiet --label "org.minitwit.schema-change=$1" --tag "minitwit:schema-$1" \
        --file - "$dir/src/db/migrations" >> "$DIR/build-$1.log" 2>&1 || code=$?
  else
    on 1 docker build --quiet --target app --label "org.minitwit.schema-change=$1" --tag "minitwit:schema-$1" \
      "$dir" >> "$DIR/build-$1.log" 2>&1 || code=$?
  fi
  rm -rf "$dir"
  echo "$code" > "$DIR/build-$1.rc"
}

schema_change_drill() {
  local t release code images=() n build_pids=()
  log "schema change: messages.text replaced by messages.content in three releases rolled under a replay"
  t=$(now_ms)
  # expand and contract built side by side (each its own compile), then drop from contract's image.
  schema_build expand &
  build_pids+=($!)
  schema_build contract &
  build_pids+=($!)
  wait "${build_pids[@]}"
  schema_build drop
  for release in expand contract drop; do
    if [ "$(cat "$DIR/build-$release.rc" 2> /dev/null)" != 0 ]; then
      tail -20 "$DIR/build-$release.log" >&2
      fail "schema change: the $release build failed"
      return
    fi
    images+=("minitwit:schema-$release")
  done
  for n in 2 3; do on 1 docker save "${images[@]}" | on "$n" docker load --quiet > /dev/null; done
  figure "schema change: 3 releases built, loaded into nodes 2, 3" "$(secs "$(($(now_ms) - t))") s"

  node dist/scripts/minitwit.js scenario --actions "${SCHEMA_ACTIONS:-8000}" --seed cluster-schema \
    --user-suffix " schema" --out "$DIR/schema.csv" > /dev/null
  start_replay schema "$DIR/schema.csv" "${SCHEMA_ACTIONS:-8000}"
  # Users registered and messages written by the release before expand first.
  sleep 10
  for release in expand contract drop; do
    t=$(now_ms)
    code=0
    deploy_release "minitwit:schema-$release" > "$DIR/release-$release.log" 2>&1 || code=$?
    figure "schema change: $release rolled (web 2, api 3)" \
      "exit $code after $(secs "$(($(now_ms) - t))") s; api on $(manager current_image minitwit-api), web on $(manager current_image minitwit-web); messages: $(schema_column_state)"
    if [ "$code" != 0 ]; then
      tail -8 "$DIR/release-$release.log" >&2
      fail "schema change: the $release release exited $code"
      break
    fi
  done
  figure "schema change: where web and api run after the drop" "api on $(placement minitwit-api), web on $(placement minitwit-web)"
  kill -0 "$REPLAY_PID" 2> /dev/null || fail "the schema replay ended before the drop release did: raise SCHEMA_ACTIONS"
  replay_verdict schema strict
}
