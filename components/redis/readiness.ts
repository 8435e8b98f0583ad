/**
 * "Can Harbor use this Redis?": connect through the URL the program gives Harbor core, AUTH,
 * PING, and for Sentinel find the master through the sentinels first. Bounded in time; failures
 * are one line naming the address and the cause, with no password in it.
 */
import type { RedisEndpoint, RedisHostPort } from "../database/types";
import { FailureCause, isServiceFailure, redact, serviceFailure, socketCause, withDeadline } from "../database/failure";
import { hostPort, redisUrl } from "./urls";
import { ioredisOptions, parseRedisUrl } from "./parse-url";

export interface RedisReadiness {
    /** "host:port" of the server that answered (for Sentinel: the master the sentinels named). */
    master: string;
    /** redis_version from INFO server. */
    version: string;
}

/** "redis 127.0.0.1:6379" or "redis sentinel harbor-master via 127.0.0.1:26379,...". */
export function describeRedis(endpoint: RedisEndpoint): string {
    if (endpoint.mode === "sentinel") return `redis sentinel ${endpoint.masterSet} via ${(endpoint.sentinels ?? []).map(hostPort).join(",")}`;
    return `redis ${endpoint.server ? hostPort(endpoint.server) : "?"}`;
}

/** Maps an ioredis error to a cause and a detail without secrets. */
export function classifyRedisError(
    endpoint: RedisEndpoint,
    err: unknown,
    password: string,
    sentinelAnsweredWithoutMaster = false,
    lastSentinelFailure?: string,
): { cause: FailureCause; detail: string } {
    const e = (err ?? {}) as { code?: string; message?: string };
    const message = String(e.message ?? err);
    const socket = socketCause(e.code);
    if (socket) return socket;
    // ioredis reports "All sentinels are unreachable" also when sentinels answered but none
    // knew the master set; the per-sentinel events tell the two apart.
    if (sentinelAnsweredWithoutMaster && /All sentinels are unreachable/i.test(message)) {
        return { cause: "sentinel", detail: `no sentinel knows a master named "${endpoint.masterSet}"` };
    }
    if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
        return { cause: "authentication failed", detail: `password rejected${endpoint.username ? ` for user "${endpoint.username}"` : ""}` };
    }
    if (/NOAUTH/i.test(message)) return { cause: "authentication failed", detail: "the server requires a password and none was given" };
    if (/without any password configured|AUTH.*called without/i.test(message)) {
        return { cause: "authentication failed", detail: "a password was given but the server has none configured" };
    }
    if (/No such master with that name/i.test(message)) {
        return { cause: "sentinel", detail: `no sentinel knows a master named "${endpoint.masterSet}"` };
    }
    if (/All sentinels are unreachable|None of sentinels are available/i.test(message)) {
        const reason = lastSentinelFailure ?? /Last error: (.*)$/.exec(message)?.[1];
        return { cause: "sentinel", detail: `no sentinel answered${reason ? `: ${redact(reason, [password])}` : ""}` };
    }
    if (/timed out|timeout|ETIMEDOUT/i.test(message)) return { cause: "timeout", detail: "no answer in time" };
    if (/Connection is closed|ECONNRESET/i.test(message)) return { cause: "unreachable", detail: "the server closed the connection" };
    if (/certificate|SSL|TLS|wrong version number/i.test(message)) {
        return { cause: endpoint.tls ? "TLS not available" : "TLS required", detail: redact(message, [password]) };
    }
    return { cause: "error", detail: redact(message, [password]) };
}

/** One TCP connect to a host:port: undefined if it connects, else why not. */
function tcpProblem(hp: RedisHostPort, timeoutMs: number): Promise<string | undefined> {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const net = require("net") as typeof import("net");
    return new Promise((resolve) => {
        const sock = net.connect({ host: hp.host, port: hp.port });
        const done = (problem: string | undefined) => {
            sock.destroy();
            resolve(problem);
        };
        sock.setTimeout(timeoutMs, () => done("no answer in time"));
        sock.once("connect", () => done(undefined));
        sock.once("error", (err: NodeJS.ErrnoException) => done(socketCause(err.code)?.detail.replace(/ \(.*\)$/, "") ?? err.code ?? "error"));
    });
}

/** "h1:26379 connection refused, h2:26379 no answer in time" for the sentinels that failed at TCP level. */
async function sentinelTcpReport(endpoint: RedisEndpoint, timeoutMs: number): Promise<string | undefined> {
    const sentinels = endpoint.sentinels ?? [];
    const problems = await Promise.all(sentinels.map((s) => tcpProblem(s, Math.min(timeoutMs, 2000))));
    const failed = sentinels.map((s, i) => (problems[i] ? `${hostPort(s)} ${problems[i]}` : undefined)).filter(Boolean);
    return failed.length > 0 ? failed.join(", ") : undefined;
}

/** Connects like Harbor core would and runs PING; resolves with who answered. */
export async function checkRedisReady(endpoint: RedisEndpoint, password: string): Promise<RedisReadiness> {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { default: Redis } = require("ioredis") as typeof import("ioredis");
    const where = describeRedis(endpoint);
    const timeoutMs = Math.max(1, endpoint.connectTimeoutSeconds || 10) * 1000;
    const options = ioredisOptions(parseRedisUrl(redisUrl(endpoint, password, endpoint.dbIndex.core)), timeoutMs);
    const client = new Redis(options);
    let lastError: unknown;
    let sentinelAnsweredWithoutMaster = false;
    let lastSentinelFailure: string | undefined;
    let sentinelsFailed = false;
    client.on("error", (err) => (lastError = err));
    client.on("sentinelError", (err: Error) => {
        if (/successfully, but got an invalid reply/.test(err.message)) sentinelAnsweredWithoutMaster = true;
        if (/failed to connect to sentinel/.test(err.message)) sentinelsFailed = true;
    });
    const fail = (err: unknown) => {
        if (isServiceFailure(err)) return err;
        // ioredis often rejects with a generic "Connection is closed" after emitting the real
        // cause (refused, WRONGPASS, no sentinel) as an 'error' event: prefer that one.
        const generic = err instanceof Error && /Connection is closed|Stream isn't writeable/i.test(err.message);
        const { cause, detail } = classifyRedisError(endpoint, generic && lastError ? lastError : err, password, sentinelAnsweredWithoutMaster, lastSentinelFailure);
        return serviceFailure(where, cause, detail);
    };
    const probe = async (): Promise<RedisReadiness> => {
        try {
            await client.connect();
        } catch (err) {
            // ioredis hides why each sentinel failed ("Connection is closed."); ask TCP directly.
            if (sentinelsFailed && !sentinelAnsweredWithoutMaster) lastSentinelFailure = await sentinelTcpReport(endpoint, timeoutMs);
            throw err;
        }
        const pong = await client.ping();
        if (pong !== "PONG") throw new Error(`unexpected PING reply ${pong}`);
        const info = await client.info("server");
        const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
        const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
        const master = stream?.remoteAddress ? hostPort({ host: stream.remoteAddress, port: stream.remotePort ?? 0 }) : where;
        return { master, version };
    };
    try {
        // Bound: one connect timeout for the sentinels, one for the master, one for the commands.
        return await withDeadline(
            probe().catch((err) => Promise.reject(fail(err))),
            timeoutMs * 3 + 1000,
            () => serviceFailure(where, "timeout", `no complete answer within ${Math.round((timeoutMs * 3 + 1000) / 1000)} s`),
            () => client.disconnect(),
        );
    } finally {
        client.disconnect();
    }
}
