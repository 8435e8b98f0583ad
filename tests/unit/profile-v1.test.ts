/** L0: the Harbor 1.x profiles (v1.5.x, v1.1.x) and their validation, called directly. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError, loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { profileOf } from "../../components/profiles";
import { ContainerSpec, SharedValues } from "../../components/profiles/types";
import { v1RedisValues } from "../../components/redis/harbor-values";
import { nodePaths } from "../../components/paths";
import { hostPrepCreate } from "../../components/scripts/host-prep";
import { PROJECT, prodSecrets, raw, SECRET_VALUES, v1Config } from "../support/fixtures";

const byComp = (l: ContainerSpec[], c: string) => l.find((x) => x.component === c)!;
const fileOf = (c: ContainerSpec, p: string) => c.files.find((f) => f.path === p);
const specOf = (version: string, overrides: Record<string, unknown> = {}, secrets = prodSecrets) => loadClusterSpec(raw(v1Config(version, 3, overrides), secrets));

function shared(spec: ReturnType<typeof loadClusterSpec>): SharedValues {
    return {
        ...placeholderShared(spec, true),
        secretKey: "0123456789abcdef", coreSecret: "ui-secret-value", jobserviceSecret: "job-secret-value", adminPassword: "Admin-Pw-1",
        tokenPrivateKey: "TOKEN-KEY-PEM", tokenCertificate: "TOKEN-CERT-PEM", databasePassword: "db-pw-value", registryHttpSecret: "http-secret",
        redis: v1RedisValues(spec.redis.endpoint, SECRET_VALUES.redisPassword),
    };
}
const render = (spec: ReturnType<typeof loadClusterSpec>, i = 0) => renderNode(spec, spec.nodes[i], shared(spec), "prod");

/** tests/fixtures/harbor-templates/v1-env-keys.tsv: the env keys of each tag's templates. */
const TEMPLATE_KEYS = new Map(
    fs.readFileSync(path.join(__dirname, "../fixtures/harbor-templates/v1-env-keys.tsv"), "utf8").split("\n")
        .filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t")).map(([tag, comp, keys]) => [`${tag} ${comp}`, keys.split(",")]),
);

function problems(version: string, overrides: Record<string, unknown>, secrets = prodSecrets): string[] {
    try {
        specOf(version, overrides, secrets);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

describe("L0 Harbor 1.x profiles", () => {
    for (const version of ["v1.5.4", "v1.1.2"]) {
        describe(version, () => {
            const spec = specOf(version);
            const nodes = spec.nodes.map((_, i) => render(spec, i));
            const a = nodes[0];

            it("selects the 1.x profile: MySQL, the vmware/ images, no bundled database or Redis", () => {
                assert.strictEqual(profileOf(spec).databaseEngine, "mysql");
                assert.deepStrictEqual(a.map((c) => c.component), ["log", "registry", "adminserver", "ui", "jobservice", "proxy"]);
                assert.strictEqual(byComp(a, "adminserver").image, `docker.io/vmware/harbor-adminserver:${version}`);
                assert.strictEqual(byComp(a, "registry").image, version === "v1.5.4" ? "docker.io/vmware/registry-photon:v2.6.2-v1.5.4" : "docker.io/vmware/registry:2.6.1-photon");
                assert.strictEqual(byComp(a, "proxy").image, version === "v1.5.4" ? "docker.io/vmware/nginx-photon:v1.5.4" : "docker.io/vmware/nginx:1.11.5-patched");
                const mirrored = specOf(version, { harbor: { hostname: "harbor.example.com", version, imageRegistry: "mirror.internal:5000/vmware" } });
                assert.strictEqual(byComp(render(mirrored), "ui").image, `mirror.internal:5000/vmware/harbor-ui:${version}`);
            });

            it("renders exactly the env keys of the release's templates (ui _REDIS_URL added on 1.1, as the original HA design did)", () => {
                for (const comp of ["adminserver", "ui", "jobservice"]) {
                    const want = new Set(TEMPLATE_KEYS.get(`${version} ${comp}`));
                    if (version.startsWith("v1.1") && comp === "ui") want.add("_REDIS_URL");
                    assert.deepStrictEqual(Object.keys(byComp(a, comp).env).sort(), [...want].sort(), comp);
                }
            });

            it("points adminserver at the external MySQL with RESET=true, identically on every node", () => {
                const env = byComp(a, "adminserver").env;
                assert.strictEqual(env.DATABASE_TYPE, "mysql");
                assert.strictEqual(env.MYSQL_HOST, "10.20.0.6");
                assert.strictEqual(env.MYSQL_PORT, "3306");
                assert.strictEqual(env.MYSQL_USR, "harbor");
                assert.strictEqual(env.MYSQL_PWD, "db-pw-value");
                assert.strictEqual(env.MYSQL_DATABASE, "registry");
                assert.strictEqual(env.RESET, "true");
                assert.strictEqual(env.EXT_ENDPOINT, "https://harbor.example.com");
                for (const other of nodes.slice(1)) assert.deepStrictEqual(byComp(other, "adminserver").env, env, "adminservers share one settings store: their env must not differ");
            });

            it("gives the ui its sessions in Redis (beego form, DB of core) and the stack's token key and secretkey", () => {
                const ui = byComp(a, "ui");
                assert.strictEqual(ui.env._REDIS_URL, `10.20.0.7:6379,100,${SECRET_VALUES.redisPassword},0`);
                assert.strictEqual(fileOf(ui, "/etc/ui/private_key.pem")?.content, "TOKEN-KEY-PEM");
                assert.strictEqual(fileOf(ui, "/etc/ui/key")?.content, "0123456789abcdef");
                assert.match(fileOf(ui, "/etc/ui/app.conf")!.content, new RegExp(`httpport = ${version === "v1.5.4" ? 8080 : 80}`));
            });

            it("keeps registry blobs on CephFS and checks tokens against the shared root.crt", () => {
                const reg = byComp(a, "registry");
                assert.deepStrictEqual(reg.mounts, [{ source: "/mnt/harbor/registry", target: "/storage", readOnly: false }]);
                assert.strictEqual(fileOf(reg, "/etc/registry/root.crt")?.content, "TOKEN-CERT-PEM");
                const doc = YAML.parse(fileOf(reg, "/etc/registry/config.yml")!.content);
                assert.deepStrictEqual(doc.auth.token, { issuer: "harbor-token-issuer", realm: "https://harbor.example.com/service/token", rootcertbundle: "/etc/registry/root.crt", service: "harbor-registry" });
                assert.strictEqual(doc.storage.filesystem.rootdirectory, "/storage");
                assert.strictEqual(doc.redis.password, SECRET_VALUES.redisPassword);
                assert.strictEqual(doc.redis.db, 1);
                assert.strictEqual(doc.http.secret, "http-secret");
            });

            it("writes each node's logs to its own directory and job logs to the shared one", () => {
                const logDirs = nodes.map((n) => byComp(n, "log").mounts[0].source);
                assert.deepStrictEqual(logDirs, ["/mnt/harbor/logs/node1", "/mnt/harbor/logs/node2", "/mnt/harbor/logs/node3"]);
                for (const n of nodes) assert.deepStrictEqual(byComp(n, "jobservice").mounts, [{ source: "/mnt/harbor/job_logs", target: "/var/log/jobs", readOnly: false }]);
                assert.strictEqual(byComp(a, "log").ports[0].internal, version === "v1.5.4" ? 10514 : 514);
            });

            it("marks every secret env value and file as secret", () => {
                for (const c of a) {
                    for (const [k, v] of Object.entries(c.env)) {
                        const secretish = [SECRET_VALUES.redisPassword, "db-pw-value", "Admin-Pw-1", "ui-secret-value", "job-secret-value"].some((s) => v.includes(s));
                        if (secretish) assert.ok(c.secretEnv.includes(k), `${c.component} ${k} holds a secret`);
                    }
                    for (const f of c.files)
                        if (/TOKEN-KEY|0123456789abcdef|http-secret|redis|db-pw/.test(f.content) || f.content.includes(SECRET_VALUES.redisPassword)) assert.ok(f.secret, `${c.component} ${f.path}`);
                }
            });

            it("changes no user and no capability (the images drop to uid 10000 themselves)", () => {
                for (const c of a) {
                    assert.strictEqual(c.user, undefined, c.component);
                    assert.deepStrictEqual([c.capAdd, c.capDrop], [[], []], c.component);
                }
            });

            it("probes only what answers without the shared database or Redis", () => {
                const probes = profileOf(spec).probes(spec, spec.nodes[0]);
                const ui = probes.find((p) => p.component === "ui")!;
                assert.strictEqual(ui.kind, "tcp", "ui's sessions are in Redis: an HTTP probe would empty the balancer on a Redis hiccup");
                assert.strictEqual(probes.find((p) => p.component === "adminserver")!.kind, version === "v1.5.4" ? "http" : "tcp");
                assert.deepStrictEqual(probes.find((p) => p.component === "proxy")!.port, 443);
                for (const p of probes) assert.strictEqual(p.address, byComp(a, p.component).ipv4, p.component);
            });
        });
    }

    it("1.5.x: jobservice queues in Redis (its DB index), routes /v2/ through the ui's registry proxy", () => {
        const spec = specOf("v1.5.4");
        const a = render(spec);
        const job = YAML.parse(fileOf(byComp(a, "jobservice"), "/etc/jobservice/config.yml")!.content);
        assert.strictEqual(job.worker_pool.backend, "redis");
        assert.strictEqual(job.worker_pool.redis_pool.redis_url, `redis://:${encodeURIComponent(SECRET_VALUES.redisPassword)}@10.20.0.7:6379/2`);
        assert.match(fileOf(byComp(a, "proxy"), "/etc/nginx/nginx.conf")!.content, /location \/v2\/ \{\s+proxy_pass http:\/\/ui\/registryproxy\/v2\/;/);
    });

    it("1.1.x: config.json shared on CephFS for every node's adminserver, and host prep creates that directory", () => {
        const spec = specOf("v1.1.2");
        for (const i of [0, 1, 2]) assert.deepStrictEqual(byComp(render(spec, i), "adminserver").mounts[0], { source: "/mnt/harbor/adminserver", target: "/etc/adminserver/config", readOnly: false });
        const paths = nodePaths(spec.storage, "node1");
        assert.match(hostPrepCreate(paths, false, true, profileOf(spec).hostDirs(paths)), /install -d -m 0755 '?\/mnt\/harbor\/adminserver'?/);
        assert.deepStrictEqual(profileOf(specOf("v1.5.4")).hostDirs(paths), [], "1.5 keeps its settings in the database");
        assert.match(fileOf(byComp(render(spec), "proxy"), "/etc/nginx/nginx.conf")!.content, /location \/v2\/ \{\s+proxy_pass http:\/\/registry\/v2\/;/);
    });

    it("RELOAD_KEY (v1.5.2+): identical on every node, new exactly when a setting changes", () => {
        const key = (s: ReturnType<typeof loadClusterSpec>, i = 0) => byComp(render(s, i), "adminserver").env.RELOAD_KEY;
        const spec = specOf("v1.5.4");
        assert.match(key(spec), /^[0-9a-f]{16}$/);
        assert.strictEqual(key(spec, 2), key(spec));
        assert.strictEqual(key(specOf("v1.5.4")), key(spec), "a second render of the same config keeps the key (no reload on every up)");
        assert.notStrictEqual(key(specOf("v1.5.4", { harbor: { hostname: "harbor.example.com", version: "v1.5.4", maxJobWorkers: 20 } })), key(spec));
        assert.strictEqual(byComp(render(specOf("v1.5.1")), "adminserver").env.RELOAD_KEY, undefined, "v1.5.1's adminserver has no reload key");
    });

    describe("validation", () => {
        const cases: Array<[string, string, Record<string, unknown>, string, RegExp, Record<string, string>?]> = [
            ["PostgreSQL with 1.x", "v1.5.4", { database: { engine: "postgresql", host: "10.20.0.6", provision: { enabled: true }, import: { path: "/srv/r.sql" } } }, "database.engine", /MySQL\/MariaDB only/],
            ["no schema to load", "v1.5.4", { database: { engine: "mysql", host: "10.20.0.6", provision: { enabled: true } } }, "database.import", /registry\.sql/],
            ["Redis Sentinel", "v1.5.4", { redis: { mode: "sentinel", sentinels: ["10.20.0.7:26379"], masterSet: "harbor" } }, "redis.mode", /standalone/],
            ["Redis TLS", "v1.5.4", { redis: { host: "10.20.0.7", tls: true } }, "redis.tls", /TLS/],
            ["Redis ACL user", "v1.1.2", { redis: { host: "10.20.0.7", username: "harbor" } }, "redis.username", /remove redis\.username/],
            ["Trivy", "v1.5.4", { harbor: { hostname: "h.example.com", version: "v1.5.4", trivy: true } }, "harbor.trivy", /no Trivy/],
            ["a trivy block", "v1.5.4", { trivy: { skipUpdate: true } }, "trivy", /no Trivy/],
            ["the DB job logger", "v1.5.4", { harbor: { hostname: "h.example.com", version: "v1.5.4", jobLoggers: ["DB"] } }, "harbor.jobLoggers", /files/],
            ["a job duration", "v1.5.4", { harbor: { hostname: "h.example.com", version: "v1.5.4", maxJobDurationHours: 48 } }, "harbor.maxJobDurationHours", /remove/],
            ["an outbound proxy", "v1.5.4", { proxy: { httpProxy: "http://proxy:3128" } }, "proxy", /remove the proxy key/],
            ["database TLS", "v1.5.4", { database: { engine: "mysql", host: "10.20.0.6", sslmode: "require", provision: { enabled: true }, import: { path: "/srv/r.sql" } } }, "database.sslmode", /disable/],
            ["pool settings", "v1.5.4", { database: { engine: "mysql", host: "10.20.0.6", maxOpenConns: 50, provision: { enabled: true }, import: { path: "/srv/r.sql" } } }, "database", /maxOpenConns/],
            ["the canary", "v1.5.4", { verify: { canary: true } }, "verify.canary", /robot accounts/],
            ["a Redis password with a comma", "v1.5.4", {}, "redisPassword", /comma/, { ...prodSecrets, redisPassword: "pa,ss" }],
        ];
        for (const [name, version, overrides, key, fix, secrets] of cases) {
            it(`refuses ${name} (names ${key})`, () => {
                const got = problems(version, overrides, secrets);
                const hit = got.find((p) => p.startsWith(`${PROJECT}:${key}: `));
                assert.ok(hit, `no problem names ${key}; got:\n${got.join("\n")}`);
                assert.match(hit!, fix);
                assert.ok(!got.join("\n").includes("pa,ss"), "no secret echoed");
            });
        }
        it("accepts the documented 1.5 and 1.1 stacks as they are", () => {
            assert.deepStrictEqual(problems("v1.5.4", {}), []);
            assert.deepStrictEqual(problems("v1.1.2", {}), []);
        });
        it("defaults the provisioning login to MySQL's root", () => {
            assert.strictEqual(specOf("v1.5.4").database.provision.adminUser, "root");
        });
    });
});
