/** Redis and storage settings that only one mode reads: set in the other, they would be ignored. */
import { CheckContext, fieldSet, problem } from "./context";

export function checkRedis(c: CheckContext): void {
    const r = c.p.redis;
    if (r.mode === "standalone") {
        if (!r.host) problem(c, "redis.host", "missing; standalone Redis needs a host");
        for (const field of ["sentinels", "masterSet"])
            if (fieldSet(c, "redis", field)) problem(c, `redis.${field}`, "is only used with redis.mode sentinel; remove it or set redis.mode: sentinel");
    } else {
        if (!r.sentinels || r.sentinels.length === 0) problem(c, "redis.sentinels", `missing; sentinel mode needs a list like ["10.0.0.7:26379"]`);
        if (!r.masterSet) problem(c, "redis.masterSet", "missing; sentinel mode needs the master set name (e.g. mymaster)");
        if (r.host) problem(c, "redis.host", "not used in sentinel mode; remove it (Harbor finds the master through redis.sentinels)");
        if (r.probePort !== undefined) problem(c, "redis.probePort", "not used in sentinel mode; remove it (the probe asks redis.sentinels at their own ports)");
        if (fieldSet(c, "redis", "port")) problem(c, "redis.port", "not used in sentinel mode (each sentinel is host:port); remove it");
        const dup = r.sentinels?.find((s, i) => r.sentinels!.indexOf(s) !== i);
        if (dup) problem(c, "redis.sentinels", `lists ${dup} twice; list each sentinel once`);
    }
}

export function checkStorage(c: CheckContext): void {
    const st = c.p.storage;
    const ssh = c.p.nodes.filter((n) => n.transport === "ssh");
    if (st.type === "cephfs") {
        if (!st.cephfs) problem(c, "storage.cephfs", `missing; storage.type cephfs needs monitors (e.g. cephfs: {monitors: ["10.0.0.5:6789"]})`);
        if (!isSecretSet(c, "cephKey")) problem(c, "cephKey", `missing; run \`pulumi config set --secret cephKey <key of client.${st.cephfs?.clientName ?? "harbor"}>\``);
    } else {
        if (ssh.length > 0 && c.p.nodes.length > 1) problem(c, "storage.type", `"local" is a directory on one machine; ${c.p.nodes.length} ssh nodes need storage.type: cephfs to share blobs`);
        if (st.cephfs) problem(c, "storage.cephfs", `is only used with storage.type cephfs (type is local); remove it`);
        if (isSecretSet(c, "cephKey")) problem(c, "cephKey", "is only used with storage.type cephfs; remove it (`pulumi config rm cephKey`)");
    }
}

const isSecretSet = (c: CheckContext, k: string) => c.raw.values[`${c.project}:${k}`] !== undefined;
