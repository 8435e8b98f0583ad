#!/usr/bin/env bash
# Stops and removes the dev stack that scripts/dev-up.sh brought up, and everything dev-up made:
#   - every resource of the stack (`pulumi destroy`): the Harbor containers, their networks, the
#     dev PostgreSQL and Redis containers, harbor-ha's own haproxy;
#   - the stack's DATA: registry blobs, job logs, logs and the dev database (the directories
#     `scripts/dev/preflight.ts --data-dirs` lists, under /var/tmp/harbor-ha-dev by default);
#   - the CA file dev-up put into Docker's certs.d for `docker login`;
#   - the stack's state, passphrase and salt in $HARBOR_HA_DEV_HOME (an opt-in toolchain build
#     there is kept: it is a cache).
# Kept: Docker itself and its images (docker image rm them if you want), the host's own haproxy
# and every other service. --keep-data keeps the data directories (and the state is then gone:
# a new dev-up starts a new stack on the old data).
set -euo pipefail
# shellcheck source=dev/env.sh
. "$(dirname "$0")/dev/env.sh"
cd "$HARBOR_HA_REPO"
say() { echo "dev-down: $*"; }
fail() { echo "dev-down: $*" >&2; exit 1; }
keep_data=0
for a in "$@"; do case "$a" in --keep-data) keep_data=1 ;; *) fail "unknown argument $a (only --keep-data)" ;; esac; done
[ "$(id -u)" = 0 ] || fail "run as root (sudo scripts/dev-down.sh): the stack's directories belong to uid 10000 and root"

# Read before anything is removed: a failure here stops dev-down with nothing touched.
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
dirs_text="$(npx --no-install ts-node --transpile-only -P tsconfig.json scripts/dev/preflight.ts --data-dirs --stack-config "$DEV_SOURCE_CONFIG")" ||
  fail "cannot read the data directories from $DEV_SOURCE_CONFIG (above); nothing was removed"
mapfile -t dirs <<<"$dirs_text"

if dev_stack_exists; then
  [ -f "$DEV_CONFIG" ] || dev_write_config || fail "cannot destroy the stack without its config; nothing was removed"
  say "pulumi destroy (the dev stack's containers, networks and haproxy)"
  dev_pulumi destroy --yes --non-interactive ||
    fail "pulumi destroy failed (above); nothing else was removed. Fix it and run dev-down again"
  # --preserve-config: without it `stack rm` deletes the tracked Pulumi.dev.yaml.
  pulumi --cwd "$HARBOR_HA_REPO" stack rm "$DEV_STACK" --yes --non-interactive --preserve-config >/dev/null
else
  say "no dev stack in $HARBOR_HA_DEV_HOME (already removed); removing what is left"
fi

if [ "$keep_data" = 0 ]; then
  for d in "${dirs[@]}"; do
    # Only a directory at least two levels deep (never /, /var, /var/tmp ...).
    case "$d" in /*/*/*) ;; *) say "not removing $d (too close to /; remove it yourself)"; continue ;; esac
    if [ -e "$d" ]; then rm -rf -- "$d"; say "removed $d"; fi
    rmdir -- "$(dirname "$d")" 2>/dev/null || true
  done
fi

if [ -f "$HARBOR_HA_DEV_HOME/installed-files" ]; then
  while read -r f; do
    [ -n "$f" ] || continue
    rm -f -- "$f" && rmdir -- "$(dirname "$f")" 2>/dev/null || true
    say "removed $f"
  done <"$HARBOR_HA_DEV_HOME/installed-files"
fi
rm -rf -- "$HARBOR_HA_DEV_HOME/state" "$HARBOR_HA_DEV_HOME/passphrase" "$DEV_SALT" "$DEV_CONFIG" "$HARBOR_HA_DEV_HOME/installed-files"
rmdir -- "$HARBOR_HA_DEV_HOME" 2>/dev/null || true
say "done; Docker, its images and the host's own services are as they were"
