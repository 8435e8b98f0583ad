#!/usr/bin/env bash
# The dev command: two Harbor instances on this machine's Docker engine behind harbor-ha's own
# haproxy on https://127.0.0.1:9443, PostgreSQL and Redis as containers, /var/tmp/harbor-ha-dev
# standing in for CephFS. Everything listens on 127.0.0.1 only. Stop and remove it with
# scripts/dev-down.sh.
#
# Needs: root (the instances' directories belong to uid 10000), Docker (DOCKER_HOST and the CLI's
# context are honoured), the Pulumi CLI (>= 3.248, < 4), Node.js >= 20.19 with npm, haproxy, socat
# and curl, and Harbor's images on the engine or pullable (Docker Hub, or harbor.imageRegistry).
# Pulumi downloads its plugins itself; without get.pulumi.com install them first (README).
# HARBOR_HA_DEV_BUILD_PULUMI=1 builds the Pulumi CLI and plugins from Go modules instead, into
# $HARBOR_HA_DEV_HOME/toolchain (needs Go; ~10 minutes).
# Extra arguments go to `pulumi up` (e.g. --diff).
set -euo pipefail
# shellcheck source=dev/env.sh
. "$(dirname "$0")/dev/env.sh"
cd "$HARBOR_HA_REPO"
say() { echo "dev-up: $*"; }
fail() { echo "dev-up: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (sudo scripts/dev-up.sh): the Harbor instances' directories must belong to uid 10000"
command -v node >/dev/null 2>&1 || fail "node: not installed; install Node.js >= 20.19 (apt-get install nodejs npm, or https://nodejs.org)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  fail "node: v$(node -p process.versions.node) is too old; install Node.js >= 20.19"
command -v npm >/dev/null 2>&1 || fail "npm: not installed; apt-get install npm"

if [ "${HARBOR_HA_DEV_BUILD_PULUMI:-0}" = 1 ] && ! command -v pulumi >/dev/null 2>&1; then
  say "building the Pulumi toolchain from Go modules into $HARBOR_HA_DEV_HOME/toolchain (HARBOR_HA_DEV_BUILD_PULUMI=1)"
  command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || fail "go: not installed; HARBOR_HA_DEV_BUILD_PULUMI=1 needs Go >= 1.24 (https://go.dev/dl)"
  [ -d node_modules ] || npm ci --no-audit --no-fund
  HARBOR_HA_TOOLCHAIN="$HARBOR_HA_DEV_HOME/toolchain" bash scripts/toolchain/install.sh ||
    fail "the toolchain build is incomplete (its summary above says what is missing)"
  # shellcheck source=dev/env.sh
  . scripts/dev/env.sh
fi

# The project's own npm modules (the program and the pre-flight need them); nothing system-wide.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (the project's modules, into ./node_modules)"
  npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install ts-node --transpile-only -P tsconfig.json scripts/dev/preflight.ts --stack-config "$DEV_SOURCE_CONFIG" || exit 1

dev_stack_init || fail "could not create the dev stack (above)"
dev_write_config || fail "could not write the stack config"

dev_pulumi up --yes --non-interactive "$@"

# docker login needs to trust the stack's CA: one file in the engine's certs.d for this
# registry address (read at each login, no restart); dev-down removes it again.
url="$(dev_pulumi stack output externalUrl)"
registry="${url#https://}"
case "$(docker info --format '{{.SecurityOptions}}' 2>/dev/null)" in
  *rootless*) certs="${XDG_CONFIG_HOME:-$HOME/.config}/docker/certs.d/$registry" ;;
  *) certs="/etc/docker/certs.d/$registry" ;;
esac
if [ "${url#https://}" != "$url" ]; then
  if [ -e "$certs/ca.crt" ] && ! grep -qxF "$certs/ca.crt" "$HARBOR_HA_DEV_HOME/installed-files" 2>/dev/null; then
    say "kept the existing $certs/ca.crt (not written by dev-up); docker login trusts whatever it holds"
  else
    mkdir -p "$certs"
    dev_pulumi stack output caCertificate >"$certs/ca.crt"
    grep -qxF "$certs/ca.crt" "$HARBOR_HA_DEV_HOME/installed-files" 2>/dev/null || echo "$certs/ca.crt" >>"$HARBOR_HA_DEV_HOME/installed-files"
  fi
fi

me="$HARBOR_HA_REPO/scripts"
cat <<MSG

Harbor (dev stack) is up: $url   user: admin
  admin password:  $me/dev-pulumi.sh stack output adminPassword --show-secrets
  docker login:    $me/dev-pulumi.sh stack output adminPassword --show-secrets | docker login $registry -u admin --password-stdin
  any pulumi cmd:  $me/dev-pulumi.sh preview --diff
  stop + remove:   $me/dev-down.sh   (removes the stack and its data, see README)
State, passphrase and salt: $HARBOR_HA_DEV_HOME
MSG
