#!/usr/bin/env bash
# Runs the dev stack on this machine: two Harbor instances on the local Docker engine behind
# haproxy on https://127.0.0.1:9443, PostgreSQL and Redis as containers, /var/tmp/harbor-ha-dev
# standing in for CephFS. Needs root (host directories, haproxy), Docker, and Harbor's images
# reachable from the engine (Docker Hub, or harbor.imageRegistry pointing at a mirror).
# State stays on this machine: a file backend under ~/.harbor-ha-dev, passphrase secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
export HARBOR_HA_DEV_HOME="${HARBOR_HA_DEV_HOME:-$HOME/.harbor-ha-dev}"
mkdir -p "$HARBOR_HA_DEV_HOME"

if ! docker info >/dev/null 2>&1; then
  echo "dev-up: starting a Docker engine (installs docker.io if needed)"
  bash tests/lab/lab.sh prereqs
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
if command -v pulumi >/dev/null 2>&1 && pulumi version 2>/dev/null | grep -q '^v3\.248\.0$'; then
  echo "dev-up: using the installed pulumi $(pulumi version)"
else
  bash scripts/toolchain/install.sh
  # shellcheck source=scripts/toolchain/env.sh
  . scripts/toolchain/env.sh
fi

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$HARBOR_HA_DEV_HOME/state}"
mkdir -p "$HARBOR_HA_DEV_HOME/state"
# A per-machine passphrase, created once; keep it to read this stack's secrets later.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  [ -f "$HARBOR_HA_DEV_HOME/passphrase" ] || (umask 077; head -c 32 /dev/urandom | base64 > "$HARBOR_HA_DEV_HOME/passphrase")
  export PULUMI_CONFIG_PASSPHRASE_FILE="$HARBOR_HA_DEV_HOME/passphrase"
fi
pulumi stack select dev --create --non-interactive
pulumi up --stack dev --yes --non-interactive "$@"
echo
echo "Harbor: $(pulumi stack output externalUrl)  (admin password: pulumi stack output adminPassword --show-secrets)"
