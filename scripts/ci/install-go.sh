#!/usr/bin/env bash
# Go for scripts/toolchain/install.sh (the Pulumi CLI and plugins are built from Go modules):
# Debian 12's golang (1.19) is too old. Installs the official Go release into /usr/local/go from
# the Go module proxy, which serves each release as the module golang.org/toolchain (the same
# archive `go` itself downloads with GOTOOLCHAIN), checked against a pinned SHA-256. Idempotent:
# does nothing when /usr/local/go already has Go >= GO_MIN.
set -euo pipefail
GO_VERSION=1.26.8
GO_ZIP_SHA256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
GO_MIN=1.25
PROXY="${HARBOR_HA_GOPROXY:-https://proxy.golang.org}"
GOROOT_DIR="${HARBOR_HA_GO_ROOT:-/usr/local/go}"

have="$("$GOROOT_DIR/bin/go" env GOVERSION 2>/dev/null | sed 's/^go//' || true)"
if [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$GO_MIN" "$have" | sort -V | head -n1)" = "$GO_MIN" ]; then
  echo "install-go: Go $have at $GOROOT_DIR"; exit 0
fi
[ "$(uname -m)" = x86_64 ] || { echo "install-go: only linux-amd64 is pinned here; install Go >= $GO_MIN at /usr/local/go (https://go.dev/dl)"; exit 1; }
command -v unzip >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q unzip >/dev/null
mod="golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-amd64"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "install-go: downloading Go $GO_VERSION from $PROXY (about 70 MB)"
curl -fsSL --retry 3 -o "$tmp/go.zip" "$PROXY/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip"
echo "$GO_ZIP_SHA256  $tmp/go.zip" | sha256sum -c --quiet - || { echo "install-go: checksum mismatch; refusing to install"; exit 1; }
unzip -q "$tmp/go.zip" -d "$tmp/x"
rm -rf "$GOROOT_DIR.new" && mv "$tmp/x/$mod" "$GOROOT_DIR.new"
rm -rf "$GOROOT_DIR" && mv "$GOROOT_DIR.new" "$GOROOT_DIR"
echo "install-go: $("$GOROOT_DIR/bin/go" version)"
