# shellcheck shell=bash
# The dev stack's environment, shared by scripts/dev-up.sh, dev-down.sh and dev-pulumi.sh.
# Everything the stack keeps lives in $HARBOR_HA_DEV_HOME (default ~/.harbor-ha-dev), never in
# the work tree: the file backend (state/), the passphrase, and the stack config Pulumi reads
# (Pulumi.dev.yaml there = the tracked Pulumi.dev.yaml plus this machine's encryptionsalt).
_dev_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HARBOR_HA_REPO="$(cd "$_dev_here/../.." && pwd)"
export HARBOR_HA_DEV_HOME="${HARBOR_HA_DEV_HOME:-$HOME/.harbor-ha-dev}"
export PULUMI_BACKEND_URL="file://$HARBOR_HA_DEV_HOME/state"
export PULUMI_SKIP_UPDATE_CHECK=true
# The dev stack's own passphrase, unless the user brings one.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE_FILE="$HARBOR_HA_DEV_HOME/passphrase"
fi
DEV_STACK=dev
# The dev stack's config as the user edits it (tracked), and the copy Pulumi reads (with the salt).
DEV_SOURCE_CONFIG="${HARBOR_HA_DEV_STACK_CONFIG:-$HARBOR_HA_REPO/Pulumi.dev.yaml}"
DEV_CONFIG="$HARBOR_HA_DEV_HOME/Pulumi.$DEV_STACK.yaml"
DEV_SALT="$HARBOR_HA_DEV_HOME/encryptionsalt"
# The Docker provider reads DOCKER_HOST; without it, take the endpoint the docker CLI uses (its
# current context: rootless Docker, Docker Desktop, a remote context), so both talk to one engine.
if [ -z "${DOCKER_HOST:-}" ] && command -v docker >/dev/null 2>&1; then
  _dev_docker_host="$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
  [ -z "$_dev_docker_host" ] || export DOCKER_HOST="$_dev_docker_host"
fi
# An opt-in toolchain built by dev-up (HARBOR_HA_DEV_BUILD_PULUMI=1) lives in the dev home only.
if [ -x "$HARBOR_HA_DEV_HOME/toolchain/bin/pulumi" ] && ! command -v pulumi >/dev/null 2>&1; then
  export HARBOR_HA_TOOLCHAIN="$HARBOR_HA_DEV_HOME/toolchain"
  # shellcheck source=../toolchain/env.sh
  . "$HARBOR_HA_REPO/scripts/toolchain/env.sh"
fi
unset _dev_here _dev_docker_host

# pulumi with the dev stack's backend, passphrase and config file, from any directory.
dev_pulumi() {
  local sub="$1"
  case "$sub" in
    up|preview|refresh|destroy|config|watch|import) pulumi --cwd "$HARBOR_HA_REPO" "$@" --stack "$DEV_STACK" --config-file "$DEV_CONFIG" ;;
    *) pulumi --cwd "$HARBOR_HA_REPO" "$@" --stack "$DEV_STACK" ;;
  esac
}

dev_stack_exists() {
  [ -d "$HARBOR_HA_DEV_HOME/state" ] && pulumi --cwd "$HARBOR_HA_REPO" stack ls --json 2>/dev/null | grep -q "\"name\": \"$DEV_STACK\""
}

# Creates the stack in a scratch project of the same name, so the salt Pulumi writes at
# `stack init` lands there and not in the tracked Pulumi.dev.yaml; the salt is kept in $DEV_SALT.
dev_stack_init() {
  local init="$HARBOR_HA_DEV_HOME/init"
  mkdir -p "$HARBOR_HA_DEV_HOME/state" && chmod 700 "$HARBOR_HA_DEV_HOME"
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    if [ "$PULUMI_CONFIG_PASSPHRASE_FILE" != "$HARBOR_HA_DEV_HOME/passphrase" ]; then
      echo "PULUMI_CONFIG_PASSPHRASE_FILE names $PULUMI_CONFIG_PASSPHRASE_FILE, which is empty or missing" >&2; return 1
    fi
    (umask 077; head -c 32 /dev/urandom | base64 >"$PULUMI_CONFIG_PASSPHRASE_FILE")
  fi
  dev_stack_exists && return 0
  rm -rf "$init" && mkdir -p "$init"
  printf 'name: %s\nruntime: nodejs\n' "$(sed -n 's/^name: *//p' "$HARBOR_HA_REPO/Pulumi.yaml")" >"$init/Pulumi.yaml"
  pulumi --cwd "$init" stack init "$DEV_STACK" --secrets-provider passphrase --non-interactive >/dev/null || return 1
  sed -n 's/^encryptionsalt: *//p' "$init/Pulumi.$DEV_STACK.yaml" >"$DEV_SALT"
  rm -rf "$init"
}

# The config Pulumi reads: the user's Pulumi.dev.yaml plus this machine's salt.
dev_write_config() {
  [ -s "$DEV_SALT" ] || { echo "the dev stack exists but $DEV_SALT is missing; remove it with scripts/dev-down.sh and run dev-up again" >&2; return 1; }
  { echo "encryptionsalt: $(cat "$DEV_SALT")"; grep -v '^encryptionsalt:' "$DEV_SOURCE_CONFIG"; } >"$DEV_CONFIG"
}
