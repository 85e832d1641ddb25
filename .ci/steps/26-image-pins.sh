#!/usr/bin/env bash
# Image pins: scripts/deploy/pin-images.sh against a registry of our own (Debian's docker-registry, plain HTTP).
# Images are pushed over the registry's HTTP API with curl (an OCI index, later a single manifest under
# the same tag), then a stack file naming 127.0.0.1:PORT/pins/app:1.0: --update pins the registry's
# digest; --check passes; the tag moved: --check shows it and still passes; a pin the registry does not
# have, and an unpinned image, exit 1; then through a proxy that wants a bearer token first (the
# exchange public registries ask for). The registry and the proxy are started here and stopped by their
# pids; the data and the files are in a temporary directory, removed at the end.
source "$(dirname "$0")/../lib.sh"
ensure_packages docker-registry curl
work=$(mktemp -d)
registry_pid="" proxy_pid=""
stop() {
  local pid
  for pid in $proxy_pid $registry_pid; do
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$work"
}
trap stop EXIT
failed=0
fail() { echo "FAILED: $*" >&2; failed=1; }

port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
REGISTRY=http://127.0.0.1:$port
IMAGE=127.0.0.1:$port/pins/app
cat > "$work/registry.yml" << YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/data
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -fsS --max-time 2 "$REGISTRY/v2/" > /dev/null 2>&1 && break
  kill -0 "$registry_pid" 2> /dev/null || { cat "$work/registry.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS --max-time 2 "$REGISTRY/v2/" > /dev/null || { echo "the registry does not answer" >&2; exit 1; }
echo "registry: docker-registry $(dpkg-query -W -f='${Version}' docker-registry) at $REGISTRY (pid $registry_pid)"

digest_of() { printf 'sha256:%s' "$(sha256sum "$1" | cut -d' ' -f1)"; }
size_of() { stat -c %s "$1"; }
# A blob, uploaded in two requests (POST for an upload, PUT of the bytes to its location).
push_blob() {
  local location
  location=$(curl -fsS --max-time 10 -X POST -D - -o /dev/null "$REGISTRY/v2/pins/app/blobs/uploads/" \
    | tr -d '\r' | grep -i '^location:' | sed -E 's/^[^:]*: *//')
  [[ $location == http* ]] || location=$REGISTRY$location
  curl -fsS --max-time 10 -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" \
    -o /dev/null "$location&digest=$(digest_of "$1")"
}
# A manifest (FILE MEDIA_TYPE REFERENCE); the registry answers its digest, which must be its bytes' sha256.
push_manifest() {
  local answered
  answered=$(curl -fsS --max-time 10 -X PUT -H "Content-Type: $2" --data-binary "@$1" -D - -o /dev/null \
    "$REGISTRY/v2/pins/app/manifests/$3" | tr -d '\r' | grep -i '^docker-content-digest:' | sed -E 's/^[^:]*: *//')
  [ "$answered" = "$(digest_of "$1")" ] || { echo "pushed $1, the registry says $answered" >&2; exit 1; }
}
# An image of one layer holding FILE's text: its manifest in $work/NAME.manifest.json.
make_image() {
  local name=$1 text=$2 layer config
  mkdir -p "$work/$name.root" && printf '%s\n' "$text" > "$work/$name.root/version"
  tar -C "$work/$name.root" -cf "$work/$name.tar" version
  gzip -n -c "$work/$name.tar" > "$work/$name.tar.gz"
  layer=$work/$name.tar.gz config=$work/$name.config.json
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$(digest_of "$work/$name.tar")" > "$config"
  push_blob "$layer"
  push_blob "$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
    "$(digest_of "$config")" "$(size_of "$config")" "$(digest_of "$layer")" "$(size_of "$layer")" \
    > "$work/$name.manifest.json"
}

# 1.0 as a multi-platform image (an OCI index over one manifest), as the public images are.
make_image first "first build"
push_manifest "$work/first.manifest.json" application/vnd.oci.image.manifest.v1+json "$(digest_of "$work/first.manifest.json")"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}}]}' \
  "$(digest_of "$work/first.manifest.json")" "$(size_of "$work/first.manifest.json")" > "$work/first.index.json"
push_manifest "$work/first.index.json" application/vnd.oci.image.index.v1+json 1.0
first=$(digest_of "$work/first.index.json")

stack=$work/stack.yml
cat > "$stack" << YAML
services:
  app:
    image: $IMAGE:1.0
  ours:
    image: \${MINITWIT_IMAGE}
YAML
pins() { REGISTRY_TIMEOUT=5 scripts/deploy/pin-images.sh "$@" "$stack" > "$work/out" 2>&1; }
# expect STATUS WHAT ARGS...: pin-images.sh with ARGS exits STATUS; its output is in $work/out.
expect() {
  local want=$1 what=$2 status=0
  shift 2
  pins "$@" || status=$?
  sed 's/^/    /' "$work/out"
  if [ "$status" = "$want" ]; then echo "ok: $what (exit $status)"; else fail "$what: exit $status, expected $want"; fi
}
shows() { grep -qF -- "$1" "$work/out" || fail "the output does not say: $1"; }

expect 1 "an unpinned image is listed as unpinned"
shows "$IMAGE:1.0"
shows unpinned
expect 1 "--check of an unpinned image" --check
shows "unpinned (the tag is $first now)"
expect 0 "--update pins the tag's digest" --update
grep -qxF "    image: $IMAGE:1.0@$first" "$stack" || fail "the stack file does not name $IMAGE:1.0@$first"
grep -qxF "    image: \${MINITWIT_IMAGE}" "$stack" || fail "--update changed the image named by a variable"
expect 0 "--check of the pin just made" --check
shows "$first (the tag's digest now)"

# The tag moved upstream (a rebuild): a single manifest now, another digest; the pinned bytes still pull.
make_image second "second build"
push_manifest "$work/second.manifest.json" application/vnd.oci.image.manifest.v1+json 1.0
second=$(digest_of "$work/second.manifest.json")
expect 0 "--check after the tag moved" --check
shows "$first (the tag moved to $second: --update to follow it)"
expect 0 "--update follows the tag" --update
grep -qxF "    image: $IMAGE:1.0@$second" "$stack" || fail "the stack file does not name $IMAGE:1.0@$second"

# A pin the registry does not have (a typo, or a digest from somewhere else).
absent=sha256:$(printf 'not pushed' | sha256sum | cut -d' ' -f1)
sed -i "s#@$second#@$absent#" "$stack"
expect 1 "--check of a pin that is not in the registry" --check
shows "$absent NOT IN THE REGISTRY"

# A tag the registry does not have: --update refuses, and changes nothing.
sed -i "s#image: $IMAGE:1.0@$absent#image: $IMAGE:9.9#" "$stack"
cp "$stack" "$work/before"
expect 1 "--update of a tag the registry does not have" --update
cmp -s "$stack" "$work/before" || fail "--update changed the file although it failed"

# A registry that wants a token, as Docker Hub, quay.io and docker.elastic.co do: a proxy in front of ours
# answers 401 with `WWW-Authenticate: Bearer realm=...` unless the request carries the token its realm
# gives for exactly that service and scope.
# shellcheck disable=SC2016 # the template strings are JavaScript's
node -e '
const http = require("node:http");
const upstream = Number(process.argv[1]);
const server = http.createServer((request, reply) => {
  const url = new URL(request.url, "http://proxy");
  if (url.pathname === "/token") {
    const granted = url.searchParams.get("service") === "pins-test" &&
      url.searchParams.get("scope") === "repository:pins/app:pull";
    console.error(granted ? "token granted" : `token refused: ${url.search}`);
    reply.writeHead(granted ? 200 : 403, { "content-type": "application/json" });
    return reply.end(granted ? JSON.stringify({ token: "granted-token", expires_in: 300 }) : "{}");
  }
  if (request.headers.authorization !== "Bearer granted-token") {
    reply.writeHead(401, {
      "www-authenticate": `Bearer realm="http://${request.headers.host}/token",service="pins-test",scope="repository:pins/app:pull"`,
    });
    return reply.end();
  }
  const headers = { ...request.headers, host: `127.0.0.1:${upstream}` };
  delete headers.authorization;
  const onward = http.request({ host: "127.0.0.1", port: upstream, method: request.method, path: request.url, headers },
    (answer) => { reply.writeHead(answer.statusCode, answer.headers); answer.pipe(reply); });
  request.pipe(onward);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
' "$port" > "$work/proxy.port" 2> "$work/proxy.log" &
proxy_pid=$!
for _ in $(seq 50); do [ -s "$work/proxy.port" ] && break; sleep 0.2; done
[ -s "$work/proxy.port" ] || { echo "the token proxy did not start" >&2; cat "$work/proxy.log" >&2; exit 1; }
BEHIND_TOKEN=localhost:$(cat "$work/proxy.port")/pins/app
cat > "$stack" << YAML
services:
  app:
    image: $BEHIND_TOKEN:1.0
YAML
expect 0 "--update through a registry that wants a token" --update
grep -qxF "    image: $BEHIND_TOKEN:1.0@$second" "$stack" || fail "the stack file does not name $BEHIND_TOKEN:1.0@$second"
expect 0 "--check through a registry that wants a token" --check
shows "$second (the tag's digest now)"
grep -qx "token granted" "$work/proxy.log" || fail "no token was asked for"
! grep -q "token refused" "$work/proxy.log" || fail "a token was asked for the wrong service or scope: $(cat "$work/proxy.log")"

[ "$failed" = 0 ] || { echo "registry log:" >&2; cat "$work/registry.log" >&2; exit 1; }
echo "image pins: every case as expected"
