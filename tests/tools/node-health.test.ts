/**
 * L2: node-local health, drain and gate in the real haproxy (Debian) with the program's own
 * rendered haproxy.cfg and its own drain and gate scripts (run with sh, the real curl, ss, socat).
 *
 * Two Harbor instances share one host, as in the dev stack, with container subnets inside
 * 127.0.0.0/8 so that this process can listen on each component's fixed address. Stand-ins for
 * the components: the probes read only whether a TCP connect succeeds (proxy, core, jobservice)
 * or the HTTP status (portal `/`, registry `/`, registryctl `/api/health`, which Harbor's own
 * images use as their Docker health checks, and which the end-to-end suite's gates hit on real
 * Harbor v2.15.2). core and jobservice accept and then never answer, as a real core does while
 * Redis is frozen (../shared/reference/real-harbor/: the request hangs).
 *
 * Rewritten in the rendered files, and only these: the stats socket and drain-list paths (so the
 * test needs no /run or /var/lib write).
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { loadClusterSpec } from "../../components/config/load";
import { ClusterSpec } from "../../components/config/spec";
import { v2NodeProbes } from "../../components/profiles/v2/probes";
import { localInstanceOf } from "../../components/load-balancer";
import { LB_PATHS, renderHaproxyConfig } from "../../components/scripts/load-balancer";
import { drainScript, gateScript } from "../../components/scripts/rollout";
import { prodConfig, raw } from "../support/fixtures";
import { freePort } from "../support/services/network";
import { tool } from "../support/tools";

const bin = (name: string) => tool(name, name === "redis-server" ? "services" : "tools");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** Listeners standing in for one instance's components, each stoppable on its own. */
class Instance {
    servers = new Map<string, net.Server>();
    sockets = new Set<net.Socket>();
    constructor(readonly name: string, readonly spec: ClusterSpec) {}

    async start(component: string): Promise<void> {
        const node = this.spec.nodes.find((n) => n.name === this.name)!;
        const probe = v2NodeProbes(this.spec, node).find((p) => p.component === component);
        const [address, port] = component === "traffic" ? ["127.0.0.1", node.httpsPort] : [probe!.address, probe!.port];
        const server =
            component === "traffic"
                ? http.createServer((_q, r) => r.end(this.name)) // what the client sees: which node answered
                : probe!.kind === "http"
                  ? http.createServer((_q, r) => r.writeHead(200).end())
                  : net.createServer((s) => { this.sockets.add(s); s.on("error", () => undefined); }); // accepts, never answers
        server.on("connection", (s: net.Socket) => { this.sockets.add(s); s.on("close", () => this.sockets.delete(s)); });
        await new Promise<void>((resolve) => server.listen(port, address, resolve));
        this.servers.set(component, server);
    }
    async startAll(): Promise<void> {
        for (const c of ["traffic", "proxy", "core", "portal", "registry", "registryctl", "jobservice"]) await this.start(c);
    }
    async stop(component: string): Promise<void> {
        const s = this.servers.get(component);
        this.servers.delete(component);
        if (!s) return;
        const addr = s.address() as net.AddressInfo;
        for (const sock of this.sockets) if (sock.localAddress === addr.address && sock.localPort === addr.port) sock.destroy();
        await new Promise((r) => s.close(r));
    }
    async stopAll(): Promise<void> {
        for (const c of [...this.servers.keys()]) await this.stop(c);
    }
}

function adminCommand(sock: string, cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
        let out = "";
        const c = net.createConnection(sock, () => c.write(cmd + "\n"));
        c.on("data", (d) => (out += d));
        c.on("end", () => resolve(out));
        c.on("error", reject);
    });
}

/** Server name -> haproxy status (UP, DOWN, NOLB, ...) in harbor_nodes. */
async function states(sock: string): Promise<Record<string, string>> {
    const [header, ...rows] = (await adminCommand(sock, "show stat")).trim().split("\n");
    const cols = header.replace(/^# /, "").split(",");
    const out: Record<string, string> = {};
    for (const row of rows) {
        const f = row.split(",");
        if (f[cols.indexOf("pxname")] === "harbor_nodes" && !["BACKEND", "FRONTEND"].includes(f[cols.indexOf("svname")]))
            out[f[cols.indexOf("svname")]] = f[cols.indexOf("status")];
    }
    return out;
}

function get(port: number, p = "/"): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: p, agent: false, timeout: 3000 }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode!, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

function runScript(text: string): Promise<{ code: number | null; out: string; ms: number }> {
    const t0 = Date.now();
    return new Promise((resolve) => {
        const p = spawn("sh", ["-c", text], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (out += d));
        p.on("exit", (code) => resolve({ code, out, ms: Date.now() - t0 }));
    });
}

describe("L2 node-local health, drain and gate in the real haproxy", function () {
    this.timeout(120000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-nodehealth-"));
    const sock = path.join(tmp, "stats.sock");
    const list = path.join(tmp, "drained.lst");
    let spec: ClusterSpec;
    let a: Instance;
    let b: Instance;
    let haproxy: ChildProcess | undefined;
    let frontend: number;
    let redirect: number;
    const local = (s: string) => s.split(LB_PATHS.statsSocket).join(sock).split(LB_PATHS.drainList).join(list);

    async function until(what: string, ok: (s: Record<string, string>) => boolean, ms = 10000): Promise<number> {
        const t0 = Date.now();
        let s: Record<string, string> = {};
        while (Date.now() - t0 < ms) {
            s = await states(sock).catch(() => ({}));
            if (ok(s)) return Date.now() - t0;
            await sleep(100);
        }
        throw new Error(`${what}: not reached in ${ms} ms; states ${JSON.stringify(s)}`);
    }
    const both = (x: string, y: string) => (s: Record<string, string>) => s.a === x && s.b === y;

    before(async () => {
        frontend = await freePort();
        redirect = await freePort();
        const node = async (name: string, i: number) => ({
            name, address: "127.0.0.1", transport: "local", httpsPort: await freePort(), httpPort: await freePort(),
            syslogPort: await freePort(), healthPort: await freePort(), containerSubnet: `127.77.${i}.0/24`,
        });
        spec = loadClusterSpec(raw(prodConfig(2, {
            nodes: [await node("a", 1), await node("b", 2)],
            loadBalancer: { mode: "haproxy", frontendPort: frontend, httpRedirectPort: redirect, advertIntervalSeconds: 0.5 },
            rollout: { drainTimeoutSeconds: 3, gateTimeoutSeconds: 10 },
        })));
        a = new Instance("a", spec);
        b = new Instance("b", spec);
        await a.startAll();
        await b.startAll();
        fs.writeFileSync(list, "");
        const backends = spec.nodes.map((n) => ({ name: n.name, address: n.address, port: n.httpsPort, healthPort: n.healthPort }));
        const instances = spec.nodes.map((n) => localInstanceOf(spec, n));
        const cfg = path.join(tmp, "haproxy.cfg");
        fs.writeFileSync(cfg, local(renderHaproxyConfig(spec, spec.nodes[0], backends, instances)));
        haproxy = spawn(bin("haproxy"), ["-db", "-f", cfg], { stdio: ["ignore", "ignore", "ignore"] });
        await until("both nodes up", both("UP", "UP"));
    });
    after(async () => {
        haproxy?.kill("SIGKILL");
        await a?.stopAll();
        await b?.stopAll();
    });
    afterEach(async () => {
        // Back to all healthy, not drained, for the next case.
        for (const inst of [a, b]) for (const c of ["traffic", "proxy", "core", "portal", "registry", "registryctl", "jobservice"]) if (!inst.servers.has(c)) await inst.start(c);
        fs.writeFileSync(list, "");
        await adminCommand(sock, `clear acl ${list}`);
        await until("both nodes up again", both("UP", "UP"), 15000);
    });

    it("plain HTTP on the redirect port gets a 308 to the external URL, path and query kept", async () => {
        const r = await new Promise<http.IncomingMessage>((resolve, reject) =>
            http.get({ host: "127.0.0.1", port: redirect, path: "/harbor/projects?page=2", agent: false, headers: { Host: "evil.example.org" } }, resolve).on("error", reject));
        r.resume();
        assert.strictEqual(r.statusCode, 308);
        // The configured external URL, not the client's Host header (no open redirect).
        assert.strictEqual(r.headers.location, "https://harbor.example.com/harbor/projects?page=2");
    });

    it("a component stopped on one node takes that node out within 5 s; the health frontend names it", async () => {
        const t0 = Date.now();
        await a.stop("registryctl");
        await until("a down", both("DOWN", "UP"));
        const ms = Date.now() - t0;
        console.log(`      registryctl stopped on a: out of haproxy after ${ms} ms`);
        assert.ok(ms <= 5000, `${ms} ms`);
        const h = await get(spec.nodes[0].healthPort, "/harbor-ha/node-health");
        assert.deepStrictEqual(h, { status: 503, body: "down registryctl" });
        for (let i = 0; i < 6; i++) assert.strictEqual((await get(frontend)).body, "b");
    });

    it("core and jobservice hanging on every node (a frozen shared Redis) keep both nodes in rotation", async () => {
        // The stand-ins accept and never answer, like core and jobservice with Redis frozen.
        const held = [net.connect(8080, v2NodeProbes(spec, spec.nodes[0]).find((p) => p.component === "core")!.address)];
        await sleep(4000); // several check rounds (inter 1 s locally, 0.5 s between nodes)
        assert.deepStrictEqual(await states(sock), { a: "UP", b: "UP", "a-failopen": "no check", "b-failopen": "no check" });
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add((await get(frontend)).body);
        assert.deepStrictEqual([...seen].sort(), ["a", "b"]);
        held.forEach((s) => s.destroy());
    });

    it("with every node judged down, haproxy fails open and still routes", async () => {
        await a.stop("registry");
        await b.stop("registry");
        await until("both down", both("DOWN", "DOWN"));
        const r = await get(frontend);
        assert.ok(["a", "b"].includes(r.body), `answered by ${r.body}`);
    });

    it("the drain script takes a node out of new traffic without cutting an open connection; the gate puts it back", async () => {
        // An open connection to a through haproxy (leastconn: the first goes to either; keep the one on a).
        let conn: net.Socket | undefined;
        for (let i = 0; i < 10 && !conn; i++) {
            const c = net.connect(frontend, "127.0.0.1");
            await new Promise((r) => c.on("connect", r));
            c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            const body = await new Promise<string>((r) => c.once("data", (d) => r(d.toString())));
            if (body.endsWith("a")) conn = c;
            else c.destroy();
        }
        assert.ok(conn, "a connection held by node a");
        const drain = runScript(local(drainScript(spec, spec.nodes[0])));
        await until("a drained", (s) => s.a === "NOLB" && s.b === "UP");
        const d = await drain;
        assert.strictEqual(d.code, 0, d.out);
        // The script waited for the open connection up to rollout.drainTimeoutSeconds (3 s), then went on.
        assert.match(d.out, /a drained; 1 connection\(s\) still open after 3 s/);
        for (let i = 0; i < 6; i++) assert.strictEqual((await get(frontend)).body, "b", "no new connection to a drained node");
        conn!.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const again = await new Promise<string>((r) => conn!.once("data", (x) => r(x.toString())));
        assert.ok(again.endsWith("a"), "the open connection still works");
        conn!.destroy();
        assert.strictEqual((await get(spec.nodes[0].healthPort, "/harbor-ha/node-health")).status, 404);

        const g = await runScript(local(gateScript(spec, spec.nodes[0], v2NodeProbes(spec, spec.nodes[0]))));
        assert.strictEqual(g.code, 0, g.out);
        assert.deepStrictEqual(fs.readFileSync(list, "utf8").trim(), "");
        await until("a back", both("UP", "UP"), 3000);
    });

    it("a gate on a host whose haproxy is stopped (stale socket file left) does not wait for a frontend nobody serves", async () => {
        // A stopped haproxy leaves its socket file: the e2e suite's re-up after destroy met one.
        const stale = path.join(tmp, "stale.sock");
        execFileSync("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", stale]);
        assert.ok(fs.statSync(stale).isSocket());
        // Nothing listens on this node's health port (its haproxy is gone).
        const node = { ...spec.nodes[0], healthPort: await freePort() };
        const text = gateScript(spec, node, v2NodeProbes(spec, node)).split(LB_PATHS.statsSocket).join(stale).split(LB_PATHS.drainList).join(list);
        const g = await runScript(text);
        assert.strictEqual(g.code, 0, g.out);
        assert.ok(g.ms < 8000, `gate took ${g.ms} ms (it must not wait for the frontend)`);
    });

    it("a gate whose node never turns healthy fails within its bound, naming the node and the component", async () => {
        await b.stop("portal");
        const g = await runScript(local(gateScript(spec, spec.nodes[1], v2NodeProbes(spec, spec.nodes[1]))));
        console.log(`      gate failed after ${g.ms} ms (bound 10 s)`);
        assert.strictEqual(g.code, 1);
        assert.match(g.out, /node b:  ?portal not answering after 10 s \(rollout\.gateTimeoutSeconds\); b stays drained/);
        assert.ok(g.ms < 10000 + 5000, `${g.ms} ms`);
    });
});
