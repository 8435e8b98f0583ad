#!/usr/bin/env bash
# Make the Pulumi engine toolchain available to this project, offline from
# get.pulumi.com and GitHub: the CLI, the Node.js language host and the
# resource plugins at exactly the versions the npm SDKs in node_modules ask for.
#
#   scripts/toolchain/install.sh            # build what is missing, register, report
#   . scripts/toolchain/env.sh              # then use it (PATH, PULUMI_HOME, ...)
#
# Order of preference for each binary:
#   0. for a resource plugin: `pulumi-resource-<name>` in $HARBOR_HA_PLUGIN_DIR, when the
#      environment names a directory of plugin binaries obtained elsewhere (registered as is);
#   1. a finished binary in the cache ($HARBOR_HA_CACHE/toolchain/<name>-<version>/);
#   2. for the CLI and language host: a `pulumi` already on PATH at the right version;
#   3. a build from Go modules through the Go module proxy (nothing third-party is
#      committed; generated files are made in a scratch copy at build time).
#
# Outputs (all outside version control):
#   .toolchain/bin/          pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs
#   .toolchain/pulumi-home/  PULUMI_HOME with the resource plugins registered
#   .toolchain/status.txt    one line per component: ok|missing|skipped and why
#
# Environment:
#   HARBOR_HA_CACHE      cache root (default ~/.cache/harbor-ha); Go caches and binaries
#   HARBOR_HA_TOOLCHAIN  install prefix (default <repo>/.toolchain)
#   HARBOR_HA_GOPROXY    Go module proxy (default https://proxy.golang.org)
#   HARBOR_HA_NICE       niceness for builds (default 10)
#   HARBOR_HA_SKIP_DOCKER=1   do not try the docker plugin
#   HARBOR_HA_PLUGIN_DIR directory with prebuilt pulumi-resource-<name> binaries at the pinned
#                        versions (e.g. from a machine that can download plugins)
#
# Exit status: 0 when the CLI, the language host and every required plugin are
# in place; 1 otherwise (the summary says which and why). The docker plugin is
# tried but never makes the script fail.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=versions.sh
. "$HERE/versions.sh"

CACHE="${HARBOR_HA_CACHE:-$HOME/.cache/harbor-ha}/toolchain"
PREFIX="${HARBOR_HA_TOOLCHAIN:-$REPO/.toolchain}"
BIN="$PREFIX/bin"
export PULUMI_HOME="$PREFIX/pulumi-home"
NICE="nice -n ${HARBOR_HA_NICE:-10}"

# Go environment: everything cached under $CACHE, keyed by content (GOMODCACHE)
# and by action (GOCACHE); only the module proxy is reachable, and the
# checksum database is not, so GOSUMDB is off. The CLI wrapper's go.sum is
# committed and pins every module of its build; a provider build checks its
# modules against the provider's own committed go.sum.
export GOMODCACHE="$CACHE/gomodcache"
export GOCACHE="$CACHE/gocache"
export GOPROXY="${HARBOR_HA_GOPROXY:-https://proxy.golang.org}"
export GOSUMDB=off
export GOTOOLCHAIN=local
export GOWORK=off
export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PATH="$BIN:$PATH"
if [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi

mkdir -p "$CACHE" "$BIN" "$PULUMI_HOME" "$GOMODCACHE" "$GOCACHE"
STATUS_FILE="$PREFIX/status.txt"
: >"$STATUS_FILE.tmp"
LOGDIR="$CACHE/logs"
mkdir -p "$LOGDIR"

FAILED=0
log() { printf '[toolchain] %s\n' "$*" >&2; }
# status <component> <ok|missing|skipped> <detail>
status() {
  printf '%-24s %-8s %s\n' "$1" "$2" "$3" >>"$STATUS_FILE.tmp"
  log "$1: $2 - $3"
}
now() { date +%s; }
elapsed() { echo "$(($(now) - $1))s"; }
# Last meaningful lines of a log, on one line, for the status file.
why() {
  local r
  # The proxy's own answer is the most useful line when a module is not served.
  r="$(grep -o 'reading https://[^ ]*: [0-9]\{3\} [A-Za-z ]*' "$1" | tail -n 1)"
  [ -n "$r" ] && { echo "$r ($(grep -o 'server response: [^"\\]*' "$1" | tail -n 1))"; return; }
  grep -v '^go: downloading' "$1" | tail -n "${2:-3}" | tr '\n\t' '  ' | sed 's/  */ /g'
}
# Copy a file into place only when it differs (keeps warm runs cheap).
place() {
  local src="$1" dst="$2"
  if [ -e "$dst" ] && cmp -s "$src" "$dst"; then return 0; fi
  rm -f "$dst"
  ln "$src" "$dst" 2>/dev/null || cp "$src" "$dst"
  chmod +x "$dst"
}
have_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "no 'go' on PATH (expected Go >= 1.25 at /usr/local/go)"
    return 1
  fi
}

# ---------------------------------------------------------------------------
# 0. The pins must match the SDKs in node_modules.
check_pins() {
  local nm="$REPO/node_modules/@pulumi"
  if [ ! -f "$nm/pulumi/package.json" ]; then
    log "node_modules/@pulumi/pulumi is missing: run 'npm ci' first"
    exit 1
  fi
  local got entry name version
  got="$(node -p "require('$nm/pulumi/package.json').version")"
  if [ "$got" != "$PULUMI_VERSION" ]; then
    log "@pulumi/pulumi in node_modules is $got but versions.sh pins $PULUMI_VERSION"
    exit 1
  fi
  for entry in "${PROVIDERS[@]}" "${OPTIONAL_PROVIDERS[@]}"; do
    IFS='|' read -r name version _ <<<"$entry"
    [ -f "$nm/$name/package.json" ] || continue
    got="$(node -p "(require('$nm/$name/package.json').pulumi || {}).version")"
    if [ "$got" != "$version" ]; then
      log "@pulumi/$name requests plugin version $got but versions.sh pins $version"
      exit 1
    fi
  done
}

# ---------------------------------------------------------------------------
# 1. The Pulumi CLI.
# An installed pulumi of the right version wins over a build.
find_installed_pulumi() {
  local p v
  p="$(PATH="${PATH#"$BIN:"}" command -v pulumi 2>/dev/null)" || return 1
  v="$("$p" version 2>/dev/null)" || return 1
  [ "$v" = "v$PULUMI_VERSION" ] || { log "ignoring $p: it is $v, need v$PULUMI_VERSION"; return 1; }
  echo "$p"
}

install_cli() {
  local out="$CACHE/pulumi-$PULUMI_VERSION/pulumi" installed t0
  if [ ! -x "$out" ] && installed="$(find_installed_pulumi)"; then
    place "$installed" "$BIN/pulumi"
    status pulumi ok "installed $installed (v$PULUMI_VERSION)"
    INSTALLED_PULUMI_DIR="$(dirname "$installed")"
    return 0
  fi
  if [ ! -x "$out" ]; then
    have_go || { status pulumi missing "no Go toolchain to build it"; FAILED=1; return 1; }
    log "building pulumi v$PULUMI_VERSION from $PULUMI_PKG_MODULE (wrapper module scripts/toolchain/go/pulumi-cli)"
    t0=$(now)
    mkdir -p "$(dirname "$out")"
    # -mod=readonly: the committed go.sum must cover the whole build.
    if ! (cd "$HERE/go/pulumi-cli" && $NICE go build -mod=readonly -trimpath \
        -tags osusergo,grpcnotrace \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
        -o "$out.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >"$LOGDIR/pulumi.log" 2>&1; then
      status pulumi missing "build failed after $(elapsed "$t0"): $(why "$LOGDIR/pulumi.log")"
      FAILED=1
      return 1
    fi
    mv "$out.tmp" "$out"
    echo "$(elapsed "$t0")" >"$out.buildtime"
    log "built pulumi in $(elapsed "$t0")"
  fi
  place "$out" "$BIN/pulumi"
  status pulumi ok "v$PULUMI_VERSION built from Go modules (build took $(cat "$out.buildtime" 2>/dev/null || echo '?'); cached)"
}

# ---------------------------------------------------------------------------
# 2. The Node.js language host (a separate, untagged Go module).
install_langhost() {
  local out="$CACHE/pulumi-language-nodejs-$PULUMI_VERSION/pulumi-language-nodejs" p t0 work
  if [ ! -x "$out" ] && [ -n "${INSTALLED_PULUMI_DIR:-}" ]; then
    for p in "$INSTALLED_PULUMI_DIR/pulumi-language-nodejs" "$(command -v pulumi-language-nodejs 2>/dev/null)"; do
      if [ -n "$p" ] && [ -x "$p" ] && [ "$p" != "$BIN/pulumi-language-nodejs" ]; then
        place "$p" "$BIN/pulumi-language-nodejs"
        status pulumi-language-nodejs ok "installed $p (next to the installed pulumi)"
        return 0
      fi
    done
  fi
  if [ ! -x "$out" ]; then
    have_go || { status pulumi-language-nodejs missing "no Go toolchain to build it"; FAILED=1; return 1; }
    log "building pulumi-language-nodejs $LANGHOST_VERSION ($LANGHOST_MODULE)"
    t0=$(now)
    # A wrapper module generated in a scratch dir: the language host's own
    # go.mod replaces pkg and sdk with relative paths, so it cannot be
    # `go install`ed; requiring it from another module ignores those replaces.
    work="$CACHE/scratch/pulumi-language-nodejs"
    rm -rf "$work" && mkdir -p "$work"
    sed -e "s#@LANGHOST_MODULE@#$LANGHOST_MODULE#g" -e "s#@LANGHOST_VERSION@#$LANGHOST_VERSION#g" \
        -e "s#@PULUMI_VERSION@#$PULUMI_VERSION#g" \
        "$HERE/go/pulumi-language-nodejs/go.mod.in" >"$work/go.mod"
    sed -e "s#@LANGHOST_MODULE@#$LANGHOST_MODULE#g" "$HERE/go/pulumi-language-nodejs/tools.go.in" >"$work/tools.go"
    mkdir -p "$(dirname "$out")"
    if ! (cd "$work" && $NICE go mod tidy && $NICE go build -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
        -o "$out.tmp" "$LANGHOST_MODULE") >"$LOGDIR/pulumi-language-nodejs.log" 2>&1; then
      local reason
      reason="$LANGHOST_MODULE@$LANGHOST_VERSION: $(why "$LOGDIR/pulumi-language-nodejs.log" 2)"
      if [ "${HARBOR_HA_LANGHOST_FALLBACK:-0}" = 1 ]; then
        install_langhost_fallback "$reason" && return 0
      fi
      rm -f "$BIN/pulumi-language-nodejs" # never leave a fallback from an earlier run in place
      status pulumi-language-nodejs missing "$reason (HARBOR_HA_LANGHOST_FALLBACK=1 builds the older host from $LANGHOST_FALLBACK_MODULE v$LANGHOST_FALLBACK_VERSION instead)"
      FAILED=1
      return 1
    fi
    mv "$out.tmp" "$out"
    echo "$(elapsed "$t0")" >"$out.buildtime"
    log "built pulumi-language-nodejs in $(elapsed "$t0")"
  fi
  place "$out" "$BIN/pulumi-language-nodejs"
  status pulumi-language-nodejs ok "v$PULUMI_VERSION built from Go modules (build took $(cat "$out.buildtime" 2>/dev/null || echo '?'); cached)"
}

# Opt-in fallback (HARBOR_HA_LANGHOST_FALLBACK=1): the language host from the
# last sdk/v3 release that still contained it and that the proxy serves. It is
# NOT the pinned version: the status line says so, and the smoke test prints it.
install_langhost_fallback() {
  local reason="$1" out="$CACHE/pulumi-language-nodejs-$LANGHOST_FALLBACK_VERSION/pulumi-language-nodejs" t0
  if [ ! -x "$out" ]; then
    log "building FALLBACK pulumi-language-nodejs from $LANGHOST_FALLBACK_MODULE v$LANGHOST_FALLBACK_VERSION"
    t0=$(now)
    mkdir -p "$(dirname "$out")"
    if ! (cd "$HERE/go/pulumi-language-nodejs-sdk-v$LANGHOST_FALLBACK_VERSION" && $NICE go build -mod=readonly -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGHOST_FALLBACK_VERSION" \
        -o "$out.tmp" "$LANGHOST_FALLBACK_MODULE/nodejs/cmd/pulumi-language-nodejs") >"$LOGDIR/pulumi-language-nodejs-fallback.log" 2>&1; then
      log "fallback build failed: $(why "$LOGDIR/pulumi-language-nodejs-fallback.log")"
      return 1
    fi
    mv "$out.tmp" "$out"
    echo "$(elapsed "$t0")" >"$out.buildtime"
    log "built fallback pulumi-language-nodejs in $(elapsed "$t0")"
  fi
  place "$out" "$BIN/pulumi-language-nodejs"
  status pulumi-language-nodejs fallback "v$LANGHOST_FALLBACK_VERSION, NOT the pinned v$PULUMI_VERSION (build took $(cat "$out.buildtime" 2>/dev/null || echo '?'); cached). Pinned host unavailable: $reason"
}

# ---------------------------------------------------------------------------
# 3. The dynamic-provider host ships as a script inside @pulumi/pulumi.
install_dynamic_host() {
  local src="$REPO/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  place "$src" "$BIN/pulumi-resource-pulumi-nodejs"
  status pulumi-resource-pulumi-nodejs ok "from node_modules/@pulumi/pulumi $PULUMI_VERSION"
}

# ---------------------------------------------------------------------------
# 4. Resource providers.
# Prints the module's directory in GOMODCACHE; fails with the proxy's answer.
download_module() { # module version logfile
  local json
  json="$(go mod download -json "$1@$2" 2>>"$3")"
  echo "$json" >>"$3"
  if echo "$json" | grep -q '"Error"'; then return 1; fi
  echo "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# build_provider <name> <version> <module> <pseudo> <main> <ldvar> <out>
build_provider() {
  local name="$1" version="$2" module="$3" pseudo="$4" main="$5" ldvar="$6" out="$7"
  local logf="$LOGDIR/$name.log" dir work rel shimdecl shimsrc shimdir scratchmod gen
  : >"$logf"
  dir="$(download_module "$module" "$pseudo" "$logf")" || { echo "module $module@$pseudo not available: $(why "$logf" 2)"; return 1; }
  [ -n "$dir" ] || { echo "module $module@$pseudo: no Dir in 'go mod download' output"; return 1; }

  # Local-path replace directives in the provider's go.mod decide what else is needed.
  local replaces
  replaces="$(go mod edit -json "$dir/go.mod" | node -e '
    const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const r of m.Replace || []) if (r.New.Path.startsWith(".")) console.log(r.Old.Path + " " + r.New.Path);')"
  while read -r old rel; do
    [ -n "$old" ] || continue
    case "$rel" in
      ./*) ;;
      *) echo "go.mod replaces $old => $rel, a path outside the module (a git submodule in the provider repo, with Pulumi's patches applied at build time); it is not in any published module, and re-creating the patched code by hand is out of bounds"; return 1 ;;
    esac
    IFS='|' read -r shimdecl shimsrc <<<"${PROVIDER_SHIMS[$name]:-}"
    if [ "$old" != "$shimdecl" ]; then
      echo "go.mod replaces $old => $rel and no published module is known for it"
      return 1
    fi
  done <<<"$replaces"

  work="$CACHE/scratch/$name-$version"
  rm -rf "$work" && mkdir -p "$work"
  cp -r "$dir/." "$work/" && chmod -R u+w "$work"

  # The nested shim module is not in the provider's zip. Fetch the same commit
  # from the proxy under its repository path (it declares the path the
  # provider's go.mod replaces) and put it where that replace points.
  while read -r old rel; do
    [ -n "$old" ] || continue
    IFS='|' read -r shimdecl shimsrc <<<"${PROVIDER_SHIMS[$name]}"
    scratchmod="$CACHE/scratch/$name-$version-shimfetch"
    rm -rf "$scratchmod" && mkdir -p "$scratchmod"
    printf 'module harbor-ha.local/toolchain/shimfetch\n\ngo 1.25.0\n\nrequire %s v0.0.0\n\nreplace %s => %s %s\n' \
      "$shimdecl" "$shimdecl" "$shimsrc" "${pseudo/#v[0-9]*.0.0-/v0.0.0-}" >"$scratchmod/go.mod"
    shimdir="$(cd "$scratchmod" && go mod download -json "$shimdecl" 2>>"$logf" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    if [ -z "$shimdir" ] || [ ! -d "$shimdir" ]; then
      echo "nested module $shimsrc (${pseudo/#v[0-9]*.0.0-/v0.0.0-}) is not served by $GOPROXY: $(why "$logf" 2)"
      return 1
    fi
    rm -rf "${work:?}/$rel" && mkdir -p "$work/$rel"
    cp -r "$shimdir/." "$work/$rel/" && chmod -R u+w "$work/$rel"
  done <<<"$replaces"

  # Generated embeds (schema-embed.json from the committed schema.json).
  gen=0
  grep -qs '^//go:generate' "$work/$main"/*.go && gen=1
  if [ "$gen" = 1 ]; then
    (cd "$work/$main" && VERSION="$version" $NICE go generate ./...) >>"$logf" 2>&1 || { echo "go generate failed: $(why "$logf")"; return 1; }
  fi
  mkdir -p "$(dirname "$out")"
  (cd "$work" && $NICE go build -mod=mod -trimpath \
      -ldflags "-s -w -X $module/$ldvar=$version" -o "$out.tmp" "./$main") >>"$logf" 2>&1 \
    || { echo "go build failed: $(why "$logf")"; return 1; }
  mv "$out.tmp" "$out"
  rm -rf "$work" "$CACHE/scratch/$name-$version-shimfetch"
}

# register <name> <version> <binary>: into PULUMI_HOME, only when it changed.
register_plugin() {
  local name="$1" version="$2" bin="$3" dest="$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1"
  if [ -x "$dest" ] && cmp -s "$bin" "$dest"; then return 0; fi
  if [ ! -x "$BIN/pulumi" ]; then
    echo "no pulumi CLI to register it with"
    return 1
  fi
  "$BIN/pulumi" plugin install resource "$name" "$version" --file "$bin" --reinstall >>"$LOGDIR/$name.log" 2>&1 \
    || { echo "pulumi plugin install failed: $(why "$LOGDIR/$name.log")"; return 1; }
}

install_provider() { # entry required(0|1)
  local entry="$1" required="$2" name version module pseudo main ldvar out t0 err
  IFS='|' read -r name version module pseudo main ldvar <<<"$entry"
  out="$CACHE/$name-$version/pulumi-resource-$name"
  if [ -n "${HARBOR_HA_PLUGIN_DIR:-}" ] && [ -x "$HARBOR_HA_PLUGIN_DIR/pulumi-resource-$name" ]; then
    if err="$(register_plugin "$name" "$version" "$HARBOR_HA_PLUGIN_DIR/pulumi-resource-$name")"; then
      status "resource-$name" ok "v$version from HARBOR_HA_PLUGIN_DIR ($HARBOR_HA_PLUGIN_DIR), registered in PULUMI_HOME"
      return 0
    fi
  fi
  if [ ! -x "$out" ]; then
    if ! have_go; then
      err="no Go toolchain to build it"
    else
      log "building pulumi-resource-$name $version ($module@$pseudo)"
      t0=$(now)
      if err="$(build_provider "$name" "$version" "$module" "$pseudo" "$main" "$ldvar" "$out")"; then
        echo "$(elapsed "$t0")" >"$out.buildtime"
        log "built pulumi-resource-$name in $(elapsed "$t0")"
        err=""
      fi
    fi
  fi
  if [ -x "$out" ]; then
    if err="$(register_plugin "$name" "$version" "$out")"; then
      status "resource-$name" ok "v$version built from Go modules (build took $(cat "$out.buildtime" 2>/dev/null || echo '?'); cached), registered in PULUMI_HOME"
      return 0
    fi
  fi
  if [ "$required" = 1 ]; then
    status "resource-$name" missing "v$version: $err"
    FAILED=1
  else
    status "resource-$name" skipped "v$version (optional): $err${PROVIDER_BLOCKERS[$name]:+; and even if it were: ${PROVIDER_BLOCKERS[$name]}}"
  fi
}

# ---------------------------------------------------------------------------
T_ALL=$(now)
check_pins
INSTALLED_PULUMI_DIR=""
install_cli
install_langhost
install_dynamic_host
for entry in "${PROVIDERS[@]}"; do install_provider "$entry" 1; done
if [ "${HARBOR_HA_SKIP_DOCKER:-0}" != 1 ]; then
  for entry in "${OPTIONAL_PROVIDERS[@]}"; do install_provider "$entry" 0; done
fi
mv "$STATUS_FILE.tmp" "$STATUS_FILE"

echo
echo "Pulumi toolchain ($(elapsed "$T_ALL"); cache $CACHE, prefix $PREFIX):"
cat "$STATUS_FILE"
if [ "$FAILED" != 0 ]; then
  echo
  echo "Toolchain INCOMPLETE: see the 'missing' lines above and the logs in $LOGDIR."
  exit 1
fi
echo
echo "Use it with:  . scripts/toolchain/env.sh"
