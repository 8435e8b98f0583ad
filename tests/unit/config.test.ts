/** L0: config validation. Every bad config must fail before any resource, naming the key. */
import * as assert from "assert";
import { ConfigError, loadClusterSpec } from "../../components/config/load";
import { prodConfig, prodNodes, prodSecrets, raw, SECRET_VALUES } from "../support/fixtures";

function problemsOf(values: Record<string, unknown>, secrets = prodSecrets, plain: string[] = []): string[] {
    try {
        loadClusterSpec(raw(values, secrets, plain));
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return (e as ConfigError).problems;
    }
    return [];
}

const base = prodConfig();
const withNodes = (nodes: unknown) => ({ ...base, nodes });
const withKey = (key: string, v: unknown) => ({ ...base, [key]: v });

/** [case name, config, secrets, plain-text secret keys, expected key in the message, expected words] */
const invalid: [string, Record<string, unknown>, Record<string, string>, string[], string, RegExp][] = [
    ["missing nodes", { ...base, nodes: undefined }, prodSecrets, [], "harbor-ha:nodes", /missing/],
    ["empty node list", withNodes([]), prodSecrets, [], "harbor-ha:nodes", /at least one node/],
    ["node without address", withNodes([{ name: "node1" }]), prodSecrets, [], "harbor-ha:nodes[0].address", /missing/],
    ["bad node address", withNodes([{ name: "node1", address: "10.0.0.300" }]), prodSecrets, [], "harbor-ha:nodes[0].address", /IPv4 address or a DNS name/],
    ["node name with capitals", withNodes([{ name: "Node_1", address: "10.20.0.11" }]), prodSecrets, [], "harbor-ha:nodes[0].name", /a-z/],
    ["duplicate node names", withNodes([{ name: "a", address: "10.20.0.11" }, { name: "a", address: "10.20.0.12" }]), prodSecrets, [], "harbor-ha:nodes[1].name", /duplicate node name/],
    ["duplicate node IPs", withNodes([{ name: "a", address: "10.20.0.11" }, { name: "b", address: "10.20.0.11" }]), prodSecrets, [], "harbor-ha:nodes[1].address", /duplicate node address/],
    ["bad subnet CIDR", withKey("loadBalancer", { vip: "10.20.0.100", subnet: "10.20.0.0/33" }), prodSecrets, [], "harbor-ha:loadBalancer.subnet", /CIDR/],
    ["subnet with host bits", withKey("loadBalancer", { vip: "10.20.0.100", subnet: "10.20.0.7/24" }), prodSecrets, [], "harbor-ha:loadBalancer.subnet", /no host bits/],
    ["VIP outside the subnet", withKey("loadBalancer", { vip: "10.99.0.100", subnet: "10.20.0.0/24" }), prodSecrets, [], "harbor-ha:loadBalancer.vip", /outside/],
    ["VIP missing for keepalived", withKey("loadBalancer", { subnet: "10.20.0.0/24" }), prodSecrets, [], "harbor-ha:loadBalancer.vip", /missing/],
    ["VIP equals a node", withKey("loadBalancer", { vip: "10.20.0.11", subnet: "10.20.0.0/24" }), prodSecrets, [], "harbor-ha:nodes[0].address", /equals the VIP/],
    ["unknown Harbor version", withKey("harbor", { hostname: "h.example.com", version: "v3.0.0" }), prodSecrets, [], "harbor-ha:harbor.version", /not a release any profile was checked against; use one of v2\.1\.0 … v2\.15\.2, v1\.5\.0 … v1\.5\.4, v1\.1\.0 … v1\.1\.2/],
    ["a Harbor 1.x release between the profiled lines", withKey("harbor", { hostname: "h.example.com", version: "v1.4.0" }), prodSecrets, [], "harbor-ha:harbor.version", /v1\.2-v1\.4 and v1\.6-v1\.10 are not profiled/],
    ["Harbor 1.5 with the PostgreSQL default", withKey("harbor", { hostname: "h.example.com", version: "v1.5.4" }), prodSecrets, [], "harbor-ha:database.engine", /MySQL\/MariaDB only \(PostgreSQL arrived in v1\.6\.0\); set database\.engine: mysql/],
    ["missing hostname", withKey("harbor", {}), prodSecrets, [], "harbor-ha:harbor.hostname", /missing/],
    ["bad protocol", withKey("harbor", { hostname: "h.example.com", protocol: "ftp" }), prodSecrets, [], "harbor-ha:harbor.protocol", /https/],
    ["cephKey in plain text", base, prodSecrets, ["cephKey"], "harbor-ha:cephKey", /--secret/],
    ["admin password in plain text", base, prodSecrets, ["databaseAdminPassword"], "harbor-ha:databaseAdminPassword", /--secret/],
    ["password inside the database object", withKey("database", { host: "db", password: "x" }), prodSecrets, [], "harbor-ha:database", /unknown field.*password.*--secret/],
    ["cephKey missing", base, { ...prodSecrets, cephKey: undefined as unknown as string }, [], "harbor-ha:cephKey", /missing/],
    ["cephfs without monitors", withKey("storage", { type: "cephfs" }), prodSecrets, [], "harbor-ha:storage.cephfs", /monitors/],
    ["local storage on several ssh nodes", withKey("storage", { type: "local" }), prodSecrets, [], "harbor-ha:storage.type", /cephfs/],
    ["mysql for Harbor 2.x", withKey("database", { host: "db", engine: "mysql", provision: { enabled: true } }), prodSecrets, [], "harbor-ha:database.engine", /postgresql/],
    ["no DB password and no provisioning", withKey("database", { host: "db" }), prodSecrets, [], "harbor-ha:databasePassword", /--secret/],
    ["sentinel without master set", withKey("redis", { mode: "sentinel", sentinels: ["r:26379"] }), prodSecrets, [], "harbor-ha:redis.masterSet", /missing/],
    ["standalone redis without host", withKey("redis", { mode: "standalone" }), prodSecrets, [], "harbor-ha:redis.host", /missing/],
    ["redis DB index out of range", withKey("redis", { host: "r", dbIndex: { core: 16 } }), prodSecrets, [], "harbor-ha:redis.dbIndex.core", /15/],
    ["bad port", withNodes([{ name: "a", address: "10.20.0.11", httpsPort: 70000 }]), prodSecrets, [], "harbor-ha:nodes[0].httpsPort", /65535/],
    ["unknown top-level key", { ...base, databse: { host: "x" } }, prodSecrets, [], "harbor-ha:databse", /unknown key/],
    ["provided TLS without certificate", withKey("tls", { mode: "provided" }), prodSecrets, [], "harbor-ha:tlsCertificate", /missing/],
    ["ssh nodes without a key", withKey("ssh", { user: "root" }), prodSecrets, [], "harbor-ha:ssh.privateKeyPath", /missing/],
    ["two instances on one host with the same port", withNodes([
        { name: "a", address: "127.0.0.1", transport: "local", containerSubnet: "172.31.1.0/24" },
        { name: "b", address: "127.0.0.1", transport: "local", containerSubnet: "172.31.2.0/24" },
    ]), prodSecrets, [], "harbor-ha:nodes[1].httpPort", /already used/],
    ["two instances on one host with the same health port", withNodes([
        { name: "a", address: "127.0.0.1", transport: "local", containerSubnet: "172.31.1.0/24", httpPort: 1, httpsPort: 2, syslogPort: 3 },
        { name: "b", address: "127.0.0.1", transport: "local", containerSubnet: "172.31.2.0/24", httpPort: 4, httpsPort: 5, syslogPort: 6 },
    ]), prodSecrets, [], "harbor-ha:nodes[1].healthPort", /already used/],
    ["rollout.maxUnavailable of zero", withKey("rollout", { maxUnavailable: 0 }), prodSecrets, [], "harbor-ha:rollout.maxUnavailable", /1/],
    ["negative drain timeout", withKey("rollout", { drainTimeoutSeconds: -1 }), prodSecrets, [], "harbor-ha:rollout.drainTimeoutSeconds", /0/],
    ["redirect port equal to the frontend port", withKey("loadBalancer", { mode: "keepalived", vip: "10.20.0.100", subnet: "10.20.0.0/24", httpRedirectPort: 443 }), prodSecrets, [], "harbor-ha:loadBalancer.httpRedirectPort", /frontend port/],
    ["redirect port equal to a node's proxy port", withNodes([{ name: "a", address: "10.20.0.11", httpPort: 80 }]), prodSecrets, [], "harbor-ha:nodes[0].httpPort", /httpRedirectPort/],
    ["Harbor v2.0.x (no shared session store setting)", withKey("harbor", { hostname: "h.example.com", version: "v2.0.6" }), prodSecrets, [], "harbor-ha:harbor.version", /v2\.0\.x is not supported/],
    ["a Harbor release newer than any checked", withKey("harbor", { hostname: "h.example.com", version: "v2.15.3" }), prodSecrets, [], "harbor-ha:harbor.version", /v2\.1\.0 … v2\.15\.2/],
    ["Redis TLS on a release whose registry has none", { ...withKey("harbor", { hostname: "h.example.com", version: "v2.12.4" }), redis: { host: "10.20.0.7", tls: true } }, prodSecrets, [], "harbor-ha:redis.tls", /needs Harbor v2\.13\.0 or later \(harbor.version is v2\.12\.4\)/],
    ["a Redis ACL user on a release whose registry has none", { ...withKey("harbor", { hostname: "h.example.com", version: "v2.14.4" }), redis: { host: "10.20.0.7", username: "harbor" } }, prodSecrets, [], "harbor-ha:redis.username", /needs Harbor v2\.15\.0/],
    ["the DB job logger before v2.9.0", withKey("harbor", { hostname: "h.example.com", version: "v2.8.6", jobLoggers: ["DB"] }), prodSecrets, [], "harbor-ha:harbor.jobLoggers", /needs Harbor v2\.9\.0.*remove harbor.jobLoggers/],
    ["a job duration on a release without it", withKey("harbor", { hostname: "h.example.com", version: "v2.12.0", maxJobDurationHours: 48 }), prodSecrets, [], "harbor-ha:harbor.maxJobDurationHours", /needs Harbor v2\.13\.0/],
    ["a job duration below Harbor's floor", withKey("harbor", { hostname: "h.example.com", maxJobDurationHours: 12 }), prodSecrets, [], "harbor-ha:harbor.maxJobDurationHours", /24/],
    ["trusted CAs that are not PEM", { ...base, trustedCaCertificates: "not a certificate" }, prodSecrets, [], "harbor-ha:trustedCaCertificates", /no PEM certificate/],
    ["config object that is not structured", { ...base, storage: "cephfs" }, prodSecrets, [], "harbor-ha:storage", /YAML object/],
];

describe("L0 config validation", () => {
    it("accepts the documented three-node production config", () => {
        const spec = loadClusterSpec(raw(prodConfig()));
        assert.strictEqual(spec.nodes.length, 3);
        assert.strictEqual(spec.harbor.externalUrl, "https://harbor.example.com");
        const prios = spec.nodes.map((n) => n.priority);
        assert.strictEqual(new Set(prios).size, 3, `distinct default priorities: ${prios}`);
        for (const p of prios) assert.ok(p >= 101 && p <= 200, String(p));
        assert.strictEqual(spec.database.server.port, 5432);
        assert.strictEqual(spec.redis.endpoint.sentinels?.length, 3);
    });

    it("default VRRP priorities do not shift when a node is removed from the middle of the list", () => {
        const all = loadClusterSpec(raw(prodConfig(4)));
        const nodes = prodNodes(4).filter((n) => n.name !== "node2");
        const fewer = loadClusterSpec(raw(prodConfig(4, { nodes })));
        const by = (s: typeof all) => Object.fromEntries(s.nodes.map((n) => [n.name, n.priority]));
        const before = by(all);
        delete before.node2;
        assert.deepStrictEqual(by(fewer), before);
    });

    it("https gets an http -> https redirect on port 80 by default; http and httpRedirect: false get none", () => {
        assert.strictEqual(loadClusterSpec(raw(prodConfig(3))).loadBalancer.httpRedirectPort, 80);
        const http = loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "h.example.com", protocol: "http" } })));
        assert.strictEqual(http.loadBalancer.httpRedirectPort, undefined);
        const off = loadClusterSpec(raw(prodConfig(3, { loadBalancer: { mode: "keepalived", vip: "10.20.0.100", subnet: "10.20.0.0/24", httpRedirect: false } })));
        assert.strictEqual(off.loadBalancer.httpRedirectPort, undefined);
    });

    it("rollout defaults: one node at a time up to 5 nodes, a third of the nodes above", () => {
        assert.deepStrictEqual([1, 3, 5, 6, 10, 30].map((n) => loadClusterSpec(raw(prodConfig(n, n === 1 ? { loadBalancer: { mode: "haproxy" } } : {}))).rollout.maxUnavailable), [1, 1, 1, 2, 3, 10]);
        const s = loadClusterSpec(raw(prodConfig(3)));
        assert.deepStrictEqual({ drain: s.rollout.drainTimeoutSeconds, gate: s.rollout.gateTimeoutSeconds }, { drain: 30, gate: 300 });
    });

    it(`rejects at least 20 invalid configs (${invalid.length} cases below)`, () => assert.ok(invalid.length >= 20));

    for (const [name, cfg, secrets, plain, key, words] of invalid) {
        it(`rejects: ${name} (names ${key})`, () => {
            const problems = problemsOf(cfg, Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== undefined)), plain);
            const hit = problems.find((p) => p.startsWith(`${key}:`) || p.startsWith(`${key} `));
            assert.ok(hit, `no problem names ${key}; got:\n${problems.join("\n")}`);
            assert.match(hit!, words);
        });
    }

    it("never echoes a secret stored in plain text", () => {
        const problems = problemsOf(base, prodSecrets, ["cephKey", "databaseAdminPassword", "redisPassword"]);
        assert.strictEqual(problems.length, 3);
        for (const v of Object.values(SECRET_VALUES)) for (const p of problems) assert.ok(!p.includes(v), `secret leaked in: ${p}`);
    });

    it("reports every problem at once, not only the first", () => {
        const problems = problemsOf({ ...base, harbor: { version: "v9" }, loadBalancer: { vip: "1.2.3.4", subnet: "10.20.0.0/24" } });
        assert.ok(problems.length >= 2, problems.join("\n"));
    });

    it("builds EXT_ENDPOINT with a non-default port through URL", () => {
        const spec = loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", port: 9443 } })));
        assert.strictEqual(spec.harbor.externalUrl, "https://harbor.example.com:9443");
    });
});
