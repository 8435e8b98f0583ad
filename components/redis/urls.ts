/**
 * Redis connection strings for every Harbor consumer, built exactly as Harbor's `prepare` builds
 * them (make/photon/prepare/utils/configs.py get_redis_url; harbor-facts §1.13):
 *
 *   redis://[user]:<pw>@host:port[/db][?idle_timeout_seconds=N]          (DB 0: no path)
 *   rediss://...                                                           (TLS, Harbor 2.13+)
 *   redis+sentinel://[user]:<pw>@s1:26379,s2:26379/<master>[/db][?...]    (Harbor 2.1+)
 *   rediss+sentinel://...
 *
 * Pure functions of a RedisEndpoint and a password string: no I/O, no Pulumi.
 */
import type { RedisEndpoint, RedisHostPort } from "../database/types";

/** The Harbor processes that talk to Redis, each with its own DB index. */
export type RedisConsumer = "core" | "harbor" | "cacheLayer" | "registry" | "jobservice" | "trivy";
export const REDIS_CONSUMERS: RedisConsumer[] = ["core", "harbor", "cacheLayer", "registry", "jobservice", "trivy"];

/**
 * Percent-encodes a URL component like Python's `quote(s, safe='')`, which Harbor uses: every
 * byte except A-Z a-z 0-9 - _ . ~ (encodeURIComponent also leaves ! ' ( ) * alone; Harbor does not).
 */
export function encodeComponent(value: string): string {
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** host:port with IPv6 literals in brackets. */
export function hostPort(hp: RedisHostPort): string {
    return `${hp.host.includes(":") ? `[${hp.host}]` : hp.host}:${hp.port}`;
}

/** DB index per consumer, with Harbor's fallbacks (harbor -> core, cacheLayer -> harbor). */
export function dbIndexFor(endpoint: RedisEndpoint, consumer: RedisConsumer): number {
    const idx = endpoint.dbIndex;
    switch (consumer) {
        case "core":
            return idx.core;
        case "harbor":
            return idx.harbor ?? idx.core;
        case "cacheLayer":
            return idx.cacheLayer ?? idx.harbor ?? idx.core;
        default:
            return idx[consumer];
    }
}

/** Throws a plain Error naming the field when the endpoint cannot produce a URL. */
export function assertEndpointValid(endpoint: RedisEndpoint): void {
    const problems: string[] = [];
    if (endpoint.mode === "standalone" && !endpoint.server) problems.push("standalone mode needs server");
    if (endpoint.mode === "sentinel") {
        if (!endpoint.sentinels || endpoint.sentinels.length === 0) problems.push("sentinel mode needs at least one sentinel");
        if (!endpoint.masterSet) problems.push("sentinel mode needs masterSet");
    }
    for (const consumer of REDIS_CONSUMERS) {
        const db = dbIndexFor(endpoint, consumer);
        if (!Number.isInteger(db) || db < 0) problems.push(`dbIndex.${consumer} must be a non-negative integer`);
    }
    if (problems.length > 0) {
        const err = new Error(`invalid Redis endpoint: ${problems.join("; ")}`);
        err.stack = err.message;
        throw err;
    }
}

/** The URL for one DB index. An empty password means "no AUTH". */
export function redisUrl(endpoint: RedisEndpoint, password: string, db: number): string {
    assertEndpointValid(endpoint);
    const sentinel = endpoint.mode === "sentinel";
    const scheme = `${endpoint.tls ? "rediss" : "redis"}${sentinel ? "+sentinel" : ""}`;
    const user = endpoint.username ? encodeComponent(endpoint.username) : "";
    const userinfo = password ? `${user}:${encodeComponent(password)}@` : user ? `${user}@` : "";
    const hosts = sentinel ? endpoint.sentinels!.map(hostPort).join(",") : hostPort(endpoint.server!);
    const master = sentinel ? `/${encodeComponent(endpoint.masterSet!)}` : "";
    // Harbor writes DB 0 with no path at all (`if db:` in configs.py).
    const dbPart = db ? `/${db}` : "";
    const query = endpoint.idleTimeoutSeconds > 0 ? `?idle_timeout_seconds=${endpoint.idleTimeoutSeconds}` : "";
    return `${scheme}://${userinfo}${hosts}${master}${dbPart}${query}`;
}

/** Harbor 2.x environment/config URLs, one per consumer. */
export type HarborRedisUrls = Record<RedisConsumer, string>;

/**
 * core: _REDIS_URL_CORE; harbor: _REDIS_URL_HARBOR; cacheLayer: _REDIS_URL_CACHE_LAYER;
 * registry: core's _REDIS_URL_REG; jobservice: config.yml redis_url (also the exporter);
 * trivy: SCANNER_REDIS_URL / SCANNER_STORE_REDIS_URL / SCANNER_JOB_QUEUE_REDIS_URL.
 */
export function harborRedisUrls(endpoint: RedisEndpoint, password: string): HarborRedisUrls {
    const out = {} as HarborRedisUrls;
    for (const consumer of REDIS_CONSUMERS) out[consumer] = redisUrl(endpoint, password, dbIndexFor(endpoint, consumer));
    return out;
}

/** The `redis:` block values for the registry's config.yml (utils/registry.py parse_redis). */
export interface RegistryRedisConfig {
    /** host:port, or every sentinel host:port comma-separated. */
    addr: string;
    sentinelMasterSet?: string;
    username?: string;
    password: string;
    db: number;
    enableTLS: boolean;
}

export function registryRedisConfig(endpoint: RedisEndpoint, password: string): RegistryRedisConfig {
    assertEndpointValid(endpoint);
    const sentinel = endpoint.mode === "sentinel";
    const config: RegistryRedisConfig = {
        addr: sentinel ? endpoint.sentinels!.map(hostPort).join(",") : hostPort(endpoint.server!),
        password,
        db: dbIndexFor(endpoint, "registry"),
        enableTLS: endpoint.tls,
    };
    if (sentinel) config.sentinelMasterSet = endpoint.masterSet;
    if (endpoint.username) config.username = endpoint.username;
    return config;
}

/**
 * Harbor 1.x `_REDIS_URL` / harbor.cfg `redis_url`: beego's `host:port,poolsize,password,db`.
 * The fields are comma-separated and not encoded, so a password with a comma cannot be written;
 * 1.x has neither Sentinel nor TLS support.
 */
export function beegoRedisUrl(endpoint: RedisEndpoint, password: string, db: number, poolSize = 100): string {
    assertEndpointValid(endpoint);
    const fail = (why: string) => {
        const err = new Error(`Harbor 1.x Redis address: ${why}`);
        err.stack = err.message;
        return err;
    };
    if (endpoint.mode !== "standalone") throw fail("Harbor 1.x supports standalone Redis only, not Sentinel");
    if (endpoint.tls) throw fail("Harbor 1.x cannot talk TLS to Redis");
    if (password.includes(",")) throw fail("the password contains a comma, which the comma-separated form cannot carry; choose a password without commas");
    return `${hostPort(endpoint.server!)},${poolSize},${password},${db}`;
}
