/**
 * Redis Sentinel on real servers (redis-server master + replica, three redis-sentinel processes):
 * master discovery through the sentinels, and a failover of the master that the URL the program
 * builds follows.
 */
import * as assert from "assert";
import Redis from "ioredis";
import type { RedisEndpoint } from "../../components/database/types";
import { checkRedisReady } from "../../components/redis/readiness";
import { harborRedisUrls } from "../../components/redis/urls";
import { ioredisOptions, parseRedisUrl } from "../../components/redis/parse-url";
import { assertOneLine, timedFailure } from "../support/services/database-cases";
import { closedPort } from "../support/services/network";
import { SentinelSet, startSentinelSet } from "../support/services/redis";
import { waitFor } from "../support/services/processes";

const PASSWORD = "s3nt:nel/p@ss%word";

describe("Redis Sentinel on real redis-server + redis-sentinel", function () {
    this.timeout(120_000);
    let set: SentinelSet;
    const endpoint = (extra: Partial<RedisEndpoint> = {}): RedisEndpoint => ({
        mode: "sentinel",
        sentinels: set.sentinels,
        masterSet: set.masterSet,
        tls: false,
        dbIndex: { core: 0, registry: 1, jobservice: 2, trivy: 5 },
        idleTimeoutSeconds: 30,
        connectTimeoutSeconds: 2,
        ...extra,
    });

    before(async function () {
        this.timeout(120_000);
        const t = Date.now();
        set = await startSentinelSet(PASSWORD);
        console.log(`      [sentinel] master ${set.nodes[0].port}, replica ${set.nodes[1].port}, sentinels ${set.sentinels.map((s) => s.port).join(",")} started in ${Date.now() - t} ms`);
    });
    after(async () => {
        if (set) await set.stop();
    });

    it("readiness discovers the master through the sentinels", async () => {
        const ready = await checkRedisReady(endpoint(), PASSWORD);
        assert.strictEqual(ready.master, `127.0.0.1:${set.nodes[0].port}`);
    });

    it("wrong password: 'authentication failed' from the master the sentinels named", async () => {
        const { ms, error } = await timedFailure(() => checkRedisReady(endpoint(), "nope"));
        console.log(`      [sentinel] wrong password -> ${ms} ms: ${error.message}`);
        assertOneLine(error, "redis sentinel harbor-master via", "authentication failed", [PASSWORD, "nope"]);
    });

    it("unknown master set name: 'sentinel' cause naming the set", async () => {
        const { ms, error } = await timedFailure(() => checkRedisReady(endpoint({ masterSet: "no-such-master" }), PASSWORD));
        console.log(`      [sentinel] unknown master set -> ${ms} ms: ${error.message}`);
        assertOneLine(error, "redis sentinel no-such-master via", "sentinel", [PASSWORD]);
        assert.match(error.message, /no sentinel knows a master named "no-such-master"/);
        assert.ok(ms < 7_500);
    });

    it("no sentinel listening (closed ports on 127.0.0.1): 'no sentinel answered', bounded", async () => {
        const ports = [await closedPort(), await closedPort()];
        const { ms, error } = await timedFailure(() => checkRedisReady(endpoint({ sentinels: ports.map((port) => ({ host: "127.0.0.1", port })) }), PASSWORD));
        console.log(`      [sentinel] no sentinel -> ${ms} ms: ${error.message}`);
        assertOneLine(error, "redis sentinel harbor-master via", "sentinel", [PASSWORD]);
        assert.match(error.message, /no sentinel answered: 127\.0\.0\.1:\d+ connection refused, 127\.0\.0\.1:\d+ connection refused/);
        assert.ok(ms < 7_500);
    });

    it("after SENTINEL FAILOVER, the URL the program built reaches the new master and can write", async () => {
        const url = harborRedisUrls(endpoint(), PASSWORD).jobservice;
        const parsed = parseRedisUrl(url);
        assert.deepStrictEqual([parsed.sentinel, parsed.masterSet, parsed.db, parsed.password], [true, set.masterSet, 2, PASSWORD]);

        // The replica must be online before the write, and must acknowledge it, so the failover
        // cannot lose it; sentinels must see it as a healthy replica to promote it. WAIT counts
        // only the calling connection's own writes, so it runs on the connection that wrote;
        // the replica then serves the key itself before anything is promoted.
        const master = new Redis({ ...set.nodes[0], password: PASSWORD });
        const sentinel = new Redis({ ...set.sentinels[0] });
        const t = Date.now();
        try {
            await waitFor(
                "replica online",
                async () => {
                    if (!/slave0:.*state=online/.test(await master.info("replication"))) throw new Error("replica not online yet");
                },
                30_000,
            );
            const before = new Redis(ioredisOptions(parsed, 2000));
            await before.connect();
            try {
                await before.set("hha:before-failover", "1");
                assert.strictEqual(await before.call("WAIT", 1, 10000), 1, "replica acknowledged the write");
            } finally {
                before.disconnect();
            }
            const replica = new Redis({ ...set.nodes[1], password: PASSWORD, db: 2 });
            try {
                assert.strictEqual(await replica.get("hha:before-failover"), "1", "the replica has the write before the failover");
            } finally {
                replica.disconnect();
            }
            await waitFor(
                "sentinel sees the replica",
                async () => {
                    const replicas = (await sentinel.call("SENTINEL", "REPLICAS", set.masterSet)) as string[][];
                    const flags = replicas.map((r) => r[r.indexOf("flags") + 1]);
                    if (!flags.some((f) => f === "slave")) throw new Error(`replica flags ${flags.join(",")}`);
                },
                30_000,
            );
            await sentinel.call("SENTINEL", "FAILOVER", set.masterSet);
            await waitFor(
                "failover",
                async () => {
                    const addr = (await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", set.masterSet)) as string[];
                    if (Number(addr[1]) !== set.nodes[1].port) throw new Error(`master still ${addr.join(":")}`);
                },
                30_000,
            );
        } finally {
            sentinel.disconnect();
            master.disconnect();
        }

        // Same URL, fresh connection (as a restarted Harbor process would make).
        const ready = await checkRedisReady(endpoint(), PASSWORD);
        console.log(`      [sentinel] failover visible after ${Date.now() - t} ms; master now ${ready.master}`);
        assert.strictEqual(ready.master, `127.0.0.1:${set.nodes[1].port}`);
        const after = new Redis(ioredisOptions(parseRedisUrl(url), 2000));
        try {
            await waitFor("new master accepts writes", async () => {
                await after.connect().catch(() => undefined);
                await after.set("hha:after-failover", "1");
            }, 20_000);
            const role = await after.call("ROLE") as unknown[];
            assert.strictEqual(role[0], "master");
            assert.strictEqual(await after.get("hha:before-failover"), "1", "data written before the failover is on the new master");
        } finally {
            after.disconnect();
        }
    });
});
