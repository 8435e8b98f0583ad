/**
 * The Redis URL builders, checked against the forms Harbor's prepare writes (harbor-facts §1.13)
 * and against our own parser. Pure: no server needed.
 */
import * as assert from "assert";
import type { RedisEndpoint } from "../../components/database/types";
import { beegoRedisUrl, encodeComponent, harborRedisUrls, redisUrl, registryRedisConfig } from "../../components/redis/urls";
import { parseRedisUrl } from "../../components/redis/parse-url";

const composeDbs = { core: 0, registry: 1, jobservice: 2, trivy: 5 };

function standalone(extra: Partial<RedisEndpoint> = {}): RedisEndpoint {
    return { mode: "standalone", server: { host: "redis.example", port: 6379 }, tls: false, dbIndex: composeDbs, idleTimeoutSeconds: 30, connectTimeoutSeconds: 5, ...extra };
}

function sentinel(extra: Partial<RedisEndpoint> = {}): RedisEndpoint {
    return {
        mode: "sentinel",
        sentinels: [
            { host: "s1", port: 26379 },
            { host: "s2", port: 26379 },
            { host: "s3", port: 26380 },
        ],
        masterSet: "mymaster",
        tls: false,
        dbIndex: composeDbs,
        idleTimeoutSeconds: 30,
        connectTimeoutSeconds: 5,
        ...extra,
    };
}

describe("Redis URLs for Harbor consumers (pure)", () => {
    it("standalone: DB 0 has no path, other DBs do, idle timeout as query", () => {
        const urls = harborRedisUrls(standalone(), "pw");
        assert.deepStrictEqual(urls, {
            core: "redis://:pw@redis.example:6379?idle_timeout_seconds=30",
            harbor: "redis://:pw@redis.example:6379?idle_timeout_seconds=30",
            cacheLayer: "redis://:pw@redis.example:6379?idle_timeout_seconds=30",
            registry: "redis://:pw@redis.example:6379/1?idle_timeout_seconds=30",
            jobservice: "redis://:pw@redis.example:6379/2?idle_timeout_seconds=30",
            trivy: "redis://:pw@redis.example:6379/5?idle_timeout_seconds=30",
        });
    });

    it("harbor and cacheLayer fall back like Harbor's (harbor -> core, cacheLayer -> harbor)", () => {
        const urls = harborRedisUrls(standalone({ dbIndex: { ...composeDbs, harbor: 7 } }), "");
        assert.strictEqual(urls.harbor, "redis://redis.example:6379/7?idle_timeout_seconds=30");
        assert.strictEqual(urls.cacheLayer, "redis://redis.example:6379/7?idle_timeout_seconds=30");
        assert.strictEqual(harborRedisUrls(standalone({ dbIndex: { ...composeDbs, harbor: 7, cacheLayer: 8 } }), "").cacheLayer, "redis://redis.example:6379/8?idle_timeout_seconds=30");
    });

    it("password is encoded like Python quote(safe=''): @ : / % and !'()* too; it parses back exactly", () => {
        const pw = "p@ss:w/rd%20!'()*+ ,;=é";
        const url = redisUrl(standalone({ username: "harbor user" }), pw, 2);
        assert.strictEqual(url, "redis://harbor%20user:p%40ss%3Aw%2Frd%2520%21%27%28%29%2A%2B%20%2C%3B%3D%C3%A9@redis.example:6379/2?idle_timeout_seconds=30");
        const back = parseRedisUrl(url);
        assert.deepStrictEqual([back.username, back.password, back.db], ["harbor user", pw, 2]);
        assert.strictEqual(encodeComponent("A-z_0.9~"), "A-z_0.9~");
    });

    it("TLS and Sentinel schemes, master set and DB in the path, no idle query when 0", () => {
        assert.strictEqual(redisUrl(standalone({ tls: true, idleTimeoutSeconds: 0 }), "pw", 0), "rediss://:pw@redis.example:6379");
        assert.strictEqual(redisUrl(sentinel(), "pw", 0), "redis+sentinel://:pw@s1:26379,s2:26379,s3:26380/mymaster?idle_timeout_seconds=30");
        assert.strictEqual(redisUrl(sentinel({ tls: true }), "pw", 2), "rediss+sentinel://:pw@s1:26379,s2:26379,s3:26380/mymaster/2?idle_timeout_seconds=30");
        const back = parseRedisUrl(redisUrl(sentinel({ username: "u" }), "p/w", 5));
        assert.deepStrictEqual(back, {
            tls: false,
            sentinel: true,
            hosts: [
                { host: "s1", port: 26379 },
                { host: "s2", port: 26379 },
                { host: "s3", port: 26380 },
            ],
            masterSet: "mymaster",
            db: 5,
            username: "u",
            password: "p/w",
            idleTimeoutSeconds: 30,
        });
    });

    it("IPv6 hosts are bracketed", () => {
        assert.strictEqual(redisUrl(standalone({ server: { host: "fd00::5", port: 6380 }, idleTimeoutSeconds: 0 }), "", 0), "redis://[fd00::5]:6380");
        assert.deepStrictEqual(parseRedisUrl("redis://[fd00::5]:6380").hosts, [{ host: "fd00::5", port: 6380 }]);
    });

    it("registry config.yml block: addr, sentinelMasterSet, db, password, enableTLS", () => {
        assert.deepStrictEqual(registryRedisConfig(standalone(), "pw"), { addr: "redis.example:6379", password: "pw", db: 1, enableTLS: false });
        assert.deepStrictEqual(registryRedisConfig(sentinel({ tls: true, username: "u" }), "pw"), {
            addr: "s1:26379,s2:26379,s3:26380",
            sentinelMasterSet: "mymaster",
            username: "u",
            password: "pw",
            db: 1,
            enableTLS: true,
        });
    });

    it("Harbor 1.x beego form host:port,pool,password,db; refuses what it cannot express", () => {
        assert.strictEqual(beegoRedisUrl(standalone(), "p@ss:w/rd", 0), "redis.example:6379,100,p@ss:w/rd,0");
        assert.throws(() => beegoRedisUrl(standalone(), "a,b", 0), /password contains a comma/);
        assert.throws(() => beegoRedisUrl(sentinel(), "pw", 0), /standalone Redis only/);
        assert.throws(() => beegoRedisUrl(standalone({ tls: true }), "pw", 0), /TLS/);
    });

    it("invalid endpoints name the field", () => {
        assert.throws(() => redisUrl({ ...sentinel(), masterSet: undefined }, "pw", 0), /sentinel mode needs masterSet/);
        assert.throws(() => redisUrl({ ...standalone(), server: undefined }, "pw", 0), /standalone mode needs server/);
        assert.throws(() => harborRedisUrls(standalone({ dbIndex: { ...composeDbs, trivy: -1 } }), "pw"), /dbIndex.trivy/);
    });
});
