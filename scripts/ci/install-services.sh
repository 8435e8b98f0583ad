#!/usr/bin/env bash
# Installs the real database and Redis servers that tests/services/ start on loopback
# (PostgreSQL, MariaDB, Redis, Redis Sentinel), from Debian 12's own packages.
# Idempotent: when every binary is already there it returns at once without touching apt.
# The packages' own system services are not needed (the test harness starts private
# instances in throwaway directories), so they are stopped/disabled when possible to
# keep the default ports free and the machine quiet.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }

# PostgreSQL: Debian puts the server binaries under /usr/lib/postgresql/<major>/bin.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then need+=(postgresql); fi
if ! have psql; then need+=(postgresql-client); fi
if ! have mariadbd && ! [ -x /usr/sbin/mariadbd ]; then need+=(mariadb-server); fi
if ! have mariadb-install-db && ! have mysql_install_db; then need+=(mariadb-server); fi
if ! have redis-server; then need+=(redis-server); fi
if ! have redis-sentinel; then need+=(redis-sentinel); fi
# runuser (util-linux) lets the harness run postgres as an unprivileged user when we are root.
if ! have runuser; then need+=(util-linux); fi

if [ "${#need[@]}" -eq 0 ]; then
    echo "install-services: postgresql, mariadb, redis, redis-sentinel already present"
    exit 0
fi

# De-duplicate the package list.
mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | sort -u)
echo "install-services: installing ${pkgs[*]}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 stops the packages' postinst from starting system daemons
# (there may be no init system at all in a container; and we do not want them anyway).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "install-services: done"
