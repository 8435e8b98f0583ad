#!/bin/bash
# PID 1 of a lab node: does what a VM's boot would have done for us, then execs systemd.
#   LAB_AUTHORIZED_KEYS  public key line(s) for root
set -u

# The node runs without --privileged (the CI VM's capability bounding set lacks CAP_SYS_RESOURCE,
# so --privileged fails); docker then mounts the cgroup v1 controllers read-only. A plain
# `remount,rw` fails with "busy"; `remount,bind,rw` works. systemd and the inner dockerd need them.
if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
    for m in $(awk '$3 == "cgroup" && $4 ~ /(^|,)ro(,|$)/ {print $2}' /proc/mounts); do
        mount -o remount,bind,rw "$m" 2>/dev/null || echo "lab-node-init: cannot make $m writable" >&2
    done
fi

mkdir -p /root/.ssh
chmod 700 /root/.ssh
if [ -n "${LAB_AUTHORIZED_KEYS:-}" ]; then
    printf '%s\n' "$LAB_AUTHORIZED_KEYS" > /root/.ssh/authorized_keys
    chmod 600 /root/.ssh/authorized_keys
fi
unset LAB_AUTHORIZED_KEYS
ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || ssh-keygen -A >/dev/null

exec /lib/systemd/systemd
