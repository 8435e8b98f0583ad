/**
 * L2: the canary (components/verify/canary.ts) against real registry software: Debian's
 * docker-registry (distribution 2.8, what Harbor's registry-photon is) with token
 * authentication. In front of each registry a small HTTP server stands in for what Harbor's
 * proxy routes to core: it issues bearer tokens on /service/token (RS256 JWTs with an x5c
 * header, checked by the registry against its rootcertbundle, as distribution's token auth
 * does), checks the robot's basic-auth login, and answers Harbor's repository DELETE with 200
 * (Harbor's swagger: "Success"). Everything else is proxied to the real registry.
 *
 * Nodes: node1 and node2 share one storage directory and one token key (a healthy pair);
 * node3 has its own storage directory; node4 shares the storage but signs with another key;
 * node5's token service does not know the robot.
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CanaryNode, CanaryPlan, isCanaryFailure, runCanary } from "../../components/verify/canary";
import { registryCanaryProvider } from "../../components/verify/canary-resources";
import { request } from "../../components/verify/registry-client";
import { freePort } from "../support/services/network";
import { callSerialized, serializeProvider } from "../support/services/serialized-provider";
import { tool } from "../support/tools";

const SERVICE = "harbor-registry";
const ISSUER = "harbor-token-issuer";
const ROBOT = { name: "robot$harbor-ha-canary+canary", secret: "Canary-Secret-1" };

interface Key { pem: string; x5c: string; certFile: string }

function makeKey(dir: string, name: string): Key {
    const key = path.join(dir, `${name}.key`);
    const cert = path.join(dir, `${name}.crt`);
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", `/CN=${ISSUER}`, "-days", "1"], { stdio: "ignore" });
    const der = crypto.createPublicKey(fs.readFileSync(cert)) && new crypto.X509Certificate(fs.readFileSync(cert)).raw;
    return { pem: fs.readFileSync(key, "utf8"), x5c: der.toString("base64"), certFile: cert };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** A distribution token for `scope` ("repository:<name>:<actions>"), signed with `key`. */
function signToken(key: Key, scope: string): string {
    const [type, name, actions] = scope.split(":");
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", x5c: [key.x5c] }));
    const claims = b64url(JSON.stringify({ iss: ISSUER, sub: ROBOT.name, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access: [{ type, name, actions: actions.split(",") }] }));
    const sig = crypto.sign("sha256", Buffer.from(`${header}.${claims}`), key.pem);
    return `${header}.${claims}.${b64url(sig)}`;
}

interface FakeNode { name: string; front: http.Server; registry: ChildProcess; port: number; deletes: number }

async function waitFor(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
        const ok = await request({ address: `127.0.0.1:${port}`, hostname: "127.0.0.1" }, "GET", "/v2/").then(() => true, () => false);
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nothing answers on ${port}`);
}

async function startNode(dir: string, name: string, storage: string, signWith: Key, trusted: Key, knowsRobot = true, port?: number): Promise<FakeNode> {
    const [regPort, frontPort] = [await freePort(), port ?? (await freePort())];
    const config = path.join(dir, `${name}.yml`);
    fs.writeFileSync(config, YAML.stringify({
        version: 0.1,
        log: { level: "error" },
        storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true } },
        http: { addr: `127.0.0.1:${regPort}` },
        auth: { token: { realm: `http://127.0.0.1:${frontPort}/service/token`, service: SERVICE, issuer: ISSUER, rootcertbundle: trusted.certFile } },
    }));
    const registry = spawn(tool("docker-registry", "tools"), ["serve", config], { stdio: "ignore" });
    const node: FakeNode = { name, front: http.createServer(), registry, port: frontPort, deletes: 0 };
    node.front.on("request", (req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname === "/service/token") {
            const auth = Buffer.from(String(req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
            if (!knowsRobot || auth !== `${ROBOT.name}:${ROBOT.secret}`) {
                res.writeHead(401, { "Content-Type": "application/json" }).end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "unauthorized: authentication required" }] }));
                return;
            }
            res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token: signToken(signWith, url.searchParams.get("scope") ?? "") }));
            return;
        }
        if (req.method === "DELETE" && url.pathname.startsWith("/api/v2.0/projects/")) {
            node.deletes++;
            res.writeHead(200).end();
            return;
        }
        const up = http.request({ host: "127.0.0.1", port: regPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${regPort}` } }, (r) => {
            // The registry's own Location/realm name its port: clients must come back through the front.
            const headers = { ...r.headers };
            if (headers.location) headers.location = String(headers.location).replace(`127.0.0.1:${regPort}`, `127.0.0.1:${frontPort}`);
            res.writeHead(r.statusCode ?? 502, headers);
            r.pipe(res);
        });
        up.on("error", () => res.writeHead(502).end());
        req.pipe(up);
    });
    await new Promise<void>((r) => node.front.listen(frontPort, "127.0.0.1", () => r()));
    await waitFor(regPort);
    return node;
}

const endpoint = (n: FakeNode): CanaryNode => ({ name: n.name, endpoint: { address: `127.0.0.1:${n.port}`, hostname: "127.0.0.1" } });

describe("L2 canary against real distribution registries with token auth", function () {
    this.timeout(120000);
    const nodes: Record<string, FakeNode> = {};
    let dir: string;
    let k1: Key;
    const plan = (pushTo: string, pullFrom: string[]): CanaryPlan => ({
        pushTo: endpoint(nodes[pushTo]), pullFrom: pullFrom.map((n) => endpoint(nodes[n])), balancer: endpoint(nodes.node2),
        robot: ROBOT, project: "harbor-ha-canary", repository: "canary",
    });

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-canary-"));
        k1 = makeKey(dir, "k1");
        const k2 = makeKey(dir, "k2");
        const shared = path.join(dir, "shared");
        nodes.node1 = await startNode(dir, "node1", shared, k1, k1);
        nodes.node2 = await startNode(dir, "node2", shared, k1, k1);
        nodes.node3 = await startNode(dir, "node3", path.join(dir, "private"), k1, k1);
        nodes.node4 = await startNode(dir, "node4", shared, k2, k2);
        nodes.node5 = await startNode(dir, "node5", shared, k1, k1, false);
    });
    after(() => {
        for (const n of Object.values(nodes)) {
            n.registry.kill();
            n.front.close();
        }
    });

    it("passes on two nodes that share storage and token key: push to node1, pull from node2 with node1's token, through the balancer, delete", async () => {
        const before = nodes.node1.deletes;
        const report = await runCanary(plan("node1", ["node2"]), `ok ${Date.now()}`);
        assert.match(report.digest, /^sha256:[0-9a-f]{64}$/);
        const steps = report.steps.map((s) => s.replace(/ \(\d+ ms\)$/, ""));
        assert.deepStrictEqual(steps, [
            "node1: login (token for push and pull)", "node1: push", "node2: login", "node2: pull with the token from node1",
            "node2: login through the balancer", "node2: pull through the balancer", "node1: delete the canary image",
        ]);
        assert.strictEqual(nodes.node1.deletes, before + 1);
    });

    it("names the storage fault on a node with its own storage directory", async () => {
        await assert.rejects(runCanary(plan("node1", ["node2", "node3"]), `storage ${Date.now()}`), (e: unknown) => {
            assert.ok(isCanaryFailure(e), String(e));
            assert.strictEqual(e.node, "node3");
            assert.strictEqual(e.step, "pull with the token from node1");
            assert.match(e.cause, /^storage not shared: node3's registry does not see the image written through node1/);
            assert.match(e.message, /MANIFEST_UNKNOWN/);
            return true;
        });
    });

    it("names a token key mismatch when a node's registry trusts another signing key", async () => {
        await assert.rejects(runCanary(plan("node1", ["node4"]), `key ${Date.now()}`), (e: unknown) => {
            assert.ok(isCanaryFailure(e), String(e));
            assert.strictEqual(e.node, "node4");
            assert.match(e.cause, /^token key mismatch: node4 does not accept a token signed by node1/);
            return true;
        });
    });

    it("names a refused login (the robot unknown to the node's token service)", async () => {
        await assert.rejects(runCanary(plan("node1", ["node5"]), `login ${Date.now()}`), (e: unknown) => {
            assert.ok(isCanaryFailure(e), String(e));
            assert.strictEqual(e.node, "node5");
            assert.strictEqual(e.step, "login");
            assert.match(e.cause, /refuses the stack's canary robot account/);
            return true;
        });
    });

    it("waits (bounded) for a balancer that is not answering yet, as right after keepalived started", async () => {
        const port = await freePort();
        const later = new Promise<void>((res) => setTimeout(async () => {
            nodes.late = await startNode(dir, "late", path.join(dir, "shared"), k1, k1, true, port);
            res();
        }, 4000));
        const p = plan("node1", ["node2"]);
        p.balancer = { name: "the balancer", endpoint: { address: `127.0.0.1:${port}`, hostname: "127.0.0.1" } };
        const t0 = Date.now();
        const report = await runCanary(p, `late ${Date.now()}`);
        await later;
        assert.ok(Date.now() - t0 >= 4000, "it cannot have passed before the balancer answered");
        assert.ok(report.steps.some((s) => s.startsWith("the balancer: pull through the balancer")), report.steps.join("; "));
    });

    it("runs the same through the serialized RegistryCanary provider, and a failure is one line without the robot's secret", async () => {
        const { file, text } = await serializeProvider(registryCanaryProvider);
        assert.ok(!text.includes(ROBOT.secret));
        const ok = await callSerialized(file, "create", [{ ...plan("node1", ["node2"]), trigger: "t1" }]);
        assert.ok(!ok.error, ok.error?.message);
        assert.match((ok.result as { outs: { lastDigest: string } }).outs.lastDigest, /^sha256:/);
        const bad = await callSerialized(file, "update", ["id", {}, { ...plan("node1", ["node3"]), trigger: "t2" }]);
        assert.ok(bad.error, "a storage fault must fail the update");
        assert.match(bad.error!.message, /^canary failed on node3 at "pull with the token from node1": storage not shared/);
        assert.ok(!bad.error!.message.includes(ROBOT.secret) && !bad.error!.message.includes("\n"));
    });
});
