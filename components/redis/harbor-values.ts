/**
 * RedisEndpoint + password -> the Redis settings of every Harbor 2.x component (profile input).
 */
import { RedisEndpoint } from "../database/types";
import { RedisValues } from "../profiles/types";

function url(ep: RedisEndpoint, password: string | undefined, db: number): string {
    const scheme = (ep.tls ? "rediss" : "redis") + (ep.mode === "sentinel" ? "+sentinel" : "");
    const hosts = ep.mode === "sentinel" ? ep.sentinels!.map((s) => `${s.host}:${s.port}`).join(",") : `${ep.server!.host}:${ep.server!.port}`;
    const auth = password !== undefined || ep.username
        ? `${encodeURIComponent(ep.username ?? "")}:${encodeURIComponent(password ?? "")}@`
        : "";
    const path = (ep.mode === "sentinel" ? `/${ep.masterSet}` : "") + (db === 0 ? "" : `/${db}`);
    return `${scheme}://${auth}${hosts}${path}?idle_timeout_seconds=${ep.idleTimeoutSeconds}`;
}

export function harborRedisValues(ep: RedisEndpoint, password: string | undefined): RedisValues {
    const i = ep.dbIndex;
    return {
        coreUrl: url(ep, password, i.core),
        registryUrl: url(ep, password, i.registry),
        jobserviceUrl: url(ep, password, i.jobservice),
        trivyUrl: url(ep, password, i.trivy),
        harborUrl: i.harbor !== undefined ? url(ep, password, i.harbor) : undefined,
        cacheLayerUrl: i.cacheLayer !== undefined ? url(ep, password, i.cacheLayer) : undefined,
        registry: {
            addr: ep.mode === "sentinel" ? ep.sentinels!.map((s) => `${s.host}:${s.port}`).join(",") : `${ep.server!.host}:${ep.server!.port}`,
            sentinelMasterSet: ep.mode === "sentinel" ? ep.masterSet : undefined,
            password,
            username: ep.username,
            db: i.registry,
            enableTLS: ep.tls,
        },
    };
}
