#!/usr/bin/env bash
# Static checks: shellcheck, yamllint, compose and stack files, Terraform formatting, the CI wiring.
# shellcheck disable=SC2317 # the checks are functions that check() calls
source "$(dirname "$0")/../lib.sh"
ensure_packages shellcheck yamllint ruby
# Compose v2 (Debian trixie's; the Compose Specification's !reset and secrets from the environment):
# the binary runs on its own, no docker CLI or engine needed.
compose_v2=$(scripts/container/cli-plugins.sh)
failed=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what" >&2; failed=1; fi
}
files() { git ls-files --cached --others --exclude-standard "$@"; }

# Every shell script: *.sh and files whose first line names sh or bash.
mapfile -t shell_scripts < <(files | while read -r f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sh) echo "$f" ;;
    *.*) ;;
    *) head -n 1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;;
  esac
done)
check "shellcheck (${#shell_scripts[@]} scripts)" shellcheck "${shell_scripts[@]}"

mapfile -t yaml_files < <(files '*.yml' '*.yaml' .yamllint)
check "yamllint (${#yaml_files[@]} files)" yamllint --strict "${yaml_files[@]}"

# Compose files parse without an engine. Dummy, non-secret values for the variables they require; a
# .env of the developer's is not read (--env-file).
dummy_env=$(mktemp)
trap 'rm -f "$dummy_env"' EXIT
cat > "$dummy_env" <<'ENV'
POSTGRES_PASSWORD=dummy-not-a-secret
SESSION_SECRET=dummy-not-a-secret-dummy-not-a-secret
SIMULATOR_USERNAME=dummy-simulator
SIMULATOR_PASSWORD=dummy-not-a-secret
BACKUP_SIGNING_KEY=dummy-not-a-secret-dummy-not-a-secret
MINITWIT_WEB_HOST=minitwit.example.org
MINITWIT_API_HOST=api.minitwit.example.org
ACME_EMAIL=ops@example.org
MINITWIT_IMAGE=registry.example/minitwit:0.0.0
CONFIG_VERSION=0000000
ENV
compose_config() {
  "$compose_v2" --env-file "$dummy_env" --project-directory "$(dirname "$1")" -f "$1" "${@:2}" config -q 2> "$dummy_env.err" \
    || { cat "$dummy_env.err" >&2; return 1; }
}
check "docker compose config: compose.yaml" compose_config compose.yaml
check "docker compose config: compose.yaml with the edge" compose_config compose.yaml -f compose.edge.yaml
# The swarm stack as scripts/deploy/stack-deploy.sh deploys it: every file together (and CI's test override).
stack_files() {
  MINITWIT_POSTGRES_IMAGE=registry.example/minitwit-postgres:0.0.0 MINITWIT_BACKUP_IMAGE=registry.example/b:0 \
    MINITWIT_WEB_HOST=minitwit.example MINITWIT_API_HOST=api.minitwit.example BACKUP_S3_BUCKET=bucket \
    BACKUP_S3_ENDPOINT=https://fra1.digitaloceanspaces.com BACKUP_S3_ENDPOINT_HOST=fra1.digitaloceanspaces.com \
    OFFSITE_HOST=offsite.example OFFSITE_ADDR=192.0.2.1 \
    "$compose_v2" --env-file "$dummy_env" --project-directory deploy/swarm -f deploy/swarm/stack.yml \
    -f deploy/backup/stack.backup.yml "$@" config -q
}
check "docker compose config: the stack with deploy/backup/stack.backup.yml" stack_files
check "docker compose config: the stack with its test override" stack_files -f deploy/swarm/stack.test.yml
check "docker compose config: the stack with the cluster's off-site host" stack_files -f deploy/swarm/stack.test.yml \
  -f deploy/swarm/stack.offsite.yml
rm -f "$dummy_env.err"

# .env.example names every variable compose.yaml and compose.edge.yaml read.
env_example_complete() {
  local missing
  # shellcheck disable=SC2016 # a literal ${ to find
  missing=$(comm -23 <(grep -ho '\${[A-Z_][A-Z0-9_]*' compose.yaml compose.edge.yaml | cut -c3- | sort -u) \
    <(grep -oE '^[A-Z_][A-Z0-9_]*=' .env.example | tr -d = | sort -u))
  [ -z "$missing" ] || { echo "not in .env.example: $missing" >&2; return 1; }
}
check ".env.example lists compose.yaml's variables" env_example_complete

# CircleCI runs every step script (nothing only .ci/run knows).
circleci_runs_every_step() {
  local step ok=0
  for step in .ci/steps/*.sh; do
    grep -q "$step" .circleci/config.yml || { echo "$step is not in .circleci/config.yml" >&2; ok=1; }
  done
  return "$ok"
}
check "CircleCI runs every .ci/steps script" circleci_runs_every_step

# CircleCI's own schema for config.yml, as its config parser package ships it (when the registry answers).
circleci_schema() {
  local dir="${MINITWIT_CI_CACHE:-/var/cache/minitwit-ci}/circleci-config-parser"
  if [ ! -d "$dir/node_modules/@circleci/circleci-config-parser" ]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
      @circleci/circleci-config-parser@0.10.0-alpha.3 yaml@2 > /dev/null 2>&1 \
      || { echo "skipped: @circleci/circleci-config-parser could not be installed" >&2; return 0; }
  fi
  node .ci/check-circleci-config.mjs "$dir" .circleci/config.yml
}
check "CircleCI config against CircleCI's schema" circleci_schema

check "ruby -c Vagrantfile" ruby -c Vagrantfile

# Terraform: formatting, and the cloud-init template rendered for each role (offline: it needs no
# provider) into YAML that carries deploy/provision's scripts unchanged. Providers cannot be fetched
# here, so `terraform validate` cannot run (deploy/terraform/README.md).
cloud_init_renders() {
  local dir role
  dir=$(mktemp -d)
  cat > "$dir/main.tf" <<TF
variable "role" { type = string }
output "rendered" {
  value = templatefile("$PWD/deploy/terraform/templates/cloud-init.yaml.tftpl", {
    role = var.role, manager_addr = "10.110.0.2", admin_cidrs = "203.0.113.4/32", swarm_cidr = "10.110.0.0/20",
    database_node = "minitwit-db", database_volume = "/dev/disk/by-id/scsi-0DO_Volume_minitwit-db",
    join_public_key = "ssh-ed25519 AAAA example", join_private_key = "-----BEGIN KEY-----\nx\n-----END KEY-----\n",
    host_key_public = var.role == "manager" ? "ssh-ed25519 AAAA host" : "",
    host_key_private = var.role == "manager" ? "-----BEGIN KEY-----\nh\n-----END KEY-----\n" : "",
    provision_files = { for f in fileset("$PWD/deploy/provision", "*.sh") : f => file("$PWD/deploy/provision/\${f}") }
  })
}
TF
  (cd "$dir" && terraform init -input=false > /dev/null 2>&1) || { echo "terraform init failed" >&2; return 1; }
  for role in manager worker database; do
    (cd "$dir" && terraform apply -auto-approve -input=false -var "role=$role" > /dev/null 2>&1 \
      && terraform output -raw rendered > "$role.yaml") || { echo "rendering for $role failed" >&2; return 1; }
    python3 - "$dir/$role.yaml" deploy/provision <<'PY' || return 1
import sys, yaml, pathlib
text = open(sys.argv[1]).read()
assert text.startswith("#cloud-config\n"), "no #cloud-config header"
config = yaml.safe_load(text)
files = {pathlib.Path(f["path"]).name: f["content"] for f in config["write_files"]}
for script in pathlib.Path(sys.argv[2]).glob("*.sh"):
    assert files.get(script.name) == script.read_text(), f"{script.name} differs in the rendered cloud-init"
assert config["runcmd"], "no runcmd"
if sys.argv[1].endswith("manager.yaml"):
    assert config["ssh_keys"]["ed25519_public"] == "ssh-ed25519 AAAA host", "the manager's host key is not set"
    assert config["ssh_keys"]["ed25519_private"].startswith("-----BEGIN KEY-----\nh\n"), "host key not kept"
else:
    assert "ssh_keys" not in config, "a host key on a node other than the manager"
PY
  done
  rm -rf "$dir"
}
if command -v terraform > /dev/null; then
  check "terraform fmt" terraform fmt -check -recursive deploy/terraform
  check "cloud-init template renders (manager, worker, database)" cloud_init_renders
else
  echo "skipped: terraform fmt and the cloud-init rendering (no terraform here)"
fi

exit $failed
