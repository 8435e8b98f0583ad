/**
 * Host scripts for mounting the shared CephFS on a node. The client key arrives on stdin and is
 * written to a 0600 file; the fstab line references the file, never the key. Pure functions:
 * the CephFsMount component and the lab tests use exactly these strings.
 */
import { CephFsSpec } from "../config/spec";
import { HARBOR_UID } from "../paths";
import { ensurePackages, q, script, writeContentTo, writeStdinTo } from "./shell";

export interface CephFsMountArgs {
    ceph: CephFsSpec;
    mountPoint: string;
    /** Seconds one mount attempt may take before it is reported as failed. */
    mountTimeoutSeconds?: number;
}

export function cephFiles(a: CephFsMountArgs) {
    const base = `/etc/ceph/harbor-ha-${a.ceph.clientName}`;
    return { conf: `${base}.conf`, secret: `${base}.secret` };
}

/** The fstab line for this mount (fields are space separated; options have no spaces). */
export function fstabLine(a: CephFsMountArgs): string {
    const f = cephFiles(a);
    const c = a.ceph;
    if (c.client === "fuse") {
        // mount.fuse.ceph turns ceph.X=Y into --X=Y for ceph-fuse; the timeout bounds a bad key/monitor.
        const opts = [
            `ceph.id=${c.clientName}`,
            `ceph.conf=${f.conf}`,
            `ceph.keyfile=${f.secret}`,
            `ceph.client_mountpoint=${c.path}`,
            `ceph.client_mount_timeout=${a.mountTimeoutSeconds ?? 30}`,
            "_netdev",
            "noatime",
            "defaults",
        ];
        return `none ${a.mountPoint} fuse.ceph ${opts.join(",")} 0 0`;
    }
    const mons = c.monitors.join(",");
    return `${mons}:${c.path} ${a.mountPoint} ceph name=${c.clientName},secretfile=${f.secret},conf=${f.conf},_netdev,noatime 0 0`;
}

function cephConf(a: CephFsMountArgs): string {
    return ["[global]", `mon_host = ${a.ceph.monitors.join(",")}`, ""].join("\n");
}

/** awk filter: every fstab line except ours (matched by mount point, field 2). */
const withoutOurLine = (mnt: string) => `awk -v m=${q(mnt)} '$2 != m' /etc/fstab`;

/** create/update: stdin = the client key (bare base64 key of client.<name>). */
export function cephFsMountCreate(a: CephFsMountArgs): string {
    const f = cephFiles(a);
    const mnt = a.mountPoint;
    const line = fstabLine(a);
    const timeout = (a.mountTimeoutSeconds ?? 30) + 15;
    const probe = a.ceph.client === "fuse" ? "ceph-fuse" : "mount.ceph";
    const pkgs = a.ceph.client === "fuse" ? ["ceph-fuse", "ceph-common"] : ["ceph-common"];
    return script(
        "CHANGED=0",
        ...(a.ceph.installClient ? [ensurePackages(probe, pkgs)] : []),
        `command -v ${q(probe)} >/dev/null 2>&1 || { echo "harbor-ha: ${probe} is not installed (storage.cephfs.installClient is false)" >&2; exit 1; }`,
        writeStdinTo(f.secret, "0600"),
        writeContentTo(f.conf, cephConf(a), "0644"),
        // fstab: drop any line for this mount point, then add ours once; rewrite only if it differs.
        `LINE=${q(line)}`,
        `{ ${withoutOurLine(mnt)}; printf '%s\\n' "$LINE"; } > /etc/fstab.harbor-ha-new`,
        `if cmp -s /etc/fstab.harbor-ha-new /etc/fstab; then rm -f /etc/fstab.harbor-ha-new; else cat /etc/fstab.harbor-ha-new > /etc/fstab; rm -f /etc/fstab.harbor-ha-new; CHANGED=1; echo "fstab: updated"; fi`,
        `install -d -m 0755 ${q(mnt)}`,
        // A changed key/monitor/option takes effect only on a fresh mount.
        `if mountpoint -q ${q(mnt)} && [ "$CHANGED" = 1 ]; then umount ${q(mnt)} || umount -l ${q(mnt)}; fi`,
        // mount.fuse.ceph can exit 0 although ceph-fuse failed (wrong key, dead monitor), so the
        // mountpoint is checked either way and the client's own words are passed on.
        `if ! mountpoint -q ${q(mnt)}; then`,
        `  ERR=$(mktemp); RC=0; timeout ${timeout} mount ${q(mnt)} >"$ERR" 2>&1 || RC=$?`,
        `  if [ "$RC" != 0 ] || ! mountpoint -q ${q(mnt)}; then`,
        `    case "$RC" in 124) WHY="timed out after ${timeout}s";; 0) WHY="mount exited 0 but nothing is mounted";; *) WHY="mount exited $RC";; esac`,
        `    echo "harbor-ha: mounting CephFS ${a.ceph.path} at ${mnt} from ${a.ceph.monitors.join(",")} failed or timed out ($WHY); check the cephKey secret, storage.cephfs.monitors and that client.${a.ceph.clientName} may access ${a.ceph.path}. Client said:" >&2`,
        `    { cat "$ERR"; tail -n 3 /var/log/ceph/ceph-client.${a.ceph.clientName}.log 2>/dev/null; } | grep -v '^$' | tail -n 6 >&2`,
        `    rm -f "$ERR"; exit 1`,
        `  fi`,
        `  rm -f "$ERR"`,
        `fi`,
        `mountpoint -q ${q(mnt)} || { echo "harbor-ha: ${mnt} is not a mountpoint after mount" >&2; exit 1; }`,
        // Harbor writes as uid 10000: own the root once, then prove a write as that uid.
        `[ "$(stat -c %u:%g ${q(mnt)})" = "${HARBOR_UID}:${HARBOR_UID}" ] || chown ${HARBOR_UID}:${HARBOR_UID} ${q(mnt)}`,
        `PROBE=${q(mnt)}/.harbor-ha-write-test.$(hostname)`,
        `setpriv --reuid=${HARBOR_UID} --regid=${HARBOR_UID} --clear-groups sh -c 'echo ok > "$1" && rm -f "$1"' _ "$PROBE" || { echo "harbor-ha: ${mnt} is mounted but not writable by uid ${HARBOR_UID}" >&2; exit 1; }`,
        `echo "cephfs: ${mnt} mounted and writable by uid ${HARBOR_UID}"`,
    );
}

/** delete: unmount and remove our fstab line and key; the data on CephFS stays. */
export function cephFsMountDelete(a: CephFsMountArgs): string {
    const f = cephFiles(a);
    const mnt = a.mountPoint;
    return script(
        `if mountpoint -q ${q(mnt)}; then umount ${q(mnt)} 2>/dev/null || umount -l ${q(mnt)}; fi`,
        `if [ -f /etc/fstab ]; then ${withoutOurLine(mnt)} > /etc/fstab.harbor-ha-new && cat /etc/fstab.harbor-ha-new > /etc/fstab; rm -f /etc/fstab.harbor-ha-new; fi`,
        `rm -f ${q(f.secret)} ${q(f.conf)}`,
        `echo "cephfs: ${mnt} unmounted; data left on CephFS"`,
    );
}

/** storage.type local (dev): a plain directory stands in for CephFS. */
export function localSharedDirCreate(mountPoint: string): string {
    return script(`install -d -m 0755 -o ${HARBOR_UID} -g ${HARBOR_UID} ${q(mountPoint)}`, `echo "shared dir: ${mountPoint}"`);
}
