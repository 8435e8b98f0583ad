/**
 * Throwaway Redis servers from Debian's redis-server / redis-sentinel packages, on 127.0.0.1 at
 * random ports, with no persistence. Passwords go into a 0600 config file in the scratch
 * directory, never onto a command line. Sentinels rewrite their own config, so theirs is writable.
 */
import * as fs from "fs";
import * as path from "path";
import { freePort } from "./network";
import { removeScratchDir, scratchDir, ServiceProcess, startProcess, waitFor } from "./processes";
import type { RedisHostPort } from "../../../components/database/types";

/** Redis config files take double-quoted strings with backslash escapes. */
function quote(value: string): string {
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function baseConfig(dir: string, port: number, bind: string[] = []): string[] {
    return [`bind ${["127.0.0.1", ...bind].join(" ")}`, `port ${port}`, `dir ${quote(dir)}`, `save ""`, `appendonly no`, `daemonize no`, `protected-mode no`];
}

async function ping(port: number, password?: string): Promise<void> {
    const { default: Redis } = await import("ioredis");
    const client = new Redis({ host: "127.0.0.1", port, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on("error", () => undefined);
    try {
        await client.connect();
        await client.ping();
    } finally {
        client.disconnect();
    }
}

async function startServer(dir: string, name: string, lines: string[], sentinel = false): Promise<ServiceProcess> {
    const conf = path.join(dir, `${name}.conf`);
    fs.writeFileSync(conf, lines.join("\n") + "\n", { mode: 0o600 });
    return startProcess(name, sentinel ? "redis-sentinel" : "redis-server", [conf], { logDir: dir });
}

export interface RedisInstance {
    server: RedisHostPort;
    password: string;
    stop(): Promise<void>;
}

/** One standalone Redis with `requirepass`; `bind` adds addresses (e.g. the lab's host side). */
export async function startRedis(password: string, options: { bind?: string[] } = {}): Promise<RedisInstance> {
    const dir = scratchDir("redis");
    const port = await freePort();
    const proc = await startServer(dir, "redis", [...baseConfig(dir, port, options.bind), `requirepass ${quote(password)}`]);
    await waitFor("redis", () => ping(port, password), 20_000, proc.logFile);
    return {
        server: { host: "127.0.0.1", port },
        password,
        async stop() {
            await proc.stop();
            removeScratchDir(dir);
        },
    };
}

export interface SentinelSet {
    masterSet: string;
    password: string;
    /** The data nodes, [initial master, replica]. */
    nodes: RedisHostPort[];
    sentinels: RedisHostPort[];
    stop(): Promise<void>;
}

/**
 * A master, one replica and three sentinels (quorum 2). Sentinels need no AUTH themselves, as
 * Harbor requires (it sends the password only to the master); they know the data nodes' password.
 */
export async function startSentinelSet(password: string, masterSet = "harbor-master"): Promise<SentinelSet> {
    const dir = scratchDir("sentinel");
    const procs: ServiceProcess[] = [];
    const masterPort = await freePort();
    const replicaPort = await freePort();
    const auth = [`requirepass ${quote(password)}`, `masterauth ${quote(password)}`];
    procs.push(await startServer(dir, "redis-master", [...baseConfig(dir, masterPort), ...auth, `dbfilename master.rdb`]));
    procs.push(
        await startServer(dir, "redis-replica", [
            ...baseConfig(dir, replicaPort),
            ...auth,
            `dbfilename replica.rdb`,
            `replicaof 127.0.0.1 ${masterPort}`,
        ]),
    );
    await waitFor("redis master", () => ping(masterPort, password), 20_000, procs[0].logFile);
    await waitFor("redis replica", () => ping(replicaPort, password), 20_000, procs[1].logFile);

    const sentinels: RedisHostPort[] = [];
    for (let i = 0; i < 3; i++) {
        const port = await freePort();
        sentinels.push({ host: "127.0.0.1", port });
        procs.push(
            await startServer(
                dir,
                `sentinel-${i}`,
                [
                    `bind 127.0.0.1`,
                    `port ${port}`,
                    `dir ${quote(dir)}`,
                    `daemonize no`,
                    `protected-mode no`,
                    `sentinel monitor ${masterSet} 127.0.0.1 ${masterPort} 2`,
                    `sentinel auth-pass ${masterSet} ${quote(password)}`,
                    `sentinel down-after-milliseconds ${masterSet} 1000`,
                    `sentinel failover-timeout ${masterSet} 5000`,
                    `sentinel parallel-syncs ${masterSet} 1`,
                ],
                true,
            ),
        );
        await waitFor(`sentinel ${i}`, () => ping(port), 20_000, procs[procs.length - 1].logFile);
    }
    return {
        masterSet,
        password,
        nodes: [
            { host: "127.0.0.1", port: masterPort },
            { host: "127.0.0.1", port: replicaPort },
        ],
        sentinels,
        async stop() {
            for (const p of procs.reverse()) await p.stop();
            removeScratchDir(dir);
        },
    };
}
