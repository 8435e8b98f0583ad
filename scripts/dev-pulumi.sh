#!/usr/bin/env bash
# Any pulumi command against the dev stack, from your own shell and any directory:
#   scripts/dev-pulumi.sh stack output adminPassword --show-secrets
#   scripts/dev-pulumi.sh preview --diff
# It sets what scripts/dev-up.sh used (backend, passphrase, stack config in $HARBOR_HA_DEV_HOME).
set -euo pipefail
# shellcheck source=dev/env.sh
. "$(dirname "$0")/dev/env.sh"
[ -d "$HARBOR_HA_DEV_HOME/state" ] || { echo "dev-pulumi: no dev stack in $HARBOR_HA_DEV_HOME; run scripts/dev-up.sh first" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: scripts/dev-pulumi.sh <pulumi command> [args]" >&2; exit 2; }
if [ "$1" = config ] && [[ " ${*:2} " =~ \ (set|rm|set-all|rm-all|cp)\  ]]; then
  echo "dev-pulumi: edit Pulumi.dev.yaml instead (the dev stack's config; dev-up copies it, and it needs no secrets)" >&2; exit 2
fi
dev_pulumi "$@"
