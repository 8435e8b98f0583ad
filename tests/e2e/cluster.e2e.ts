/**
 * L5 end to end: the project's own Pulumi.yaml and index.ts (only the stack config file
 * Pulumi.e2e.yaml is this suite's, written by it and gitignored), the real engine and real
 * plugins, on the lab (4 nodes, real Ceph, real VRRP) with real PostgreSQL and Redis on the lab's
 * host side and real Harbor images on the nodes. Nothing is mocked or stood in.
 *
 * Run: `npm run test:e2e` (needs what tests/e2e/requirements.ts lists; pending with one line
 * naming what is missing otherwise). Request loops go only to lab addresses, bounded in count
 * and time.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { engineEnv, PULUMI_HOME, REPO_ROOT, TOOLCHAIN_ROOT } from "../engine/toolchain";
import { cephClientKey, host, killNode, labCeph, labHostKey, labInfo, LabNode, labNodes, sleep, ssh, sshOut, startNode } from "../lab/lab";
import { ensureLab } from "../lab/fixture";
import { Endpoint, pull, push, request, tinyImage, token } from "../../components/verify/registry-client";
import { PostgresInstance, startPostgres } from "../support/services/postgres";
import { RedisInstance, startRedis } from "../support/services/redis";
import { rawQuery } from "../support/services/sql-access";
import { e2eRequirements, HARBOR_IMAGES, HARBOR_VERSION, ImageSource } from "./requirements";

const STACK = "e2e";
const CONFIG_FILE = path.join(REPO_ROOT, `Pulumi.${STACK}.yaml`);
const HTTPS_PORT = 8443;
const REPO = "library/e2e-canary";

interface Run {
    stack: Stack;
    pg: PostgresInstance;
    redis: RedisInstance;
    ca: string;
    adminPassword: string;
    hostname: string;
    backendDir: string;
}

const req = e2eRequirements();

/** Loads the Harbor images into every lab node's own dockerd (idempotent by image id). */
async function loadImages(src: ImageSource, nodes: LabNode[]): Promise<void> {
    if (src.kind === "pull") return;
    const names = HARBOR_IMAGES.map((i) => `${src.prefix}/${i}:${HARBOR_VERSION}`);
    for (const n of nodes) {
        const have = await ssh(n, `docker image inspect ${names.join(" ")} >/dev/null 2>&1`, { check: false });
        if (have.code === 0) continue;
        const feed = src.kind === "tarball" ? `cat "$1"` : `docker save ${names.join(" ")}`;
        await host("sh", ["-c", `${feed} | docker exec -i "$2" docker load -q`, "sh", src.kind === "tarball" ? src.path : "", n.container], { timeoutMs: 20 * 60_000 });
    }
}

/** harbor.* settings a test changed; later configs keep them (else they would roll back). */
let harborChanges: Record<string, unknown> = {};

function stackConfig(nodes: LabNode[], prefix: string, pg: PostgresInstance, redis: RedisInstance) {
    const lab = labInfo();
    const ceph = labCeph();
    return {
        harbor: { hostname: lab.vip, version: HARBOR_VERSION, imageRegistry: prefix, trivy: false, ...harborChanges },
        nodes: nodes.map((n) => ({ name: n.name, address: n.ip, hostKey: labHostKey(n) })),
        ssh: { user: "root", privateKeyPath: lab.sshKey, strictHostKeyChecking: "yes" },
        loadBalancer: { mode: "keepalived", vip: lab.vip, subnet: lab.subnet, interface: "eth0" },
        storage: { type: "cephfs", cephfs: { monitors: [ceph.monAddr], path: ceph.path, clientName: ceph.clientName, client: "fuse" } },
        database: { host: lab.gateway, port: pg.server.port, provision: { enabled: true, adminUser: pg.adminUser } },
        redis: { host: lab.gateway, port: redis.server.port },
    };
}

async function applyConfig(stack: Stack, cfg: Record<string, unknown>, secrets: Record<string, string>): Promise<void> {
    const all: Record<string, { value: string; secret?: boolean }> = {};
    for (const [k, v] of Object.entries(cfg)) all[`harbor-ha:${k}`] = { value: JSON.stringify(v) };
    for (const [k, v] of Object.entries(secrets)) all[`harbor-ha:${k}`] = { value: v, secret: true };
    await stack.setAllConfig(all);
}

const endpoint = (r: Run, address: string): Endpoint => ({ address, hostname: r.hostname, ca: r.ca });
const nodeEp = (r: Run, n: LabNode) => endpoint(r, `${n.ip}:${HTTPS_PORT}`);
const vipEp = (r: Run) => endpoint(r, `${labInfo().vip}:443`);

async function healthStatus(ep: Endpoint): Promise<string> {
    const res = await request(ep, "GET", "/api/v2.0/health", {}, undefined, 5000);
    return JSON.parse(res.body.toString()).status;
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
    const start = Date.now();
    let last = "";
    while (Date.now() - start < timeoutMs) {
        try {
            if (await check()) return Date.now() - start;
        } catch (e) {
            last = (e as Error).message;
        }
        await sleep(1000);
    }
    throw new Error(`${what}: not within ${timeoutMs / 1000} s (${last})`);
}

/** Each Harbor container of a node with its docker status line. */
async function containerStates(n: LabNode): Promise<string[]> {
    return (await sshOut(n, `docker ps -a --filter name=^${n.name}- --format '{{.Names}} {{.Status}}'`)).split("\n").filter(Boolean);
}

/** A backend server's status in a node's haproxy, from its stats socket (CSV `show stat`). */
async function haproxyServerStatus(on: LabNode, server: string): Promise<string | undefined> {
    const py = "import socket;s=socket.socket(socket.AF_UNIX);s.connect('/run/haproxy-harbor-ha.sock');s.sendall(b'show stat\\n');print(s.makefile().read())";
    const csv = await sshOut(on, `python3 -c "${py}"`);
    const [header, ...rows] = csv.trim().split("\n");
    const cols = header.replace(/^# /, "").split(",");
    const row = rows.map((r) => r.split(",")).find((f) => f[cols.indexOf("pxname")] === "harbor_nodes" && f[cols.indexOf("svname")] === server);
    return row?.[cols.indexOf("status")];
}

/** Which lab node holds the VIP now (undefined if none). */
async function vipHolder(nodes: LabNode[]): Promise<LabNode | undefined> {
    for (const n of nodes) {
        const r = await ssh(n, `ip -o -4 addr show | grep -qw ${labInfo().vip}`, { check: false, timeoutMs: 5000 }).catch(() => ({ code: 1 }));
        if (r.code === 0) return n;
    }
    return undefined;
}

/** Steps of a preview that change something, as "op type::name" (refresh reads are not changes). */
async function previewChanges(stack: Stack, opts: { refresh?: boolean } = {}): Promise<string[]> {
    const steps: string[] = [];
    await stack.preview({
        refresh: opts.refresh,
        onOutput: engineLog,
        onEvent: (e) => {
            const m = e.resourcePreEvent?.metadata;
            if (!m || ["same", "read", "refresh"].includes(m.op) || m.type === "pulumi:pulumi:Stack") return;
            steps.push(`${m.op} ${m.type}::${m.urn.split("::").pop()}${m.diffs?.length ? ` (${m.diffs.join(",")})` : ""}`);
        },
    });
    return steps;
}

/** The engine's own output, kept for a failure's post-mortem (path printed at the end). */
const ENGINE_LOG = path.join(REPO_ROOT, ".lab", "e2e-engine.log");
function engineLog(text: string): void {
    fs.mkdirSync(path.dirname(ENGINE_LOG), { recursive: true });
    fs.appendFileSync(ENGINE_LOG, text);
}

(req.missing.length > 0 ? describe.skip : describe)(
    req.missing.length > 0 ? `L5 end to end: the real program on the lab (pending: missing ${req.missing.join(" | ")})` : "L5 end to end: the real program on the lab",
    function () {
        this.timeout(90 * 60_000);
        let run: Run;
        let nodes: LabNode[];
        let pushed = "";
        let upOk = false;
        const results: string[] = [];
        const requireUp = () => assert.ok(upOk, "pulumi up did not succeed earlier in this suite");

        before(async () => {
            await ensureLab();
            nodes = labNodes();
            assert.ok(nodes.length >= 4, "the e2e lab needs 4 nodes (npm run test:e2e sets LAB_NODES=4)");
            await loadImages(req.images!, nodes);
            const lab = labInfo();
            // Any source: the host's own connections to the lab address may leave with another
            // source address (seen: 192.0.2.2). The server listens only on loopback and the lab side.
            const pg = await startPostgres({ listen: { address: lab.gateway, allowFrom: "0.0.0.0/0" } });
            const redis = await startRedis(`e2e-redis-${Date.now()}`, { bind: [lab.gateway] });
            const backendDir = fs.mkdtempSync(path.join(lab.stateDir, "e2e-backend-"));
            const envVars = req.online
                ? { PULUMI_BACKEND_URL: `file://${backendDir}`, PULUMI_CONFIG_PASSPHRASE: "e2e", PULUMI_SKIP_UPDATE_CHECK: "true" }
                : engineEnv({ PULUMI_BACKEND_URL: `file://${backendDir}`, PULUMI_CONFIG_PASSPHRASE: "e2e" });
            const pulumiCommand = await PulumiCommand.get(req.online ? { skipVersionCheck: true } : { root: TOOLCHAIN_ROOT, skipVersionCheck: true });
            fs.rmSync(CONFIG_FILE, { force: true });
            const stack = await LocalWorkspace.createOrSelectStack(
                { stackName: STACK, workDir: REPO_ROOT },
                { pulumiCommand, envVars, pulumiHome: req.online ? undefined : PULUMI_HOME, secretsProvider: "passphrase" },
            );
            await applyConfig(stack, stackConfig(nodes.slice(0, 3), req.images!.prefix, pg, redis), {
                cephKey: cephClientKey(),
                databaseAdminPassword: pg.adminPassword,
                redisPassword: redis.password,
            });
            run = { stack, pg, redis, ca: "", adminPassword: "", hostname: lab.vip, backendDir };
        });

        after(async () => {
            if (results.length) console.log(`\n      e2e measurements:\n${results.map((r) => `        ${r}`).join("\n")}\n      engine output: ${ENGINE_LOG}`);
            if (run?.stack) await run.stack.destroy({ continueOnError: true }).catch(() => undefined);
            await run?.pg?.stop();
            await run?.redis?.stop();
            fs.rmSync(CONFIG_FILE, { force: true });
        });

        it("preview of the project's own program succeeds", async () => {
            const steps = await previewChanges(run.stack);
            assert.ok(steps.filter((s) => s.startsWith("create")).length > 80, `expected a full 3-node cluster, got ${steps.length} steps`);
        });

        it("up succeeds", async () => {
            const t0 = Date.now();
            fs.rmSync(ENGINE_LOG, { force: true });
            const r = await run.stack.up({ onOutput: engineLog });
            results.push(`up (3 nodes, ${r.summary.resourceChanges?.create ?? 0} created): ${((Date.now() - t0) / 1000).toFixed(0)} s`);
            const out = await run.stack.outputs();
            run.ca = out.caCertificate.value;
            run.adminPassword = out.adminPassword.value;
            assert.ok(out.adminPassword.secret, "adminPassword output is secret");
            upOk = true;
        });

        it("every Harbor container on every node is running and healthy", async () => {
            requireUp();
            for (const n of nodes.slice(0, 3)) {
                const states = await containerStates(n);
                assert.strictEqual(states.length, 7, `${n.name}: ${states.join("; ")}`);
                for (const s of states) assert.match(s, /\(healthy\)/, `${n.name}: ${s}`);
            }
        });

        it("/api/v2.0/health is healthy through the VIP and on each node", async () => {
            requireUp();
            assert.strictEqual(await healthStatus(vipEp(run)), "healthy");
            for (const n of nodes.slice(0, 3)) assert.strictEqual(await healthStatus(nodeEp(run, n)), "healthy", n.name);
        });

        it("a push through the VIP is pulled with the same digest from each node directly", async () => {
            requireUp();
            const img = tinyImage(`e2e ${Date.now()}`);
            const scope = `repository:${REPO}:pull,push`;
            const t = await token(vipEp(run), "admin", run.adminPassword, scope);
            pushed = await push(vipEp(run), t, REPO, "v1", img);
            assert.strictEqual(pushed, img.digest);
            for (const n of nodes.slice(0, 3)) {
                const got = await pull(nodeEp(run, n), t, REPO, "v1");
                assert.strictEqual(got.digest, img.digest, `${n.name} serves another digest`);
            }
        });

        it("a token issued by node1 is accepted by node2 and node3", async () => {
            requireUp();
            const t = await token(nodeEp(run, nodes[0]), "admin", run.adminPassword, `repository:${REPO}:pull`);
            for (const n of nodes.slice(1, 3)) assert.strictEqual((await pull(nodeEp(run, n), t, REPO, "v1")).digest, pushed, `${n.name} rejected node1's token`);
        });

        it("the stack's canary ran on up against the real nodes, with its own robot, and left no image behind", async () => {
            requireUp();
            const state = (await run.stack.exportStack()).deployment as { resources: { urn: string; outputs?: Record<string, unknown> }[] };
            const canary = state.resources.find((r) => r.urn.endsWith("RegistryCanary::harbor-canary"));
            assert.ok(canary, "no canary in the stack");
            const steps = (canary!.outputs?.steps as string[]).map((s) => s.replace(/ \(\d+ ms\)$/, ""));
            for (const n of ["node2", "node3"]) assert.ok(steps.includes(`${n}: pull with the token from node1`), steps.join("; "));
            assert.ok(steps.includes("the balancer: pull through the balancer"), steps.join("; "));
            results.push(`canary on up: ${(canary!.outputs?.steps as string[]).join("; ")}`);
            const basic = `Basic ${Buffer.from(`admin:${run.adminPassword}`).toString("base64")}`;
            const repos = await request(vipEp(run), "GET", "/api/v2.0/projects/harbor-ha-canary/repositories", { Authorization: basic });
            assert.strictEqual(repos.status, 200);
            assert.deepStrictEqual(JSON.parse(repos.body.toString()), [], "the canary image was not deleted");
        });

        it("the on-demand drift check passes, then names node2 and the file after its secretkey was changed inside its core container", async () => {
            requireUp();
            const check = () => host("npx", ["--no-install", "ts-node", "--transpile-only", "-P", path.join(REPO_ROOT, "tsconfig.json"), path.join(REPO_ROOT, "scripts/drift-check.ts"), "--stack", STACK, "--stack-config", CONFIG_FILE], { check: false, timeoutMs: 180_000 });
            const clean = await check();
            assert.strictEqual(clean.code, 0, clean.stdout + clean.stderr);
            assert.match(clean.stdout, /no drift between 3 node\(s\)/);
            const n2 = nodes[1];
            await ssh(n2, "docker cp node2-core:/etc/core/key /root/key.orig && printf tampered-key > /root/key.bad && chmod 0444 /root/key.bad && docker cp /root/key.bad node2-core:/etc/core/key");
            try {
                const drift = await check();
                assert.strictEqual(drift.code, 1, drift.stdout + drift.stderr);
                assert.match(drift.stdout, /DRIFT: node2 differs from the other nodes in core\.file\.\/etc\/core\/key$/m);
                assert.ok(!drift.stdout.includes("tampered-key"));
                results.push(`drift check: ${drift.stdout.trim().split("\n").pop()}`);
            } finally {
                await ssh(n2, "chmod 0444 /root/key.orig && docker cp /root/key.orig node2-core:/etc/core/key && rm -f /root/key.orig /root/key.bad");
            }
            assert.strictEqual((await check()).code, 0, "node2 restored");
        });

        it("offers Harbor's replication adapters (2.14+ offers none without REPLICATION_ADAPTER_WHITELIST)", async () => {
            requireUp();
            const basic = `Basic ${Buffer.from(`admin:${run.adminPassword}`).toString("base64")}`;
            const res = await request(vipEp(run), "GET", "/api/v2.0/replication/adapters", { Authorization: basic });
            assert.strictEqual(res.status, 200);
            const adapters = JSON.parse(res.body.toString()) as string[];
            for (const a of ["docker-hub", "harbor", "docker-registry"]) assert.ok(adapters.includes(a), `adapters: ${JSON.stringify(adapters)}`);
        });

        it("a second preview changes nothing, with and without --refresh", async () => {
            requireUp();
            assert.deepStrictEqual(await previewChanges(run.stack), []);
            assert.deepStrictEqual(await previewChanges(run.stack, { refresh: true }), []);
            await run.stack.preview({ expectNoChanges: true, refresh: true });
        });

        it("a node whose SSH host key changed stops preview and up, naming the node and both fingerprints", async () => {
            requireUp();
            const n = nodes[0];
            const hk = "/etc/ssh/ssh_host_ed25519_key";
            // As a rebuilt node: a new host key on the same address (the old one is kept to restore).
            await ssh(n, `cp -p ${hk} /root/hk && cp -p ${hk}.pub /root/hk.pub && rm -f ${hk} ${hk}.pub && ssh-keygen -q -t ed25519 -N '' -f ${hk} && systemctl restart ssh`);
            try {
                for (const step of ["preview", "up"] as const) {
                    const err = await (step === "preview" ? run.stack.preview() : run.stack.up()).then(() => undefined, (e: Error) => e.message);
                    assert.ok(err, `${step} succeeded against a changed host key`);
                    assert.match(err!, /SSH host key of node1 \([\d.]+:22\) changed: it presents ssh-ed25519 key SHA256:\S+, not the key pinned as its hostKey/);
                    assert.match(err!, /Nothing was run on the node/);
                }
            } finally {
                await ssh(n, `mv -f /root/hk ${hk} && mv -f /root/hk.pub ${hk}.pub && systemctl restart ssh`);
            }
            assert.deepStrictEqual(await previewChanges(run.stack), [], "with the key back, nothing to change");
        });

        /**
         * A change rolled through the 3 nodes while pulls go through the VIP every 100 ms:
         * returns the failed pulls and, per node, when its gate finished (s after the start).
         */
        async function rolledUp(what: string, upOpts: { replace?: string[] }): Promise<void> {
            const t = await token(vipEp(run), "admin", run.adminPassword, `repository:${REPO}:pull`);
            const outcomes: { at: number; ok: boolean; error?: string }[] = [];
            let done = false;
            const loop = (async () => {
                const end = Date.now() + 20 * 60_000;
                while (!done && Date.now() < end) {
                    const at = Date.now();
                    const error = await pull(vipEp(run), t, REPO, "v1", 5000).then(() => undefined, (e: Error) => e.message);
                    outcomes.push({ at, ok: !error, error });
                    await sleep(Math.max(0, 100 - (Date.now() - at)));
                }
            })();
            await sleep(2000);
            const t0 = Date.now();
            const gates: string[] = [];
            const replaced: string[] = [];
            try {
                await run.stack.up({
                    ...upOpts,
                    onOutput: engineLog,
                    onEvent: (e) => {
                        const m = e.resOutputsEvent?.metadata;
                        if (!m) return;
                        const name = m.urn.split("::").pop()!;
                        if (/-gate$/.test(name)) gates.push(`${name} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
                        if (m.op === "replace" && m.type === "docker:index/container:Container") replaced.push(name);
                    },
                });
            } finally {
                await sleep(3000);
                done = true;
                await loop;
            }
            const during = outcomes.filter((o) => o.at >= t0);
            const failed = during.filter((o) => !o.ok);
            results.push(`${what}: up ${((Date.now() - t0) / 1000).toFixed(0)} s, ${replaced.length} containers replaced, gates done at ${gates.join(", ")}; ` +
                `pulls through the VIP every 100 ms: ${failed.length} of ${during.length} failed${failed.length ? ` (${[...new Set(failed.map((f) => f.error))].join("; ")})` : ""}`);
            assert.ok(replaced.length >= 3, `containers replaced: ${replaced.join(", ")}`);
            assert.strictEqual(failed.length, 0, "failed pulls during the rolling change");
        }

        it("a config change rolls through the 3 nodes wave by wave: 0 failed pulls through the VIP", async () => {
            requireUp();
            harborChanges = { logLevel: "debug" };
            await applyConfig(run.stack, stackConfig(nodes.slice(0, 3), req.images!.prefix, run.pg, run.redis), {});
            const steps = await previewChanges(run.stack);
            // What a reviewer sees: every node's drain and gate replaced, its containers replaced.
            for (const n of nodes.slice(0, 3)) for (const r of ["drain", "gate"]) assert.ok(steps.some((x) => x.startsWith(`replace command:remote:Command::${n.name}-${r}`)), `${n.name}-${r}: ${steps.join("\n")}`);
            await rolledUp("logLevel info -> debug", {});
        });

        it("a certificate renewal rolls the same way: 0 failed pulls through the VIP", async () => {
            requireUp();
            const state = await run.stack.exportStack();
            const certs = (state.deployment.resources as { urn: string; type: string }[]).filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert").map((r) => r.urn);
            assert.strictEqual(certs.length, 3, "one endpoint certificate per node");
            // What the automatic renewal does: the certificates are replaced (all at once).
            await rolledUp("certificate renewal (3 certificates replaced)", { replace: certs });
            assert.deepStrictEqual(await previewChanges(run.stack), [], "converged after the roll");
        });

        it("a hard-rebooted node rejoins by itself (containers, health, balancer)", async () => {
            requireUp();
            const n = nodes[1];
            const t0 = Date.now();
            await killNode(n);
            await startNode(n);
            await waitUntil(`${n.name} containers healthy`, 600_000, async () => (await containerStates(n)).filter((s) => /\(healthy\)/.test(s)).length === 7);
            await waitUntil(`${n.name} health`, 300_000, async () => (await healthStatus(nodeEp(run, n))) === "healthy");
            await waitUntil(`${n.name} UP in node1's haproxy`, 60_000, async () => (await haproxyServerStatus(nodes[0], n.name)) === "UP");
            results.push(`rebooted ${n.name} back in the balancer ${((Date.now() - t0) / 1000).toFixed(0)} s after the kill`);
        });

        it("a killed VIP holder: the VIP moves and pulls through it resume (gap printed)", async () => {
            requireUp();
            const holder = await vipHolder(nodes.slice(0, 3));
            assert.ok(holder, "some node holds the VIP");
            const t = await token(vipEp(run), "admin", run.adminPassword, `repository:${REPO}:pull`);
            const outcomes: { at: number; ok: boolean }[] = [];
            const loopEnd = Date.now() + 60_000;
            let killedAt = 0;
            const loop = (async () => {
                for (let i = 0; i < 300 && Date.now() < loopEnd; i++) {
                    const at = Date.now();
                    const ok = await pull(vipEp(run), t, REPO, "v1", 2000).then(() => true, () => false);
                    outcomes.push({ at, ok });
                    if (killedAt && ok && at > killedAt + 1000 && outcomes.slice(-5).every((o) => o.ok)) break;
                    await sleep(200);
                }
            })();
            await sleep(3000);
            killedAt = Date.now();
            await killNode(holder!);
            await loop;
            const after = outcomes.filter((o) => o.at >= killedAt);
            const firstOk = after.find((o) => o.ok);
            assert.ok(firstOk, "pulls through the VIP never resumed within 60 s");
            const gap = (firstOk!.at - killedAt) / 1000;
            results.push(`killed VIP holder ${holder!.name}: pulls resumed after ${gap.toFixed(1)} s, ${after.filter((o) => !o.ok).length} of ${after.length} failed`);
            const moved = await vipHolder(nodes.slice(0, 3).filter((n) => n !== holder));
            assert.ok(moved, "another node holds the VIP");
            await startNode(holder!);
            await waitUntil(`${holder!.name} health after restart`, 600_000, async () => (await healthStatus(nodeEp(run, holder!))) === "healthy");
        });

        it("scaling to 4 nodes creates only node4's resources and changes only balancer membership elsewhere", async () => {
            requireUp();
            await applyConfig(run.stack, stackConfig(nodes.slice(0, 4), req.images!.prefix, run.pg, run.redis), {});
            const steps = await previewChanges(run.stack);
            // Allowed besides node4's creates and the balancers' member lists: the engine's default
            // provider of the dynamic resources, which is configured with the stack config that
            // just changed (it replaces nothing).
            const allowed = [
                /^create \S+::(\S+-)?node4-/, /^create command:remote:Command::node[1-3]-lb-vrrp-peer-on-node4$/,
                /^update command:remote:Command::node[1-3]-lb-haproxy( |$)/, /^update pulumi:providers:pulumi-nodejs::default\b/,
                // The verification runs again with node4 in it.
                /^update pulumi-nodejs:dynamic\/harbor-ha:(RegistryCanary::harbor-canary|DriftCheck::harbor-drift-check)( |$)/,
            ];
            const other = steps.filter((s) => !allowed.some((re) => re.test(s)));
            assert.deepStrictEqual(other, [], "steps beyond node4 and LB membership");
            assert.ok(steps.some((s) => s.startsWith("create ")), "node4 must be created");
            const t0 = Date.now();
            await run.stack.up({ onOutput: engineLog });
            results.push(`scale 3 -> 4: ${steps.filter((s) => s.startsWith("create")).length} created, ${steps.filter((s) => s.startsWith("update")).length} updated, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
            assert.strictEqual((await pull(nodeEp(run, nodes[3]), await token(nodeEp(run, nodes[3]), "admin", run.adminPassword, `repository:${REPO}:pull`), REPO, "v1")).digest, pushed, "node4 serves the image pushed before it existed");
        });

        it("destroy leaves nothing of harbor-ha on the nodes but keeps the CephFS data and the database", async () => {
            requireUp();
            await run.stack.destroy({ onOutput: engineLog });
            for (const n of nodes.slice(0, 4)) {
                assert.deepStrictEqual(await containerStates(n), [], `${n.name} containers left`);
                const left = await sshOut(n, [
                    "docker network ls --format '{{.Name}}' | grep -- '-harbor$' || true",
                    "grep -l '^# harbor-ha' /etc/haproxy/haproxy.cfg /etc/keepalived/keepalived.conf 2>/dev/null || true",
                    "ls -d /etc/keepalived/harbor-ha-check.sh /etc/keepalived/harbor-ha-peers /var/lib/harbor-ha-lb 2>/dev/null || true",
                    "grep -n harbor /etc/fstab || true",
                    "mountpoint -q /mnt/harbor && echo mounted || true",
                ].join("; "));
                assert.strictEqual(left.trim(), "", `${n.name} keeps: ${left}`);
            }
            const key = cephClientKey();
            const ceph = labCeph();
            const listing = await ssh(nodes[0], `set -e; mkdir -p /mnt/e2e-check; umask 077; printf '[client.${ceph.clientName}]\\n\\tkey = %s\\n' "$(cat)" > /run/e2e.keyring; ceph-fuse -n client.${ceph.clientName} -k /run/e2e.keyring -m ${ceph.monAddr} -r ${ceph.path} /mnt/e2e-check >/dev/null 2>&1; ls /mnt/e2e-check/registry/docker/registry/v2/repositories/${REPO}; umount /mnt/e2e-check; rm -f /run/e2e.keyring`, { stdin: key, check: false });
            assert.match(listing.stdout, /_manifests/, `CephFS registry data gone: ${listing.stdout}${listing.stderr}`);
            const rows = await rawQuery(run.pg.server, { user: run.pg.adminUser, password: run.pg.adminPassword, database: "registry" }, "SELECT count(*) AS n FROM repository WHERE name = $1", [REPO]);
            assert.strictEqual(Number(rows[0].n), 1, "database lost the repository");
        });

        it("a new up on the kept data gives a working cluster whose adminPassword output logs in", async () => {
            requireUp();
            await run.stack.up({ onOutput: engineLog });
            const out = await run.stack.outputs();
            run.ca = out.caCertificate.value;
            run.adminPassword = out.adminPassword.value;
            const basic = `Basic ${Buffer.from(`admin:${run.adminPassword}`).toString("base64")}`;
            const me = await request(vipEp(run), "GET", "/api/v2.0/users/current", { Authorization: basic });
            assert.strictEqual(me.status, 200, `login with the new adminPassword output: HTTP ${me.status}`);
            const t = await token(vipEp(run), "admin", run.adminPassword, `repository:${REPO}:pull`);
            assert.strictEqual((await pull(vipEp(run), t, REPO, "v1")).digest, pushed, "the image pushed before destroy");
        });
    },
);
