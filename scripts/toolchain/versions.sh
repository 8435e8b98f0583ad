# shellcheck shell=bash
# Pinned versions of the Pulumi toolchain. Sourced by install.sh and env.sh.
#
# Each pin must equal what the npm SDK in node_modules asks for
# (node_modules/@pulumi/<name>/package.json field pulumi.version, and the
# version of @pulumi/pulumi itself for the CLI and language host).
# install.sh checks this and refuses to run on a mismatch.
#
# Provider repositories tag vX.Y.Z but never provider/vX.Y.Z, so their Go
# modules are addressed by the pseudo-version of the tagged commit
# (vMAJOR.0.0-<UTC commit time>-<12 hex of the commit>).

PULUMI_VERSION=3.248.0
# pulumi/pulumi tag pkg/v3.248.0 -> commit dc7edd58bc13 (2026-06-24 18:00:30 UTC).
PULUMI_PKG_MODULE=github.com/pulumi/pulumi/pkg/v3
PULUMI_SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
# The Node.js language host is a separate, untagged module in the same commit.
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LANGHOST_VERSION=v3.0.0-20260624180030-dc7edd58bc13

# Resource providers: name|version|module|pseudo-version|main package (relative to module)|version ldflag variable
PROVIDERS=(
  "command|1.2.1|github.com/pulumi/pulumi-command/provider|v0.0.0-20260303235922-7f3eb6f3b77c|cmd/pulumi-resource-command|pkg/version.Version"
  "random|4.21.1|github.com/pulumi/pulumi-random/provider/v4|v4.0.0-20260722185042-f2d8b029d0f7|cmd/pulumi-resource-random|pkg/version.Version"
  "tls|5.5.1|github.com/pulumi/pulumi-tls/provider/v5|v5.0.0-20260722185624-c3b9a61e7075|cmd/pulumi-resource-tls|pkg/version.Version"
)
# Tried, not required (pulumi-notes §6.4: its go.mod replaces the upstream
# Terraform provider with ../upstream, a git submodule with Pulumi patches).
OPTIONAL_PROVIDERS=(
  "docker|5.0.0|github.com/pulumi/pulumi-docker/provider/v5|v5.0.0-20260421125334-c2baf6a4997f|cmd/pulumi-resource-docker|pkg/version.Version"
)

# The nested shim modules of random and tls (provider/shim, excluded from the
# provider module zip). Key: provider name. Value: declared module path|source path on the proxy.
declare -A PROVIDER_SHIMS=(
  [random]="github.com/terraform-providers/terraform-provider-random/shim|github.com/pulumi/pulumi-random/provider/shim"
  [tls]="github.com/hashicorp/terraform-provider-tls/shim|github.com/pulumi/pulumi-tls/provider/shim"
)

# Opt-in fallback language host (HARBOR_HA_LANGHOST_FALLBACK=1), used only when
# the pinned one cannot be built: sdk/v3 v3.68.0 is the last sdk/v3 release on
# the proxy here whose module still contains nodejs/cmd/pulumi-language-nodejs.
LANGHOST_FALLBACK_MODULE=github.com/pulumi/pulumi/sdk/v3
LANGHOST_FALLBACK_VERSION=3.68.0

# What is known to stop a provider build even when its module is served
# (printed with its status line). pulumi-notes §6.4.
declare -A PROVIDER_BLOCKERS=(
  [docker]="its provider go.mod has 'replace github.com/terraform-providers/terraform-provider-docker => ../upstream': a git submodule (kreuzwerker/terraform-provider-docker) with Pulumi's patches applied at build time, patch 0001 adding the shim package the provider imports; no published module holds the patched tree, and re-creating it by hand is out of bounds"
)
