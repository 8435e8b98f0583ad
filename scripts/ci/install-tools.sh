#!/usr/bin/env bash
# Real tools the L2 tests feed rendered configs to: nginx, haproxy (with socat for its runtime API), keepalived and
# distribution's registry (Debian's docker-registry), sshd (the host-key check reads a real one). Idempotent; a no-op when present.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v keepalived >/dev/null 2>&1 || [ -x /usr/sbin/keepalived ] || need+=(keepalived)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keyscan >/dev/null 2>&1 || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-tools: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Do not let package scripts start the daemons on this machine: the tests run them themselves.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
echo "install-tools: nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///'), haproxy $(/usr/sbin/haproxy -v | head -1 | awk '{print $3}'), keepalived $(/usr/sbin/keepalived --version 2>&1 | head -1 | awk '{print $2}'), registry $(/usr/bin/docker-registry --version 2>/dev/null | awk '{print $3}')"
