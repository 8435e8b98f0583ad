/**
 * L2: the balancers' health gate against what a real Harbor answers. The rendered haproxy.cfg
 * runs in the real haproxy (Debian) and the rendered keepalived track script in sh with the real
 * curl; both probe HTTPS servers in this process that replay, byte for byte, the bodies a real
 * Harbor v2.15.2 sent for `GET /api/v2.0/health` (tests/fixtures/real-harbor/: all healthy, and
 * registryctl stopped: HTTP 200 both times, overall `status` as the LAST key).
 *
 * Rewritten in the rendered files, and only these: the stats socket path (so the test needs no
 * /run write), the backend addresses (the replay servers) and, in the track script, the URL.
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { loadClusterSpec } from "../../components/config/load";
import { renderHaproxyConfig, renderHealthCheckScript } from "../../components/scripts/load-balancer";
import { prodConfig, raw } from "../support/fixtures";

const FIXTURES = path.join(__dirname, "../fixtures/real-harbor");
const HEALTHY = fs.readFileSync(path.join(FIXTURES, "health-v2.15.2-healthy.json"));
const UNHEALTHY = fs.readFileSync(path.join(FIXTURES, "health-v2.15.2-registryctl-unhealthy.json"));
const bin = (name: string) => ["/usr/sbin/" + name, "/usr/bin/" + name].find((p) => fs.existsSync(p)) ?? name;

function selfSigned(dir: string): { cert: Buffer; key: Buffer } {
    const crt = path.join(dir, "server.crt");
    const key = path.join(dir, "server.key");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=harbor.example.com", "-keyout", key, "-out", crt], { stdio: "ignore" });
    return { cert: fs.readFileSync(crt), key: fs.readFileSync(key) };
}

/** An HTTPS server on 127.0.0.1 that answers the health path with `body` (HTTP 200, like Harbor). */
function replay(body: Buffer, tlsFiles: { cert: Buffer; key: Buffer }): Promise<https.Server> {
    const server = https.createServer(tlsFiles, (req, res) => {
        if (req.url !== "/api/v2.0/health") {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length, "Set-Cookie": "sid=replay; Path=/; HttpOnly" });
        res.end(body);
    });
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

function statsLine(sock: string): Promise<string> {
    return new Promise((resolve, reject) => {
        let out = "";
        const c = net.createConnection(sock, () => c.write("show stat\n"));
        c.on("data", (d) => (out += d));
        c.on("end", () => resolve(out));
        c.on("error", reject);
    });
}

/** Server name -> haproxy status (UP, DOWN, "UP 1/2", ...) from `show stat`. */
async function serverStates(sock: string): Promise<Record<string, string>> {
    const csv = await statsLine(sock);
    const [header, ...rows] = csv.trim().split("\n");
    const cols = header.replace(/^# /, "").split(",");
    const out: Record<string, string> = {};
    for (const row of rows) {
        const f = row.split(",");
        if (f[cols.indexOf("pxname")] === "harbor_nodes" && !["BACKEND", "FRONTEND"].includes(f[cols.indexOf("svname")]))
            out[f[cols.indexOf("svname")]] = f[cols.indexOf("status")];
    }
    return out;
}

describe("L2 health gate against real Harbor health bodies (haproxy, keepalived track script)", function () {
    this.timeout(60000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-gate-"));
    const spec = loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", protocol: "https" } })));
    let healthy: https.Server;
    let unhealthy: https.Server;
    let haproxy: ChildProcess | undefined;

    before(async () => {
        const tlsFiles = selfSigned(tmp);
        healthy = await replay(HEALTHY, tlsFiles);
        unhealthy = await replay(UNHEALTHY, tlsFiles);
    });
    after(() => {
        haproxy?.kill("SIGKILL");
        healthy?.close();
        unhealthy?.close();
    });

    it("haproxy keeps a node whose Harbor is healthy and takes out one whose registryctl is down", async () => {
        const sock = path.join(tmp, "stats.sock");
        const backends = [
            { name: "healthy", address: "127.0.0.1", port: portOf(healthy) },
            { name: "unhealthy", address: "127.0.0.1", port: portOf(unhealthy) },
        ];
        const frontend = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const p = portOf(s);
                s.close(() => resolve(p));
            });
        });
        const cfg = renderHaproxyConfig({ ...spec, loadBalancer: { ...spec.loadBalancer, frontendPort: frontend } }, spec.nodes[0], backends)
            .replace("/run/haproxy-harbor-ha.sock", sock);
        const cfgPath = path.join(tmp, "haproxy.cfg");
        fs.writeFileSync(cfgPath, cfg);
        haproxy = spawn(bin("haproxy"), ["-db", "-f", cfgPath], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        haproxy.stderr!.on("data", (d) => (stderr += d));

        // inter = advert interval (0.5 s), rise/fall 2: settled well within 5 s. Require the
        // state to hold over several further checks, not just one sample.
        const deadline = Date.now() + 15000;
        let states: Record<string, string> = {};
        let stable = 0;
        while (Date.now() < deadline && stable < 6) {
            await new Promise((r) => setTimeout(r, 500));
            if (!fs.existsSync(sock)) continue;
            states = await serverStates(sock);
            stable = states.healthy === "UP" && states.unhealthy === "DOWN" ? stable + 1 : 0;
        }
        assert.deepStrictEqual(states, { healthy: "UP", unhealthy: "DOWN" }, `haproxy stderr: ${stderr}`);
    });

    it("the keepalived track script passes on the healthy body and fails on the unhealthy one", async () => {
        const script = renderHealthCheckScript(spec, spec.nodes[0]);
        const url = /'(https:\/\/127\.0\.0\.1:\d+\/api\/v2\.0\/health)'/.exec(script)?.[1];
        assert.ok(url, "health URL in the rendered script");
        const runAgainst = (server: https.Server) => {
            const p = path.join(tmp, `check-${portOf(server)}.sh`);
            fs.writeFileSync(p, script.replace(url!, `https://127.0.0.1:${portOf(server)}/api/v2.0/health`), { mode: 0o755 });
            // pidof haproxy is the script's first gate: the haproxy of the test above is running.
            // Asynchronous: the replay servers live in this process's event loop.
            return new Promise<number | null>((resolve) => spawn(p, [], { stdio: "ignore", timeout: 10000 }).on("exit", (code) => resolve(code)));
        };
        assert.ok(haproxy && haproxy.exitCode === null, "haproxy from the previous test must be running");
        assert.strictEqual(await runAgainst(healthy), 0, "healthy body must pass");
        assert.strictEqual(await runAgainst(unhealthy), 1, "unhealthy body must fail");
    });
});
