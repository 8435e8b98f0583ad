/**
 * L2: a chunked `docker push`-sized upload (200 MiB, Transfer-Encoding: chunked, as the Docker
 * client sends blob PATCHes) through the proxy's rendered nginx.conf in a real nginx (Debian's,
 * scripts/ci/install-tools.sh) to a real upstream on loopback. Measured: the largest request-body
 * temp file nginx holds open (nginx unlinks its temp files at once, so they are found through
 * /proc/<worker>/fd, not by listing client_body_temp_path) and how much of the body the upstream
 * had received when the client finished sending.
 *
 * Rewritten in the rendered config, and only these: the listen port and core's port (free ports
 * on this host), the pid and temp paths (into the test's directory). Harbor's internal name
 * `core` is resolved by a private /etc/hosts, as in real-tools.test.ts.
 * The control run removes `proxy_http_version 1.1;` and must spool: that is what shows the
 * measurement can fail.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { loadClusterSpec } from "../../components/config/load";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { prodConfig, raw } from "../support/fixtures";
import { freePort } from "../support/services/network";
import { tool } from "../support/tools";

const MiB = 1024 * 1024;
const BODY_MIB = 200;
const bin = (name: string) => tool(name, name === "redis-server" ? "services" : "tools");


function renderedProxyConf(): string {
    const spec = loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", protocol: "http" } })));
    const proxy = renderNode(spec, spec.nodes[0], placeholderShared(spec, true), "prod").find((c) => c.component === "proxy")!;
    return proxy.files.find((f) => f.path === "/etc/nginx/nginx.conf")!.content;
}

/** Upstream standing in for core: counts body bytes as they arrive, answers 202 at the end. */
function countingUpstream(port: number): Promise<{ server: http.Server; received: () => number }> {
    let received = 0;
    const server = http.createServer((req, res) => {
        req.on("data", (chunk: Buffer) => (received += chunk.length));
        req.on("end", () => res.writeHead(202).end());
    });
    return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve({ server, received: () => received })));
}

interface Nginx {
    proc: ChildProcess;
    dir: string;
    port: number;
}

async function startNginx(conf: string, corePort: number): Promise<Nginx> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-stream-"));
    fs.chmodSync(dir, 0o755); // workers run as nobody and write the temp directories
    const port = await freePort();
    const rewritten = conf
        .replace(/^\s*listen 8080;$/m, `        listen 127.0.0.1:${port};`)
        .replace(/server core:8080;/, `server core:${corePort};`)
        .replace(/\/tmp\//g, `${dir}/`);
    assert.ok(rewritten.includes(`listen 127.0.0.1:${port};`) && rewritten.includes(`server core:${corePort};`), "rewrites applied");
    fs.writeFileSync(path.join(dir, "nginx.conf"), rewritten);
    fs.writeFileSync(path.join(dir, "hosts"), "127.0.0.1 localhost core portal\n");
    const log = fs.openSync(path.join(dir, "out"), "w");
    const sh = `mount --bind ${dir}/hosts /etc/hosts && exec ${bin("nginx")} -g 'daemon off;' -c ${dir}/nginx.conf -p ${dir}`;
    const proc = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", sh], { stdio: ["ignore", log, log] });
    for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
            s.on("error", () => resolve(false));
        });
        if (up) return { proc, dir, port };
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nginx did not listen: ${fs.readFileSync(path.join(dir, "out"), "utf8")}`);
}

/** Size of the largest file under `dir` that any process holds open (deleted or not). */
function largestOpenTempFile(dir: string): number {
    let max = 0;
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        let fds: string[];
        try {
            fds = fs.readdirSync(`/proc/${pid}/fd`);
        } catch {
            continue;
        }
        for (const fd of fds) {
            try {
                if (!fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${dir}/client_body_temp`)) continue;
                max = Math.max(max, fs.statSync(`/proc/${pid}/fd/${fd}`).size);
            } catch {
                /* the fd closed meanwhile */
            }
        }
    }
    return max;
}

interface UploadResult {
    status: number;
    seconds: number;
    maxTempFileBytes: number;
    upstreamBytesWhenClientDone: number;
    upstreamBytesAtEnd: number;
}

/** PATCH of BODY_MIB MiB with chunked encoding, sampling the temp files every 20 ms. */
async function chunkedUpload(nginx: Nginx, received: () => number): Promise<UploadResult> {
    let maxTemp = 0;
    const sampler = setInterval(() => (maxTemp = Math.max(maxTemp, largestOpenTempFile(nginx.dir))), 20);
    const started = Date.now();
    const chunk = Buffer.alloc(MiB, 7);
    try {
        const result = await new Promise<{ status: number; atClientDone: number }>((resolve, reject) => {
            let atClientDone = -1;
            const req = http.request(
                { host: "127.0.0.1", port: nginx.port, method: "PATCH", path: "/v2/library/app/blobs/uploads/5e1c", headers: { "Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked" } },
                (res) => {
                    res.resume();
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, atClientDone }));
                },
            );
            req.on("error", reject);
            (async () => {
                for (let i = 0; i < BODY_MIB; i++) if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
                // Let nginx pass on what its socket buffers hold before reading the upstream's count.
                await new Promise((r) => setTimeout(r, 200));
                atClientDone = received();
                req.end();
            })().catch(reject);
        });
        maxTemp = Math.max(maxTemp, largestOpenTempFile(nginx.dir));
        return { status: result.status, seconds: (Date.now() - started) / 1000, maxTempFileBytes: maxTemp, upstreamBytesWhenClientDone: result.atClientDone, upstreamBytesAtEnd: received() };
    } finally {
        clearInterval(sampler);
    }
}

async function measure(conf: string): Promise<UploadResult> {
    const corePort = await freePort();
    const upstream = await countingUpstream(corePort);
    const nginx = await startNginx(conf, corePort);
    try {
        return await chunkedUpload(nginx, upstream.received);
    } finally {
        nginx.proc.kill("SIGTERM");
        await new Promise((r) => nginx.proc.once("exit", r));
        upstream.server.close();
        fs.rmSync(nginx.dir, { recursive: true, force: true });
    }
}

const report = (name: string, r: UploadResult) =>
    console.log(`      ${name}: ${BODY_MIB} MiB chunked in ${r.seconds.toFixed(1)} s; largest body temp file ${(r.maxTempFileBytes / MiB).toFixed(1)} MiB; upstream had ${(r.upstreamBytesWhenClientDone / MiB).toFixed(1)} MiB when the client finished sending`);

describe("L2 proxy nginx streams chunked uploads (real nginx, 200 MiB)", function () {
    this.timeout(180000);
    const conf = renderedProxyConf();

    it("the rendered config streams: no request-body temp file, the upstream has the body as the client finishes", async () => {
        const r = await measure(conf);
        report("rendered", r);
        assert.strictEqual(r.status, 202);
        assert.strictEqual(r.upstreamBytesAtEnd, BODY_MIB * MiB);
        assert.strictEqual(r.maxTempFileBytes, 0, "nginx spooled part of the body to client_body_temp");
        assert.ok(r.upstreamBytesWhenClientDone >= 0.95 * BODY_MIB * MiB, `upstream had only ${r.upstreamBytesWhenClientDone} bytes when the client was done`);
    });

    it("control: without proxy_http_version 1.1 the same upload is spooled to disk before the upstream sees a byte", async () => {
        const without = conf.replace(/^\s*proxy_http_version 1\.1;$/m, "");
        assert.notStrictEqual(without, conf);
        const r = await measure(without);
        report("control", r);
        assert.strictEqual(r.upstreamBytesAtEnd, BODY_MIB * MiB);
        assert.ok(r.maxTempFileBytes >= 0.9 * BODY_MIB * MiB, `temp file only ${r.maxTempFileBytes} bytes`);
        assert.strictEqual(r.upstreamBytesWhenClientDone, 0);
    });
});
