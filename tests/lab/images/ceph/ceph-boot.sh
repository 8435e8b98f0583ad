#!/usr/bin/env bash
# lab-ceph <step> - runs INSIDE the lab's Ceph container, as root. Steps, in order:
#   mon     write ceph.conf + keyrings, mkfs and start mon.a, wait for quorum
#   mgr     start mgr.x, wait until it is available
#   osd     create osd.0 (bluestore on a sparse file, no ceph-volume/LVM), wait until up
#   mds     start mds.a
#   fs      ceph fs volume create; wait for an active MDS, HEALTH_OK and all PGs active+clean
#   client  client.<CLIENT> restricted to <CLIENT_PATH> (ceph fs authorize), create that directory
# Environment (set by lab.sh): LAB_CEPH_IP LAB_SUBNET LAB_CEPH_FS LAB_CEPH_CLIENT LAB_CEPH_PATH
#   LAB_OSD_SIZE_GB LAB_TIMEOUT
set -euo pipefail
: "${LAB_CEPH_IP:?}" "${LAB_SUBNET:?}"
FS=${LAB_CEPH_FS:-cephfs}
CLIENT=${LAB_CEPH_CLIENT:-harbor}
CPATH=${LAB_CEPH_PATH:-/harbor}
OSD_GB=${LAB_OSD_SIZE_GB:-4}
TIMEOUT=${LAB_TIMEOUT:-180}

wait_for() { # wait_for <what> <command...>
    local what=$1 i; shift
    for ((i = 0; i < TIMEOUT * 4; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
    echo "lab-ceph: timeout (${TIMEOUT}s) waiting for: $what" >&2
    timeout 10 ceph -s >&2 || true
    return 1
}
json() { # json <python expression on s> <ceph args...>: exit 0 when the expression is true
    local expr=$1; shift
    timeout 10 ceph "$@" -f json | python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(0 if ($expr) else 1)"
}
health_ok() {
    json 's["health"]["status"] == "HEALTH_OK" and s["pgmap"]["num_pgs"] > 0 and
          sum(x["count"] for x in s["pgmap"].get("pgs_by_state", []) if x["state_name"] == "active+clean")
          == s["pgmap"]["num_pgs"]' status
}
# ceph-osd prints harmless noise when its block device is a plain file; keep the exit code
quiet_osd() {
    "$@" 2>&1 | { grep -v -E 'unable to get device name|_read_bdev_label failed to open|_read_fsid unparsable uuid|Falling back to public interface|log_to_monitors' >&2 || true; }
    return "${PIPESTATUS[0]}"
}

case "${1:-}" in
mon)
    FSID=$(cat /proc/sys/kernel/random/uuid)
    mkdir -p /etc/ceph /var/log/ceph /var/run/ceph /var/lib/ceph/mon/ceph-a
    cat > /etc/ceph/ceph.conf <<CONF
[global]
fsid = $FSID
mon_initial_members = a
mon_host = [v2:$LAB_CEPH_IP:3300,v1:$LAB_CEPH_IP:6789]
public_network = $LAB_SUBNET
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
# one OSD: one replica, no host failure domain
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_allow_pool_delete = true
# few fixed PGs: the autoscaler would split the bulk data pool to 128 PGs a minute in
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
# quiet health: no insecure global_id reclaim warning; do not warn about the HOST disk
auth_allow_insecure_global_id_reclaim = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
# the default 'restful' module needs python3-pecan (not installed)
mgr_initial_modules = iostat
[osd]
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = $((OSD_GB << 30))
osd_memory_target = 939524096
[mds]
mds_cache_memory_limit = 268435456
CONF
    ceph-authtool --create-keyring /tmp/mon.keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool --create-keyring /etc/ceph/ceph.client.admin.keyring --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
    ceph-authtool /tmp/mon.keyring --import-keyring /etc/ceph/ceph.client.admin.keyring >/dev/null
    monmaptool --create --addv a "[v2:$LAB_CEPH_IP:3300,v1:$LAB_CEPH_IP:6789]" --fsid "$FSID" /tmp/monmap >/dev/null
    ceph-mon --mkfs -i a --monmap /tmp/monmap --keyring /tmp/mon.keyring
    rm -f /tmp/mon.keyring /tmp/monmap
    ceph-mon -i a
    wait_for "mon quorum" timeout 10 ceph -s --connect-timeout 5
    ;;
mgr)
    mkdir -p /var/lib/ceph/mgr/ceph-x
    ceph auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
        > /var/lib/ceph/mgr/ceph-x/keyring
    ceph-mgr -i x
    wait_for "active mgr" json 's["available"]' mgr stat
    ;;
osd)
    OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
    OSD_SECRET=$(ceph-authtool --gen-print-key)
    ID=$(echo "{\"cephx_secret\": \"$OSD_SECRET\"}" | ceph osd new "$OSD_UUID" -i -)
    mkdir -p "/var/lib/ceph/osd/ceph-$ID"
    ceph-authtool --create-keyring "/var/lib/ceph/osd/ceph-$ID/keyring" --name "osd.$ID" \
        --add-key "$OSD_SECRET" >/dev/null
    quiet_osd ceph-osd -i "$ID" --mkfs --osd-uuid "$OSD_UUID"
    quiet_osd ceph-osd -i "$ID"
    wait_for "osd up" json 's["num_up_osds"] >= 1' osd stat
    ;;
mds)
    mkdir -p /var/lib/ceph/mds/ceph-a
    ceph auth get-or-create mds.a mon 'profile mds' mgr 'profile mds' mds 'allow *' osd 'allow *' \
        > /var/lib/ceph/mds/ceph-a/keyring
    ceph-mds -i a >/dev/null
    ;;
fs)
    # without an orchestrator this says "(no MDS daemons created)": mds.a takes rank 0
    ceph fs volume create "$FS" >/dev/null 2>&1
    wait_for "active mds" sh -c 'ceph mds stat | grep -q "up:active"'
    wait_for "HEALTH_OK and all PGs active+clean" health_ok
    ;;
client)
    ceph fs authorize "$FS" "client.$CLIENT" "$CPATH" rw >/dev/null
    # the directory is made through libcephfs, so this container needs no FUSE. It stays
    # root-owned 0755: making it usable by Harbor's uid 10000 is the program's job.
    python3 - "$FS" "$CPATH" <<'PY'
import sys, cephfs
fs = cephfs.LibCephFS(conffile='/etc/ceph/ceph.conf')
fs.mount(filesystem_name=sys.argv[1].encode())
try:
    fs.mkdirs(sys.argv[2], 0o755)
except cephfs.ObjectExists:
    pass
fs.unmount(); fs.shutdown()
PY
    ;;
status)
    timeout 10 ceph -s
    ;;
*)
    echo "usage: lab-ceph mon|mgr|osd|mds|fs|client|status" >&2; exit 2 ;;
esac
