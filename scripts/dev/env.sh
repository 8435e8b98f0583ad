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
