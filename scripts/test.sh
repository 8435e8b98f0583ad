#!/usr/bin/env bash
# The test command (README "The two commands"): on a Debian 12 machine, as root, from a clean
# clone or a worked-in one, install everything the suite needs (each step idempotent and quick
# when already done), then run every rung: `npm test` with the lab enabled, then the end-to-end
# suite (pending, with what is missing, where its plugins and images are not available).
# For the inner loop (seconds, no installs): npm run test:fast
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "scripts/test.sh: run as root (it installs Debian packages and starts the lab)"; exit 1; }
start=$SECONDS
phase() { printf '\n== %s (t+%ss)\n' "$1" "$((SECONDS - start))"; }

phase "Debian packages: nginx, haproxy, keepalived, docker-registry (L2)"
bash scripts/ci/install-tools.sh
phase "Debian packages: PostgreSQL, MariaDB, Redis, Sentinel (L3)"
bash scripts/ci/install-services.sh
phase "npm ci"
npm ci --no-audit --no-fund
phase "lab prerequisites: docker.io, dockerd, debootstrap base, node and ceph images (L4)"
bash scripts/ci/install-lab.sh
phase "Go (for the toolchain build): /usr/local/go from the Go module proxy"
bash scripts/ci/install-go.sh
phase "Pulumi toolchain from Go modules (L5)"
# The summary it prints says what could not be built and why; the engine tests report the same.
# The pinned Node.js language host (3.248.0) is not served by the module proxy here; the fallback
# host from sdk/v3 v3.68.0 runs the same programs with CLI and SDK 3.248.0 (docs/toolchain.md).
HARBOR_HA_LANGHOST_FALLBACK=1 bash scripts/toolchain/install.sh || echo "toolchain incomplete: see the summary above"

logs=$(mktemp -d)
phase "npm test"
export HARBOR_HA_LAB=1
npm test 2>&1 | tee "$logs/test.log"
phase "npm run test:e2e (the real program on the lab; pending with what is missing when it cannot run here)"
# Uses the toolchain above, plugin binaries from HARBOR_HA_PLUGIN_DIR and Harbor images from
# HARBOR_HA_E2E_IMAGES when the environment names them (tests/e2e/requirements.ts).
npm run test:e2e 2>&1 | tee "$logs/e2e.log"
phase "done"
# One closing line over both mocha runs (mocha prints "N passing / N pending" per run).
count() { grep -hEo "^ +[0-9]+ $1" "$logs"/*.log | awk '{s += $1} END {print s + 0}'; }
echo "ci: $(count passing) passed, $(count failing) failed, $(count pending) skipped"
