# shellcheck shell=bash
# Source this after scripts/toolchain/install.sh:
#
#   . scripts/toolchain/env.sh
#
# It puts the project's Pulumi toolchain first on PATH and points Pulumi at a
# project-local PULUMI_HOME where install.sh registered the resource plugins.
# It never downloads anything, and it tells Pulumi not to either.
# It sets no backend and no passphrase: tests and scripts choose their own
# (PULUMI_BACKEND_URL=file://..., PULUMI_CONFIG_PASSPHRASE=...).

_harbor_ha_env_here="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
_harbor_ha_repo="$(cd "$_harbor_ha_env_here/../.." && pwd)"

export HARBOR_HA_TOOLCHAIN="${HARBOR_HA_TOOLCHAIN:-$_harbor_ha_repo/.toolchain}"
export PULUMI_HOME="$HARBOR_HA_TOOLCHAIN/pulumi-home"
case ":$PATH:" in
  *":$HARBOR_HA_TOOLCHAIN/bin:"*) ;;
  *) export PATH="$HARBOR_HA_TOOLCHAIN/bin:$PATH" ;;
esac
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Plugins come from PULUMI_HOME (registered, exact versions), not from
# whatever pulumi-resource-* happens to be on PATH.
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true

if [ ! -x "$HARBOR_HA_TOOLCHAIN/bin/pulumi" ]; then
  echo "env.sh: no pulumi in $HARBOR_HA_TOOLCHAIN/bin; run scripts/toolchain/install.sh" >&2
fi
unset _harbor_ha_env_here _harbor_ha_repo
