/** L0: the v2 profile and the host scripts, called directly. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { ContainerSpec, SharedValues } from "../../components/profiles/types";
import { containerIp } from "../../components/profiles/v2";
import { atLeast } from "../../components/profiles/version";
import { harborRedisValues } from "../../components/redis/harbor-values";
import { cephFsMountCreate, fstabLine } from "../../components/scripts/cephfs";
import { q } from "../../components/scripts/shell";
import { prodConfig, raw } from "../support/fixtures";

const ODD = `p@ss w:rd/%#?&'"\`$(x);\\ {}[]: -`;

function sharedWith(spec: ReturnType<typeof loadClusterSpec>, tag: string): SharedValues {
    const base = placeholderShared(spec, true);
    const v = (k: string) => `${tag}-${k}-${ODD}`;
    return {
        ...base,
        secretKey: `${tag}secretkey12`.slice(0, 16).padEnd(16, "k"),
        csrfKey: v("csrf"), coreSecret: v("core"), jobserviceSecret: v("job"), registryHttpSecret: v("http"),
        registryPassword: v("regpw"), registryHtpasswd: `harbor_registry_user:${v("bcrypt")}`, adminPassword: v("admin"),
        tokenPrivateKey: v("tokenkey"), tlsPrivateKey: v("tlskey"), databasePassword: v("dbpw"),
        redis: harborRedisValues(spec.redis.endpoint, v("redispw")),
    };
}

const byComp = (l: ContainerSpec[], c: string) => l.find((x) => x.component === c)!;
const file = (c: ContainerSpec, p: string) => c.files.find((f) => f.path === p)!;

describe("L0 v2 profile", () => {
    const spec = loadClusterSpec(raw(prodConfig(3, { redis: { host: "10.20.0.7" } })));
    const node = spec.nodes[1];
    const a = renderNode(spec, node, sharedWith(spec, "A"), "prod");
    const b = renderNode(spec, node, sharedWith(spec, "B"), "prod");

    it("starts containers in Harbor's order: log first, proxy after core", () => {
        const names = a.map((c) => c.component);
        assert.deepStrictEqual(names.slice(0, 1), ["log"]);
        assert.ok(names.indexOf("core") < names.indexOf("jobservice"));
        assert.ok(names.indexOf("core") < names.indexOf("proxy"));
        assert.deepStrictEqual(byComp(a, "jobservice").after, ["core"]);
    });

    it("writes capabilities as the provider's Docker client normalises them (else every refresh replaces every container)", () => {
        // docker/docker v28.5.2 client/container_create.go normalizeCapabilities: upper case,
        // "CAP_" prefix (except ALL), de-duplicated, sorted. The daemon stores and reports that.
        const normalise = (l: string[]) => [...new Set(l.map((c) => c.toUpperCase()).map((c) => (c === "ALL" || c.startsWith("CAP_") ? c : `CAP_${c}`)))].sort();
        for (const c of a) {
            assert.deepStrictEqual(c.capAdd, normalise(c.capAdd), `${c.component} capAdd`);
            assert.deepStrictEqual(c.capDrop, ["ALL"], c.component);
        }
        assert.deepStrictEqual(byComp(a, "proxy").capAdd, ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"]);
    });

    it("ships logs to the node's log container over UDP, which Docker can dial before the log container listens", () => {
        const log = byComp(a, "log");
        assert.strictEqual(log.log.driver, "json-file");
        assert.deepStrictEqual(log.ports, [{ internal: 10514, external: node.syslogPort, ip: "127.0.0.1", protocol: "udp" }]);
        for (const c of a.filter((x) => x.component !== "log")) {
            assert.strictEqual(c.log.driver, "syslog", c.component);
            assert.deepStrictEqual(c.log.options, { "syslog-address": `udp://127.0.0.1:${node.syslogPort}`, tag: c.component });
        }
    });

    it("gives every container a health check (up waits for each), and every start dependency exists", () => {
        const names = a.map((c) => c.component);
        for (const c of a) {
            assert.strictEqual(c.healthcheck.test[0], "CMD-SHELL", c.component);
            assert.ok(c.healthcheck.test[1].length > 0, c.component);
            for (const dep of c.after) assert.ok(names.indexOf(dep) >= 0 && names.indexOf(dep) < names.indexOf(c.component), `${c.component} after ${dep}`);
        }
    });

    it("sets the core env Harbor 2.x expects", () => {
        const env = byComp(a, "core").env;
        assert.strictEqual(env.EXT_ENDPOINT, "https://harbor.example.com");
        assert.strictEqual(env.DATABASE_TYPE, "postgresql");
        assert.strictEqual(env.POSTGRESQL_HOST, "10.20.0.6");
        assert.strictEqual(env.POSTGRESQL_PORT, "5432");
        assert.strictEqual(env.POSTGRESQL_DATABASE, "registry");
        assert.strictEqual(env.TOKEN_SERVICE_URL, "http://core:8080/service/token");
        assert.strictEqual(env.REGISTRY_CREDENTIAL_USERNAME, "harbor_registry_user");
        assert.strictEqual(env.WITH_TRIVY, "true");
        assert.strictEqual(env.POSTGRESQL_CONN_MAX_LIFETIME, "5m");
        assert.match(env._REDIS_URL_CORE, /^redis:\/\/:A-redispw-.*@10\.20\.0\.7:6379\?idle_timeout_seconds=30$/);
        assert.match(env._REDIS_URL_REG, /@10\.20\.0\.7:6379\/1\?/);
    });

    it("percent-encodes odd password characters in Redis URLs so they parse back exactly", () => {
        const u = new URL(byComp(a, "core").env._REDIS_URL_CORE);
        assert.strictEqual(decodeURIComponent(u.password), `A-redispw-${ODD}`);
        assert.strictEqual(u.hostname, "10.20.0.7");
    });

    it("YAML-escapes odd characters: registry and jobservice configs parse back to the exact values", () => {
        const reg = YAML.parse(file(byComp(a, "registry"), "/etc/registry/config.yml").content);
        assert.strictEqual(reg.redis.password, `A-redispw-${ODD}`);
        assert.strictEqual(reg.http.secret, `A-http-${ODD}`);
        assert.strictEqual(reg.storage.filesystem.rootdirectory, "/storage");
        assert.strictEqual(reg.auth.htpasswd.path, "/etc/registry/passwd");
        const job = YAML.parse(file(byComp(a, "jobservice"), "/etc/jobservice/config.yml").content);
        assert.strictEqual(job.worker_pool.redis_pool.redis_url, byComp(a, "core").env._REDIS_URL_CORE.replace(":6379?", ":6379/2?"));
        assert.strictEqual(job.worker_pool.redis_pool.namespace, "harbor_job_service_namespace");
    });

    it("writes the secretkey raw (16 bytes, no newline) and the htpasswd line for harbor_registry_user", () => {
        const core = byComp(a, "core");
        assert.strictEqual(file(core, "/etc/core/key").content, "Asecretkey12kkkk");
        assert.match(file(byComp(a, "registry"), "/etc/registry/passwd").content, /^harbor_registry_user:A-bcrypt-.*\n$/);
    });

    it("marks exactly the values that change with secrets as secret", () => {
        for (const [i, ca] of a.entries()) {
            const cb = b[i];
            for (const k of Object.keys(ca.env)) {
                const differs = ca.env[k] !== cb.env[k];
                assert.strictEqual(ca.secretEnv.includes(k), differs, `${ca.component} env ${k}: secret flag ${ca.secretEnv.includes(k)} but value ${differs ? "depends" : "does not depend"} on secrets`);
            }
            for (const [j, f] of ca.files.entries())
                if (f.content !== cb.files[j].content) assert.ok(f.secret, `${ca.component} ${f.path} depends on secrets but is not marked secret`);
        }
    });

    it("gives each component a fixed address in the node's container subnet", () => {
        assert.strictEqual(byComp(a, "core").ipv4, "172.30.0.13");
        assert.strictEqual(containerIp("10.1.2.0/24", "log"), "10.1.2.10");
        assert.strictEqual(new Set(a.map((c) => c.ipv4)).size, a.length);
    });

    it("names containers per node and keeps jobservice hostnames unique per node", () => {
        assert.ok(a.every((c) => c.name.startsWith("node2-")));
        assert.strictEqual(byComp(a, "jobservice").hostname, "node2-jobservice");
    });

    it("pulls images from the configured registry prefix at the pinned version", () => {
        const s2 = loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "h.example.com", imageRegistry: "mirror.local:5000/goharbor", version: "v2.14.1" } })));
        const l = renderNode(s2, s2.nodes[0], placeholderShared(s2, true), "prod");
        assert.strictEqual(byComp(l, "core").image, "mirror.local:5000/goharbor/harbor-core:v2.14.1");
        assert.strictEqual(byComp(l, "registry").image, "mirror.local:5000/goharbor/registry-photon:v2.14.1");
    });

    it("compares versions numerically", () => {
        assert.ok(atLeast("v2.10.0", "v2.9.0"));
        assert.ok(!atLeast("v2.6.3", "v2.7.0"));
    });
});

describe("L0 host scripts", () => {
    const ceph = { monitors: ["10.20.0.5:6789"], path: "/harbor", clientName: "harbor", client: "fuse" as const, installClient: true };

    it("fstab line for ceph-fuse carries _netdev, noatime and a key file, never the key", () => {
        const line = fstabLine({ ceph, mountPoint: "/mnt/harbor" });
        assert.match(line, /^none \/mnt\/harbor fuse\.ceph \S*ceph\.keyfile=\/etc\/ceph\/harbor-ha-harbor\.secret\S*_netdev,noatime\S* 0 0$/);
        assert.strictEqual(line.split(" ").length, 6);
        const kernel = fstabLine({ ceph: { ...ceph, client: "kernel" }, mountPoint: "/mnt/harbor" });
        assert.match(kernel, /^10\.20\.0\.5:6789:\/harbor \/mnt\/harbor ceph name=harbor,secretfile=\S+,_netdev,noatime/);
    });

    it("the mount script is valid POSIX sh (sh -n)", () => {
        const r = spawnSync("sh", ["-n"], { input: cephFsMountCreate({ ceph, mountPoint: "/mnt/harbor" }), encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
    });

    it("shell-quotes values so they reach the command unchanged", () => {
        for (const v of [ODD, "a'b", "-n", "$HOME", "line1\nline2", "#!/bin/sh\necho 'hi'!", "!x", "\\n"]) {
            const r = spawnSync("sh", ["-c", `printf '%s' ${q(v)}`], { encoding: "utf8" });
            assert.strictEqual(r.stdout, v);
        }
    });
});
