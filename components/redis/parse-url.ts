/**
 * Reads a Harbor-style Redis URL back into its parts, the way Harbor's Go code does
 * (src/lib/redis: scheme, userinfo, comma-separated sentinel hosts, /master[/db], query), and
 * turns it into ioredis options. The readiness probe connects through this, and the tests use it
 * to prove that the URL the program writes really reaches the (current) master.
 *
 * The WHATWG URL parser cannot read a host list like `s1:26379,s2:26379`, so the authority is
 * split by hand; the query goes through URLSearchParams and every component through
 * decodeURIComponent.
 */
import type { RedisOptions } from "ioredis";
import type { RedisHostPort } from "../database/types";

export interface ParsedRedisUrl {
    tls: boolean;
    sentinel: boolean;
    hosts: RedisHostPort[];
    masterSet?: string;
    db: number;
    username?: string;
    password?: string;
    idleTimeoutSeconds?: number;
}

function parseHostPort(text: string, defaultPort: number): RedisHostPort {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
    if (!m) throw new Error(`cannot read host "${text}"`);
    return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

export function parseRedisUrl(url: string): ParsedRedisUrl {
    const m = /^(rediss?)(\+sentinel)?:\/\/(?:([^@/]*)@)?([^/?]+)(\/[^?]*)?(?:\?(.*))?$/.exec(url);
    if (!m) throw new Error("not a redis://, rediss://, redis+sentinel:// or rediss+sentinel:// URL");
    const [, scheme, sentinelTag, userinfo, hostList, pathPart, query] = m;
    const sentinel = Boolean(sentinelTag);
    const parsed: ParsedRedisUrl = {
        tls: scheme === "rediss",
        sentinel,
        hosts: hostList.split(",").map((h) => parseHostPort(h, sentinel ? 26379 : 6379)),
        db: 0,
    };
    if (userinfo !== undefined) {
        const colon = userinfo.indexOf(":");
        const user = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
        if (user) parsed.username = user;
        if (colon !== -1) parsed.password = decodeURIComponent(userinfo.slice(colon + 1));
    }
    const segments = (pathPart ?? "").split("/").filter((s) => s !== "").map(decodeURIComponent);
    if (sentinel) {
        if (segments.length < 1) throw new Error("sentinel URL without a master set name");
        parsed.masterSet = segments.shift();
    }
    if (segments.length > 0) parsed.db = Number(segments[0]);
    if (!Number.isInteger(parsed.db) || parsed.db < 0) throw new Error(`bad DB index "${segments[0]}"`);
    const idle = new URLSearchParams(query ?? "").get("idle_timeout_seconds");
    if (idle !== null) parsed.idleTimeoutSeconds = Number(idle);
    return parsed;
}

/**
 * ioredis options for a parsed URL, set up for a probe: no retries, no offline queue, bounded
 * connect and command times. Sentinels get no password (Harbor sends it only to the master).
 */
export function ioredisOptions(parsed: ParsedRedisUrl, timeoutMs: number): RedisOptions {
    const common: RedisOptions = {
        username: parsed.username,
        password: parsed.password,
        db: parsed.db,
        lazyConnect: true,
        connectTimeout: timeoutMs,
        commandTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: true,
        retryStrategy: () => null,
        reconnectOnError: () => false,
        tls: parsed.tls ? {} : undefined,
    };
    if (!parsed.sentinel) return { ...common, host: parsed.hosts[0].host, port: parsed.hosts[0].port };
    return {
        ...common,
        sentinels: parsed.hosts,
        name: parsed.masterSet,
        sentinelRetryStrategy: () => null,
        enableTLSForSentinelMode: parsed.tls,
        sentinelTLS: parsed.tls ? {} : undefined,
    };
}
