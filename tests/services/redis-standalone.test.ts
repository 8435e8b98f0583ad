/**
 * Redis readiness against a real redis-server (Debian package) with requirepass, and the URLs
 * the program builds used for real connections.
 */
import * as assert from "assert";
import Redis from "ioredis";
import type { RedisEndpoint } from "../../components/database/types";
import { checkRedisReady } from "../../components/redis/readiness";
import { harborRedisUrls } from "../../components/redis/urls";
import { ioredisOptions, parseRedisUrl } from "../../components/redis/parse-url";
import { assertOneLine, timedFailure } from "../support/services/database-cases";
import { closedPort, silentListener } from "../support/services/network";
import { RedisInstance, startRedis } from "../support/services/redis";

const PASSWORD = "p@ss:w/rd%41-@:/%";

describe("Redis standalone on a real redis-server", function () {
    this.timeout(60_000);
    let redis: RedisInstance;
    const endpoint = (extra: Partial<RedisEndpoint> = {}): RedisEndpoint => ({
        mode: "standalone",
        server: redis.server,
        tls: false,
        dbIndex: { core: 0, registry: 1, jobservice: 2, trivy: 5 },
        idleTimeoutSeconds: 30,
        connectTimeoutSeconds: 2,
        ...extra,
    });

    before(async () => {
        const t = Date.now();
        redis = await startRedis(PASSWORD);
        console.log(`      [redis] started on 127.0.0.1:${redis.server.port} in ${Date.now() - t} ms`);
    });
    after(async () => {
        if (redis) await redis.stop();
    });

    it("readiness: AUTH + PING with a password containing @ : / %", async () => {
        const ready = await checkRedisReady(endpoint(), PASSWORD);
        console.log(`      [redis] ready: ${ready.master}, redis ${ready.version}`);
        assert.strictEqual(ready.master, `127.0.0.1:${redis.server.port}`);
    });

    it("each consumer's URL reaches its own DB index", async () => {
        const urls = harborRedisUrls(endpoint(), PASSWORD);
        for (const [consumer, url] of Object.entries(urls)) {
            const client = new Redis(ioredisOptions(parseRedisUrl(url), 2000));
            try {
                await client.connect();
                await client.set(`hha:${consumer}`, url.length);
            } finally {
                client.disconnect();
            }
        }
        const admin = new Redis({ ...redis.server, password: PASSWORD });
        try {
            for (const [consumer, db] of [["trivy", 5], ["jobservice", 2], ["registry", 1], ["core", 0]] as const) {
                await admin.select(db);
                assert.ok(await admin.exists(`hha:${consumer}`), `${consumer} wrote into DB ${db}`);
            }
        } finally {
            admin.disconnect();
        }
    });

    it("ACL username in the URL (Redis 6+, Harbor 2.8+)", async () => {
        const admin = new Redis({ ...redis.server, password: PASSWORD });
        const userPw = "us:er/p@ss%";
        try {
            await admin.call("ACL", "SETUSER", "harbor-core", "on", `>${userPw}`, "~*", "+@all");
        } finally {
            admin.disconnect();
        }
        const ready = await checkRedisReady(endpoint({ username: "harbor-core" }), userPw);
        assert.strictEqual(ready.master, `127.0.0.1:${redis.server.port}`);
        const { error } = await timedFailure(() => checkRedisReady(endpoint({ username: "harbor-core" }), PASSWORD));
        assertOneLine(error, `redis 127.0.0.1:${redis.server.port}`, "authentication failed", [PASSWORD, userPw]);
    });

    it("wrong password: 'authentication failed', one line, no secret, fast", async () => {
        const { ms, error } = await timedFailure(() => checkRedisReady(endpoint(), "wrong-secret"));
        console.log(`      [redis] wrong password -> ${ms} ms: ${error.message}`);
        assertOneLine(error, `redis 127.0.0.1:${redis.server.port}`, "authentication failed", ["wrong-secret", PASSWORD]);
        assert.ok(ms < 2_000);
    });

    it("no password given to a server that requires one: 'authentication failed'", async () => {
        const { error } = await timedFailure(() => checkRedisReady(endpoint(), ""));
        console.log(`      [redis] no password -> ${error.message}`);
        assertOneLine(error, `redis 127.0.0.1:${redis.server.port}`, "authentication failed", [PASSWORD]);
    });

    it("closed port (nothing listening on 127.0.0.1): 'unreachable: connection refused', fast", async () => {
        const port = await closedPort();
        const { ms, error } = await timedFailure(() => checkRedisReady(endpoint({ server: { host: "127.0.0.1", port } }), PASSWORD));
        console.log(`      [redis] closed port -> ${ms} ms: ${error.message}`);
        assertOneLine(error, `redis 127.0.0.1:${port}`, "unreachable", [PASSWORD]);
        assert.match(error.message, /refused/);
        assert.ok(ms < 2_000);
    });

    it("unresponsive host (simulated: loopback listener that accepts and never answers): 'timeout' within the bound", async () => {
        const silent = await silentListener();
        try {
            const { ms, error } = await timedFailure(() => checkRedisReady(endpoint({ server: { host: "127.0.0.1", port: silent.port } }), PASSWORD));
            console.log(`      [redis] silent listener -> ${ms} ms: ${error.message}`);
            assert.ok(silent.accepted() >= 1, "the client really connected");
            assertOneLine(error, `redis 127.0.0.1:${silent.port}`, "timeout", [PASSWORD]);
            assert.ok(ms >= 1_900 && ms <= 7_500, `took ${ms} ms; connect timeout 2 s, hard bound 7 s`);
        } finally {
            await silent.close();
        }
    });
});
