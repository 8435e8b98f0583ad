/**
 * L1: the whole cluster under pulumi.runtime.setMocks for the three-node prod config.
 * Mocked: the Pulumi engine and every provider (no SSH, no Docker). Real: all program code.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { prodConfig, prodNodes, raw, SECRET_VALUES } from "../support/fixtures";
import { CapturedResource, evaluateCluster, Evaluation, isSecret, mockPasswordResult, unwrap } from "../support/mock-capture";

const CONTAINER = "docker:index/container:Container";
const DOCKER_PROVIDER = "pulumi:providers:docker";
const REMOTE_CMD = "command:remote:Command";

const env = (c: CapturedResource) => Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const upload = (c: CapturedResource, path: string) => (c.inputs.uploads as { file: string; content: string }[]).find((u) => u.file === path)?.content;

describe("L1 cluster under mocks (3-node prod config)", function () {
    this.timeout(60000);
    let ev: Evaluation;
    const nodes = ["node1", "node2", "node3"];
    const container = (node: string, comp: string) => ev.one(CONTAINER, `${node}-harbor-${comp}`);

    before(async () => {
        ev = await evaluateCluster(raw(prodConfig(3)));
    });

    it("declares one Docker provider per node, each with its ssh host", () => {
        const providers = ev.byType(DOCKER_PROVIDER);
        assert.deepStrictEqual(providers.map((p) => p.inputs.host).sort(), ["ssh://root@10.20.0.11", "ssh://root@10.20.0.12", "ssh://root@10.20.0.13"]);
        for (const n of nodes) {
            const p = ev.one(DOCKER_PROVIDER, `${n}-docker`);
            for (const c of ev.byType(CONTAINER).filter((x) => x.name.startsWith(`${n}-`))) assert.ok(c.provider?.includes(p.name), `${c.name} uses ${c.provider}`);
        }
    });

    it("gives every node a complete Harbor instance on a fixed-subnet network", () => {
        for (const n of nodes) {
            for (const comp of ["log", "registry", "registryctl", "portal", "core", "jobservice", "proxy", "trivy-adapter"]) {
                const c = container(n, comp);
                assert.strictEqual(c.inputs.networksAdvanced[0].aliases[0], comp);
                assert.strictEqual(c.inputs.networksAdvanced[0].name, `${n}-harbor`);
                assert.match(c.inputs.networksAdvanced[0].ipv4Address, /^172\.30\.0\.\d+$/);
                assert.strictEqual(c.inputs.restart, "always");
                if (comp !== "log") {
                    assert.strictEqual(c.inputs.logDriver, "syslog");
                    assert.strictEqual(c.inputs.logOpts["syslog-address"], "udp://127.0.0.1:1514");
                    assert.strictEqual(c.inputs.user, "10000:10000");
                }
            }
        }
    });

    it("creates every container on the default bridge, so the provider's network connect applies the aliases and fixed IP", () => {
        // terraform-provider-docker 4.2.0 (docker 5.0.0) creates a container in networkMode with no
        // endpoint settings and applies networksAdvanced (aliases, ipv4Address) only through a
        // later disconnect-bridge/connect. networkMode = the Harbor network made the real run
        // lose every alias ("host not found in upstream core:8080") and the fixed addresses.
        for (const c of ev.byType(CONTAINER).filter((x) => /^node\d-harbor-/.test(x.name))) {
            assert.strictEqual(c.inputs.networkMode, "bridge", c.name);
            assert.notStrictEqual(c.inputs.networkMode, c.inputs.networksAdvanced[0].name, c.name);
        }
    });

    it("waits for every Harbor container's health check, so a crash-looping component fails `up`", () => {
        for (const c of ev.byType(CONTAINER).filter((x) => /^node\d-harbor-/.test(x.name))) {
            assert.strictEqual(c.inputs.wait, true, c.name);
            assert.ok(c.inputs.waitTimeout >= 60, c.name);
            assert.ok(c.inputs.healthcheck?.tests?.length >= 2, `${c.name} has no health check to wait for`);
        }
    });

    it("names an explicit provider for every resource of a package Pulumi.yaml disables (the engine refuses the rest)", () => {
        // The engine's rule (pulumi:disable-default-providers): a custom resource of a disabled
        // package without an explicit provider fails preview. "*" covers pulumi-nodejs too, the
        // package of dynamic resources, which cannot take an explicit provider.
        const project = YAML.parse(fs.readFileSync(path.join(__dirname, "../../Pulumi.yaml"), "utf8"));
        const disabled: string[] = project.config["pulumi:disable-default-providers"].value;
        const packageOf = (type: string) => type.startsWith("pulumi:providers:") ? undefined : type.split(":")[0];
        const isDisabled = (pkg: string) => disabled.includes("*") || disabled.includes(pkg);
        const offenders = ev.resources
            .filter((r) => packageOf(r.type) !== undefined && !r.type.startsWith("harbor-ha:"))
            .filter((r) => isDisabled(packageOf(r.type)!) && !r.provider)
            .map((r) => `${r.type}::${r.name}`);
        assert.deepStrictEqual(offenders, []);
        // The dynamic resources exist (else this test would not see the rule).
        assert.ok(ev.resources.some((r) => r.type.startsWith("pulumi-nodejs:dynamic")), "no dynamic resource evaluated");
        for (const pkg of ["command", "docker", "random", "tls"]) assert.ok(isDisabled(pkg), `${pkg} default provider must stay disabled`);
    });

    it("passes no previous output to host commands (sshd refuses Setenv: 'Unable to set PULUMI_COMMAND_STDOUT')", () => {
        const cmds = [...ev.byType(REMOTE_CMD), ...ev.byType("command:local:Command")];
        assert.ok(cmds.length > 0);
        for (const c of cmds) assert.strictEqual(c.inputs.addPreviousOutputInEnv, false, c.name);
    });

    it("fans out identical token key, certificate, secretkey, CSRF key and internal secrets to every node", () => {
        const same = (f: (n: string) => unknown, what: string) => {
            const vals = nodes.map(f);
            assert.ok(vals[0] !== undefined && vals[0] !== "", `${what} is empty`);
            assert.ok(vals.every((v) => v === vals[0]), `${what} differs between nodes`);
        };
        same((n) => upload(container(n, "core"), "/etc/core/private_key.pem"), "token private key");
        same((n) => upload(container(n, "registry"), "/etc/registry/root.crt"), "token certificate");
        same((n) => upload(container(n, "core"), "/etc/core/key"), "secretkey");
        for (const k of ["CSRF_KEY", "CORE_SECRET", "JOBSERVICE_SECRET", "REGISTRY_CREDENTIAL_PASSWORD", "_REDIS_URL_CORE", "POSTGRESQL_PASSWORD", "EXT_ENDPOINT", "ROBOT_SCANNER_NAME_PREFIX"])
            same((n) => env(container(n, "core"))[k], k);
        same((n) => upload(container(n, "registry"), "/etc/registry/config.yml"), "registry config (http.secret, redis)");
        same((n) => upload(container(n, "registry"), "/etc/registry/passwd"), "registry htpasswd");
        same((n) => env(container(n, "jobservice")).JOBSERVICE_SECRET, "jobservice JOBSERVICE_SECRET");
        // Generated once: exactly one of each shared secret resource in the whole stack.
        assert.strictEqual(ev.byType("tls:index/privateKey:PrivateKey").filter((r) => r.name.includes("token")).length, 1);
        assert.strictEqual(ev.byType("random:index/randomPassword:RandomPassword").filter((r) => r.name.includes("csrf")).length, 1);
    });

    it("writes the secretkey as exactly 16 characters with no trailing newline", () => {
        const key = upload(container("node1", "core"), "/etc/core/key")!;
        assert.strictEqual(key.length, 16);
        assert.ok(!key.endsWith("\n"));
        assert.strictEqual(env(container("node1", "core")).CSRF_KEY.length, 32);
    });

    it("keeps per-node log paths distinct and registry storage on the CephFS path", () => {
        const logs = nodes.map((n) => container(n, "log").inputs.mounts[0].source);
        assert.deepStrictEqual(logs, ["/mnt/harbor/logs/node1", "/mnt/harbor/logs/node2", "/mnt/harbor/logs/node3"]);
        for (const n of nodes) {
            assert.deepStrictEqual(container(n, "registry").inputs.mounts[0], { type: "bind", source: "/mnt/harbor/registry", target: "/storage", readOnly: false });
            // Trivy's cache stays on local disk.
            assert.match(container(n, "trivy-adapter").inputs.mounts[0].source, new RegExp(`^/var/lib/harbor-ha/${n}/`));
        }
    });

    it("starts no Harbor container before the database and Redis readiness checks", () => {
        for (const n of nodes) {
            const deps = ev.dependencies.get(`${CONTAINER}::${n}-harbor-log`)!;
            assert.ok(deps.has("harbor-ha:db:ExternalDatabase::harbor-database"), [...deps].join(", "));
            assert.ok(deps.has("harbor-ha:redis:ExternalRedis::harbor-redis"));
            assert.ok(deps.has(`harbor-ha:node:HostPrep::${n}-host`));
        }
        // ...and the readiness check itself waits for provisioning.
        const readiness = ev.resources.find((r) => r.name === "harbor-database-ready");
        assert.ok(readiness, "database readiness resource");
        // The admin password re-arm is a child of the database component every container waits for.
        const kids = ev.children.get("harbor-ha:db:ExternalDatabase::harbor-database") ?? [];
        assert.ok(kids.some((k) => k.endsWith("::harbor-database-admin-password")), kids.join(", "));
    });

    it("uses the database job logger so any node shows any job's log", () => {
        assert.match(upload(container("node1", "jobservice"), "/etc/jobservice/config.yml")!, /job_loggers:\n\s+- name: DB/);
    });

    it("marks every secret env value and secret file as secret, and the admin password output", async () => {
        let checked = 0;
        for (const c of ev.byType(CONTAINER)) {
            const comp = c.name.replace(/^node\d-harbor-/, "");
            for (const e of c.rawProps.envs as unknown[]) {
                const text = await unwrap(e as string);
                const key = text.slice(0, text.indexOf("="));
                const secretKey = /SECRET|PASSWORD|CSRF|REDIS_URL/.test(key);
                assert.strictEqual(await isSecret(e), secretKey, `${c.name} env ${key} secret marking`);
                checked++;
            }
            for (const u of c.rawProps.uploads as { file: string; content: unknown }[]) {
                const secretFile = /key|passwd|config\.yml$/.test(u.file) && !(comp === "registryctl" && u.file === "/etc/registryctl/config.yml");
                assert.strictEqual(await isSecret(u.content), secretFile, `${c.name} file ${u.file} secret marking`);
                checked++;
            }
        }
        assert.ok(checked > 100);
        assert.strictEqual(await isSecret(ev.cluster.adminPassword), true);
        assert.strictEqual(await isSecret(ev.cluster.tokenCertificate), false, "the token certificate is public");
    });

    it("puts no secret value into any remote command string or non-secret output", async () => {
        const secrets = new Set<string>(Object.values(SECRET_VALUES));
        for (const r of ev.byType("random:index/randomPassword:RandomPassword")) secrets.add(mockPasswordResult(r.name, r.inputs.length));
        for (const r of ev.byType("tls:index/privateKey:PrivateKey")) secrets.add("mock-private-key-" + r.name);
        const cmds = ev.byType(REMOTE_CMD);
        assert.ok(cmds.length >= 3 * 3, "mount, host prep and LB commands per node");
        for (const c of cmds)
            for (const field of ["create", "update", "delete"])
                for (const s of secrets) assert.ok(!String(c.inputs[field] ?? "").includes(s), `${c.name}.${field} contains a secret`);
        // The CephFS key travels on stdin, as a secret.
        const mount = ev.one(REMOTE_CMD, "node1-storage-mount");
        assert.strictEqual(mount.inputs.stdin, SECRET_VALUES.cephKey);
        assert.strictEqual(await isSecret(mount.rawProps.stdin), true);
        for (const c of ev.byType(CONTAINER)) {
            const plainEnv = [];
            for (const e of c.rawProps.envs as unknown[]) if (!(await isSecret(e))) plainEnv.push(await unwrap(e as string));
            for (const u of c.rawProps.uploads as { content: unknown }[]) if (!(await isSecret(u.content))) plainEnv.push(await unwrap(u.content as string));
            for (const text of plainEnv) for (const s of secrets) assert.ok(!text.includes(s), `${c.name}: non-secret value contains a secret`);
        }
        for (const out of [await unwrap(ev.cluster.caCertificate), await unwrap(ev.cluster.tokenCertificate), ev.cluster.externalUrl])
            for (const s of secrets) assert.ok(!out.includes(s));
    });
});

describe("L1 scale-out: adding a fourth node", function () {
    this.timeout(60000);
    it("adds only that node's resources plus LB membership and changes no shared secret", async () => {
        const three = await evaluateCluster(raw(prodConfig(3)));
        const four = await evaluateCluster(raw(prodConfig(4)));
        const key = (r: CapturedResource) => `${r.type}::${r.name}`;
        const before = new Map(three.resources.map((r) => [key(r), r]));
        const added = four.resources.filter((r) => !before.has(key(r)));
        assert.ok(added.length > 20, `expected a full node, got ${added.length}`);
        // node4's own resources, and node4's peer entries on node1-3 plus theirs on node4.
        for (const r of added) assert.match(r.name, /(^|-)node4-|-vrrp-peer-on-node4$/, `unexpected new resource ${key(r)}`);
        const removed = three.resources.filter((r) => !four.resources.some((x) => key(x) === key(r)));
        assert.deepStrictEqual(removed.map(key), []);
        const changed = four.resources
            .filter((r) => before.has(key(r)))
            .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(before.get(key(r))!.inputs))
            .map((r) => r.name);
        // haproxy learns a backend; keepalived.conf stays as it is (peers arrive as files). The
        // canary and the drift check run again: their inputs now include node4.
        assert.deepStrictEqual(changed.sort(), ["harbor-canary", "harbor-drift-check", "node1-lb-haproxy", "node2-lb-haproxy", "node3-lb-haproxy"]);
    });
});

describe("L1 scale-in: removing a node from the middle", function () {
    this.timeout(60000);
    it("removes only that node's resources; the others' keepalived stays untouched; the leaving node's balancer goes first", async () => {
        const four = await evaluateCluster(raw(prodConfig(4)));
        const three = await evaluateCluster(raw(prodConfig(4, { nodes: prodNodes(4).filter((n) => n.name !== "node2") })));
        const key = (r: CapturedResource) => `${r.type}::${r.name}`;
        const after = new Map(three.resources.map((r) => [key(r), r]));
        const removed = four.resources.filter((r) => !after.has(key(r)));
        for (const r of removed) assert.match(r.name, /(^|-)node2-|-vrrp-peer-on-node2$/, `unexpected removal ${key(r)}`);
        const changed = three.resources
            .filter((r) => four.resources.some((x) => key(x) === key(r)))
            .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(four.resources.find((x) => key(x) === key(r))!.inputs))
            .map((r) => r.name);
        // Only haproxy backends change (no keepalived reload, no shifted priorities, no drained
        // node), and the canary and drift check, which no longer include node2.
        assert.deepStrictEqual(changed.sort(), ["harbor-canary", "harbor-drift-check", "node1-lb-haproxy", "node3-lb-haproxy", "node4-lb-haproxy"]);
        // Deletion runs in reverse dependency order. node2's keepalived waits for its peer entries,
        // so it stops (handing the VIP over) before node1/3/4 forget node2; its haproxy waits for
        // node2's gate and retire step, so the balancer goes before the drain and the containers.
        const deps = (name: string) => [...(four.dependencies.get(`${REMOTE_CMD}::${name}`) ?? [])] as string[];
        for (const on of ["node1", "node3", "node4"]) assert.ok(deps("node2-lb-keepalived").includes(`${REMOTE_CMD}::node2-lb-vrrp-peer-on-${on}`), on);
        assert.ok(deps("node2-lb-haproxy").includes(`${REMOTE_CMD}::node2-gate`));
        assert.ok(deps("node2-lb-haproxy").includes(`${REMOTE_CMD}::node2-retire`));
        assert.ok(deps("node2-retire").some((d) => d.includes("node2-harbor-proxy")), "retire (drain on delete) runs before the containers go");
        assert.match(four.one(REMOTE_CMD, "node2-retire").inputs.delete, /retired; .* connection\(s\) open/);
    });
});
