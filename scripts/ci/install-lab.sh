#!/usr/bin/env bash
# Host prerequisites for the L4 lab, for CI and for a fresh machine (idempotent; root, Debian):
# docker.io + debootstrap + openssh-client when missing, dockerd started when none answers, and
# the lab images (debootstrap base -> node -> ceph) built unless an image with the same content
# hash exists. Everything is done by tests/lab/lab.sh; this is CI's one entry point for it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exec "$here/tests/lab/lab.sh" build
